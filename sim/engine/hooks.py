"""The scenario hooks: what events (and Mesa users) call to change one run of a batch.

:class:`RowHooks` offers the methods scenario events call
(``model.united_states.schedule_troops``, ``model.coerce``, ``model.join``, ...)
and applies them to one row of a :class:`sim.engine.state.Batch`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.engine import derived
from sim.engine.derived import NETWORK_PARAMS, PROXIMITY_PARAMS
from sim.engine.state import Batch
from sim.inputs import parameters as params
from sim.inputs.states import StateData
from sim.rules import dynamics
from sim.rules.events import NoChange
from sim.util.calendar import format_month


class RowHooks:
    """One row of a batch, seen through the methods that scenario events call.

    ``event.apply(RowHooks(batch, r))`` changes run ``r`` only; ``united_states``,
    ``russia`` and ``agenda`` are the hooks themselves, so an event's
    ``model.united_states.schedule_troops(...)`` lands here too.
    """

    def __init__(self, batch: Batch, row: int) -> None:
        self.batch = batch
        self.row = row
        self.united_states = self
        self.russia = self
        self.agenda = self

    @property
    def data(self) -> StateData:
        return self.batch.data

    @property
    def n_states(self) -> int:
        return self.batch.n_states

    @property
    def month(self) -> int:
        return self.batch.month

    # --- parameters and state ------------------------------------------------
    def set_parameter(self, name: str, value: float | str) -> None:
        b, r = self.batch, self.row
        old = b.p[name][r]
        b.p[name][r] = params.check_name(name).check(value)
        if name == "pledge_core_pct" and value != old:
            deadline = 12 * int(b.p["pledge_deadline_year"][r]) + 11
            norm = derived.pledge_norm(b)[r]
            b.pledge_start[r], b.pledge_end[r] = b.month, deadline
            b.pledge_from[r], b.pledge_to[r] = norm, float(value)
        if name == "pledge_deadline_year":
            b.pledge_end[r] = 12 * int(value) + 11
        if name in ("pledge_core_pct", "pledge_deadline_year"):
            derived.fill_pledge_path(b, np.array([r]))
            if b.pledge_end[r] > b.pledge_start[r]:  # a raised pledge: its deadline is the one pressed
                b.deadline_month[r] = b.pledge_end[r]
                b.pledge_strength[r] = 1.0  # a raised pledge is a firm commitment ("commit to ... by")
        if name == "war_fatigue_rate":  # the habituation is derived from the rate (section 7.3): derive it again
            b.fatigue_habituation[r] = dynamics.fatigue_habituation(
                b.fatigue0[r], b.p["war_fatigue_rate"][r], b.p["russia_aggression_initial"][r]
            )
        if name == "stubbornness_scale":
            b.stubbornness_effective[r] = np.clip(b.stubbornness[r] * value, 0.0, 1.0)
        if name in NETWORK_PARAMS or name in PROXIMITY_PARAMS:
            derived.derive_geography(b, np.array([r]))
        if name == "incident_proximity_exponent":
            derived.update_incident_weights(b, np.array([r]))

    def coerce(self, index: int, size: float) -> None:
        b, r = self.batch, self.row
        others = b.europe[r].copy()
        others[index] = False
        trust = b.us_trust[r]
        trust[index] = max(trust[index] - size, 0.0)
        # The others lose by how like the target they stand (neighbours, formats, exposure; ODD 7.5).
        similarity = dynamics.coercion_similarity(b.borders, b.grouping_masks, b.issues, index)
        share = dynamics.coercion_spill_share(
            similarity, b.p["coercion_spillover"][r], b.p["coercion_spillover_floor"][r]
        )
        b.us_trust[r] = np.where(others, np.maximum(trust - size * share, 0.0), trust)
        b.coercion_level[r] = max(b.coercion_level[r], size)

    def set_government(self, index: int, accommodationist: bool) -> None:
        b, r = self.batch, self.row
        b.accommodationist[r, index] = accommodationist
        b.support_anchor[r, index] = dynamics.government_support_anchor(
            b.support_initial[r, index],
            accommodationist,
            b.p["accommodationist_support_anchor"][r],
            b.p["mainstream_support_floor"][r],
        )

    def join(self, index: int, body: str) -> str:
        """Make state ``index`` a member of ``body`` (``eu`` or ``nato``); a :class:`NoChange` if it is one already."""
        b, r = self.batch, self.row
        mask = b.eu_member if body == "eu" else b.nato_member
        code = b.data.iso3[index]
        if mask[r, index]:
            return NoChange(f"{code} already in {body.upper()}")
        mask[r, index] = True
        derived.derive_geography(b, np.array([r]))
        return f"{code} joins {body.upper()}"

    # --- United States -------------------------------------------------------
    def add_doubt(self, size: float, decay_months: float) -> None:
        b, r = self.batch, self.row
        slot = int(b.shock_count[r])
        if slot == b.shock_size.shape[1]:
            grow = max(4, slot)
            b.shock_size = np.concatenate([b.shock_size, np.zeros((b.n_runs, grow))], axis=1)
            b.shock_decay = np.concatenate([b.shock_decay, np.ones((b.n_runs, grow))], axis=1)
            b.shock_month = np.concatenate([b.shock_month, np.full((b.n_runs, grow), np.iinfo(np.int64).max)], axis=1)
        b.shock_size[r, slot], b.shock_decay[r, slot], b.shock_month[r, slot] = size, decay_months, b.month
        b.shock_count[r] = slot + 1

    def press_for_ceasefire(self, level: float, until_month: int) -> None:
        b, r = self.batch, self.row
        b.pressure[r] = level
        b.pressure_until[r] = until_month

    def schedule_troops(self, change: float, unit: str, host: str | None, over_months: int) -> str:
        b, r = self.batch, self.row
        troops = b.us_troops_k[r]
        hosts = np.zeros(b.n_states, dtype=bool)
        if host is None:
            hosts[:] = True
        else:
            hosts[b.data.index(host)] = True
        current = float(troops[hosts].sum())
        if unit == "fraction":
            delta_hosts = np.where(hosts, troops * change, 0.0)
            delta_total = change * (float(b.us_troops_total[r]) if host is None else current)
        else:
            share = np.where(hosts, troops, 0.0) / current if current > 0 else hosts / hosts.sum()
            delta_hosts = change * share
            delta_total = change
        last = b.month + over_months - 1
        # A change at one host moves the total by what the host actually loses (never below zero);
        # a change at all hosts scales the whole presence, including troops not assigned to a host.
        per_month_total = None if host is not None else delta_total / over_months
        b.troop_plans.setdefault(r, []).append((last, delta_hosts / over_months, per_month_total))
        where = host or "all hosts"
        months = "1 month" if over_months == 1 else f"{over_months} months"
        return f"US troops {delta_total:+.1f}k ({where}) over {months}"

    # --- Russia -------------------------------------------------------------------
    def set_target(self, level: float | None, change: float | None) -> str:
        b, r = self.batch, self.row
        new = level if level is not None else b.russia_target[r] + change
        new = float(np.clip(new, 0.0, 1.0))
        if new > b.russia_target[r]:
            b.ceasefire_holds[r] = False
        b.russia_target[r] = new
        return f"Russian aggression target {new:.2f}"

    def ceasefire(self, level: float) -> None:
        b, r = self.batch, self.row
        b.russia_target[r] = level
        b.ceasefire_holds[r] = True

    def start_campaign(self, multiplier: float, mask: np.ndarray, until_month: int) -> None:
        self.batch.campaigns.setdefault(self.row, []).append((until_month, multiplier, mask))

    # --- agenda -------------------------------------------------------------------
    def table_ceasefire_endorsement(self, month: int) -> None:
        from sim.rules.institutions import CEASEFIRE_ITEMS

        self.batch.one_offs.setdefault(month, []).extend((self.row, item) for item in CEASEFIRE_ITEMS)

    def retable(self, month: int, item: Any, vetoers: np.ndarray) -> None:
        self.batch.retabled.setdefault(month, []).append((self.row, item, vetoers))

    def request_accession(self, index: int) -> str:
        """Table the ratification of state ``index``'s NATO membership for next month; a NoChange if a member."""
        from sim.rules.institutions import accession_item

        b, r = self.batch, self.row
        code = b.data.iso3[index]
        if b.nato_member[r, index]:
            return NoChange(f"{code} already in NATO")
        item = accession_item(index, int(b.accession_requests[r]))
        b.accession_requests[r] += 1
        b.one_offs.setdefault(b.month + 1, []).append((r, item))
        return f"{code} applies to join NATO; ratification votes from {format_month(b.month + 1)}"
