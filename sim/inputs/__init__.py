"""What the model is fed: the parameter registry (:mod:`sim.inputs.parameters`), the member states' sourced
figures and judgemental inputs (:mod:`sim.inputs.states`), the influence network (:mod:`sim.inputs.network`),
the shipped posterior (:mod:`sim.inputs.posterior`) and the sourced polls and exposure facts
(:mod:`sim.inputs.polls`).

``sim.inputs`` was the module that is now :mod:`sim.inputs.states`; its names (``load_states``, ...) stay
reachable here for one release (see CHANGELOG.md).
"""

import importlib
from typing import Any

_SUBMODULES = ("network", "parameters", "polls", "posterior", "states")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"sim.inputs.{name}")
    if name.startswith("__"):
        raise AttributeError(name)
    states = importlib.import_module("sim.inputs.states")
    try:
        return getattr(states, name)
    except AttributeError:
        raise AttributeError(f"module 'sim.inputs' has no attribute {name!r}") from None
