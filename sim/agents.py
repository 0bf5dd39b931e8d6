"""The actors: member states, the United States and Russia.

Agents are the interface; arrays are the engine. An agent holds no numbers of
its own: its attributes are views into row 0 of the model's engine (a batch of
one run), so that the update rules in :mod:`sim.rules.dynamics` move all states at
once while code and users still talk to one agent at a time. The methods that
scenario events call act on that row through :class:`sim.engine.state.RowHooks`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim.engine.hooks import RowHooks
from sim.engine.state import STATE_VARIABLES
from sim.util.calendar import format_month

if TYPE_CHECKING:
    from sim.model import AllianceModel

__all__ = ["STATE_VARIABLES", "MemberState", "Russia", "UnitedStates"]


class _View:
    """Attribute that reads and writes one state's entry of row 0 of an engine array."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, agent: MemberState | None, owner: type) -> Any:
        if agent is None:
            return self
        return getattr(agent.model.engine, self.name)[0, agent.index]

    def __set__(self, agent: MemberState, value: Any) -> None:
        getattr(agent.model.engine, self.name)[0, agent.index] = value


class _Scalar:
    """Attribute that reads and writes row 0 of a per-run engine array, as a Python number."""

    def __init__(self, field: str, kind: type = float) -> None:
        self.field, self.kind = field, kind

    def __get__(self, agent: Any, owner: type) -> Any:
        if agent is None:
            return self
        return self.kind(getattr(agent.model.engine, self.field)[0])

    def __set__(self, agent: Any, value: Any) -> None:
        getattr(agent.model.engine, self.field)[0] = value


class MemberState(mesa.Agent):
    """A NATO ally, an EU member outside NATO, or Ukraine (a partner that votes nowhere)."""

    threat = _View()
    us_trust = _View()
    us_reliance = _View()
    abandonment_fear = _View()
    spending_pct_gdp = _View()
    autonomy = _View()
    ukraine_support = _View()
    stubbornness = _View()
    us_troops_k = _View()
    accommodationist = _View()
    eu_member = _View()
    nato_member = _View()

    def __init__(self, model: AllianceModel, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.iso3 = model.data.iso3[index]
        self.name = model.data.name[index]
        self.region = str(model.data.region[index])

    @property
    def government(self) -> str:
        return "accommodationist" if self.accommodationist else "mainstream"

    def __repr__(self) -> str:
        return f"MemberState({self.iso3})"


class UnitedStates(mesa.Agent):
    """The US: signalled Article 5 commitment, troops in Europe, burden grievance, ceasefire pressure."""

    commitment_base = _Scalar("us_base")
    troops_europe_k = _Scalar("us_troops_total")
    burden_grievance = _Scalar("grievance")
    ceasefire_pressure = _Scalar("pressure")
    pressure_until = _Scalar("pressure_until", int)

    def __init__(self, model: AllianceModel) -> None:
        super().__init__(model)
        self._hooks = RowHooks(model.engine, 0)

    @property
    def doubt(self) -> float:
        """Net standing doubt: the sum of the rhetorical shocks still in force."""
        return float(self.model.engine.doubt[0])

    @property
    def commitment(self) -> float:
        """Signalled commitment: the stance less any standing doubt."""
        return float(self.model.engine.commitment[0])

    @property
    def administration(self) -> str:
        return f"commitment target {self.model.p['us_commitment_target']:.2f}"

    # --- scenario hooks ------------------------------------------------------
    def add_doubt(self, size: float, decay_months: float) -> None:
        self._hooks.add_doubt(size, decay_months)

    def press_for_ceasefire(self, level: float, until_month: int) -> None:
        self._hooks.press_for_ceasefire(level, until_month)

    def schedule_troops(self, change: float, unit: str, host: str | None, over_months: int) -> str:
        return self._hooks.schedule_troops(change, unit, host, over_months)

    def __repr__(self) -> str:
        return f"UnitedStates(commitment={self.commitment:.2f}, {format_month(self.model.month)})"


class Russia(mesa.Agent):
    """Russia as a simple agent: aggression follows a scenario path; hybrid incidents strike by proximity."""

    aggression = _Scalar("aggression")
    target = _Scalar("russia_target")
    ceasefire_holds = _Scalar("ceasefire_holds", bool)

    def __init__(self, model: AllianceModel) -> None:
        super().__init__(model)
        self._hooks = RowHooks(model.engine, 0)

    def set_target(self, level: float | None, change: float | None) -> str:
        return self._hooks.set_target(level, change)

    def ceasefire(self, level: float) -> None:
        self._hooks.ceasefire(level)

    def start_campaign(self, multiplier: float, mask: np.ndarray, until_month: int) -> None:
        self._hooks.start_campaign(multiplier, mask, until_month)

    def __repr__(self) -> str:
        return f"Russia(aggression={self.aggression:.2f}, {format_month(self.model.month)})"
