"""The browser views: ``cohesion dashboard`` (forms and runs in :mod:`sim.dashboard.logic`, the Solara page in
:mod:`sim.dashboard.app`) and Mesa's own SolaraViz page of the model (:mod:`sim.dashboard.mesa_page`)."""
