"""The actors: member states, the United States and Russia.

Agents are the interface; arrays are the engine. A :class:`MemberState` holds
no numbers of its own: its attributes are views into the model's state
arrays, so that the update rules in :mod:`sim.dynamics` can move all states
at once while code and users still talk to one agent at a time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim import dynamics
from sim.calendar import format_month

if TYPE_CHECKING:
    from sim.model import AllianceModel

STATE_VARIABLES = (
    "threat",
    "us_trust",
    "us_reliance",
    "abandonment_fear",
    "spending_pct_gdp",
    "autonomy",
    "ukraine_support",
    "stubbornness",
    "us_troops_k",
)


class _View:
    """Attribute that reads and writes one state's entry of a model array."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, agent: MemberState | None, owner: type) -> Any:
        if agent is None:
            return self
        return getattr(agent.model.state, self.name)[agent.index]

    def __set__(self, agent: MemberState, value: Any) -> None:
        getattr(agent.model.state, self.name)[agent.index] = value


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

    def __init__(self, model: AllianceModel, commitment: float, troops_europe_k: float) -> None:
        super().__init__(model)
        self.commitment_base = commitment  # underlying stance, before rhetoric shocks
        # Standing rhetorical shocks, each [size, decay months, month applied]; positive is doubt,
        # negative reassurance. Each fades on its own clock, starting the month after it is applied.
        self._shocks: list[list[float]] = []
        self.troops_europe_k = troops_europe_k
        self.burden_grievance = 0.0
        self.ceasefire_pressure = 0.0
        self.pressure_until = -1
        # (last month, per-host delta, total delta or None when the total follows the hosts)
        self._troop_plan: list[tuple[int, np.ndarray, float | None]] = []

    @property
    def doubt(self) -> float:
        """Net standing doubt: the sum of the rhetorical shocks still in force."""
        return sum(shock[0] for shock in self._shocks)

    @property
    def commitment(self) -> float:
        """Signalled commitment: the stance less any standing doubt."""
        return min(max(self.commitment_base - self.doubt, 0.0), 1.0)

    @property
    def administration(self) -> str:
        return f"commitment target {self.model.p['us_commitment_target']:.2f}"

    # --- scenario hooks ------------------------------------------------------
    def add_doubt(self, size: float, decay_months: float) -> None:
        self._shocks.append([size, decay_months, self.model.month])

    def press_for_ceasefire(self, level: float, until_month: int) -> None:
        self.ceasefire_pressure = level
        self.pressure_until = until_month

    def schedule_troops(self, change: float, unit: str, host: str | None, over_months: int) -> str:
        m = self.model
        troops = m.state.us_troops_k
        hosts = np.zeros(m.n_states, dtype=bool)
        if host is None:
            hosts[:] = True
        else:
            hosts[m.data.index(host)] = True
        current = float(troops[hosts].sum())
        if unit == "fraction":
            delta_hosts = np.where(hosts, troops * change, 0.0)
            delta_total = change * (self.troops_europe_k if host is None else current)
        else:
            share = np.where(hosts, troops, 0.0) / current if current > 0 else hosts / hosts.sum()
            delta_hosts = change * share
            delta_total = change
        last = m.month + over_months - 1
        # A change at one host moves the total by what the host actually loses (never below zero);
        # a change at all hosts scales the whole presence, including troops not assigned to a host.
        per_month_total = None if host is not None else delta_total / over_months
        self._troop_plan.append((last, delta_hosts / over_months, per_month_total))
        where = host or "all hosts"
        months = "1 month" if over_months == 1 else f"{over_months} months"
        return f"US troops {delta_total:+.1f}k ({where}) over {months}"

    # --- process 2 ---------------------------------------------------------
    def update(self, european_spending: float, pledge_norm: float, noise: float) -> None:
        p = self.model.p
        self.burden_grievance = dynamics.burden_grievance(
            self.burden_grievance,
            pledge_norm,
            european_spending,
            p["burden_gap_scale_pp"],
            p["burden_grievance_rate"],
        )
        self.commitment_base = dynamics.us_commitment(
            self.commitment_base,
            p["us_commitment_target"],
            self.burden_grievance,
            p["us_commitment_rate"],
            p["burden_sensitivity"],
            noise,
        )
        month = self.model.month
        for shock in self._shocks:
            if shock[2] < month:
                shock[0] = dynamics.decay(shock[0], shock[1])
        self._shocks = [shock for shock in self._shocks if abs(shock[0]) > 1e-6]
        if self.model.month >= self.pressure_until:
            self.ceasefire_pressure = 0.0
        self._move_troops()

    def _move_troops(self) -> None:
        if not self._troop_plan:
            return
        month = self.model.month
        troops = self.model.state.us_troops_k
        for _last, per_host, total in self._troop_plan:
            before = troops.sum()
            np.maximum(troops + per_host, 0.0, out=troops)
            self.troops_europe_k += total if total is not None else troops.sum() - before
        self.troops_europe_k = max(self.troops_europe_k, 0.0)
        self._troop_plan = [plan for plan in self._troop_plan if plan[0] > month]


class Russia(mesa.Agent):
    """Russia as a simple agent: aggression follows a scenario path; hybrid incidents strike by proximity."""

    def __init__(self, model: AllianceModel, aggression: float) -> None:
        super().__init__(model)
        self.aggression = aggression
        self.target = aggression
        self.ceasefire_holds = False
        self._campaigns: list[tuple[int, float, np.ndarray]] = []  # (until month, multiplier, mask)

    def set_target(self, level: float | None, change: float | None) -> str:
        new = level if level is not None else self.target + change
        new = float(np.clip(new, 0.0, 1.0))
        if new > self.target:
            self.ceasefire_holds = False
        self.target = new
        return f"Russian aggression target {new:.2f}"

    def ceasefire(self, level: float) -> None:
        self.target = level
        self.ceasefire_holds = True

    def start_campaign(self, multiplier: float, mask: np.ndarray, until_month: int) -> None:
        self._campaigns.append((until_month, multiplier, mask))

    def campaign_multiplier(self) -> np.ndarray:
        month = self.model.month
        self._campaigns = [c for c in self._campaigns if c[0] > month]
        factor = np.ones(self.model.n_states)
        for _until, multiplier, mask in self._campaigns:
            factor = np.where(mask, factor * multiplier, factor)
        return factor

    def update(self, noise: float) -> None:
        p = self.model.p
        self.aggression = dynamics.aggression(self.aggression, self.target, p["russia_aggression_rate"], noise)

    def __repr__(self) -> str:
        return f"Russia(aggression={self.aggression:.2f}, {format_month(self.model.month)})"
