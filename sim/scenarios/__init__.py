"""What a user writes: scenario files (:mod:`sim.scenarios.scenario`), experiment files
(:mod:`sim.scenarios.experiment`), their designs (:mod:`sim.scenarios.designs`) and what ``cohesion list``
prints (:mod:`sim.scenarios.catalogue`). The packaged YAML files themselves are at the top of the
repository (``scenarios/``, ``experiments/``) and inside the wheel under ``sim/data/``."""
