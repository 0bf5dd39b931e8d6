"""Alliance cohesion under transatlantic stress: an agent-based scenario simulator.

Illustrative scenario exploration, not a forecast.
"""

from sim.agents import MemberState, Russia, UnitedStates
from sim.events import EVENT_TYPES, Event, make_event
from sim.metrics import HEADLINE_OUTCOMES, MODEL_OUTCOMES
from sim.model import AllianceModel
from sim.params import PARAMETERS

__version__ = "0.1.0"
DISCLAIMER = "Illustrative scenario exploration — not a forecast"

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

_API = ("Scenario", "Results", "run", "load_results", "compare", "SweepResults", "run_sweep", "load_sweep")


def __getattr__(name: str):
    """The notebook API (:mod:`sim.api`), imported on first use: ``import sim`` stays light for the command line
    and its worker processes (the API pulls in matplotlib and the whole results stack)."""
    if name in _API:
        from sim import api

        return getattr(api, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
