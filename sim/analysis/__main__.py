"""``python -m sim.analysis compare|analyze``: the analysis commands until ``cohesion`` registers them."""

from sim.analysis.commands import main

raise SystemExit(main())
