"""Alliance cohesion under transatlantic stress: an agent-based scenario simulator.

Illustrative scenario exploration, not a forecast.
"""

from sim.about import DISCLAIMER, __version__

__all__ = [
    "AllianceModel",
    "MemberState",
    "UnitedStates",
    "Russia",
    "EVENT_TYPES",
    "Event",
    "make_event",
    "PARAMETERS",
    "MODEL_OUTCOMES",
    "HEADLINE_OUTCOMES",
    "DISCLAIMER",
    "__version__",
    "Scenario",
    "Results",
    "run",
    "load_results",
    "compare",
    "SweepResults",
    "run_sweep",
    "load_sweep",
]

_API = ("Results", "run", "load_results", "compare", "SweepResults", "run_sweep", "load_sweep")
# The model's names, each with the module that defines it, imported on first use like the API: the command
# line imports ``sim`` first of all, and a Ctrl-C during its imports must reach the command's own handler.
_MODEL = {
    "MemberState": "sim.agents",
    "Russia": "sim.agents",
    "UnitedStates": "sim.agents",
    "EVENT_TYPES": "sim.rules.events",
    "Event": "sim.rules.events",
    "make_event": "sim.rules.events",
    "HEADLINE_OUTCOMES": "sim.rules.outcomes",
    "MODEL_OUTCOMES": "sim.rules.outcomes",
    "AllianceModel": "sim.model",
    "Scenario": "sim.scenarios.scenario",
    "PARAMETERS": "sim.inputs.parameters",
}


def __getattr__(name: str):
    """The model's names and the notebook API (:mod:`sim.api`), imported on first use: ``import sim`` stays light
    for the command line and its worker processes (the model pulls in Mesa, the API matplotlib and the whole
    results stack)."""
    if name in _API:
        from sim import api

        return getattr(api, name)
    if name in _MODEL:
        import importlib

        return getattr(importlib.import_module(_MODEL[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
