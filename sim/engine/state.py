"""The arrays of a batch of R runs, and the scenario hooks that change one row of it.

Shapes: ``N`` states, ``R`` runs (rows), ``T`` months.

- State variables of the member states: (R, N) float64 or bool.
- Per-run scalars (US commitment, troops, Russian aggression, war fatigue, decision counts): (R,).
- Parameters: ``p[name]`` is an (R,) array (float64, or object for the decision-rule choice);
  ``col(name)`` gives it as an (R, 1) column to broadcast against states.
- Geography that depends on membership or network parameters: (R, N) and (R, N, N).

Scenario events change one row through :class:`sim.engine.hooks.RowHooks`.
"""

from __future__ import annotations

import numpy as np

from sim.inputs import network
from sim.inputs.states import StateData
from sim.rules import dynamics
from sim.rules import outcomes as metrics

STREAMS = ("incidents", "elections", "votes", "shocks")
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
FLOAT_STATE = (
    "threat",
    "threat_bias",
    "us_trust",
    "trust_bias",
    "us_reliance",
    "abandonment_fear",
    "spending_pct_gdp",
    "spending_base",
    "autonomy",
    "ukraine_support",
    "autonomy_anchor",
    "support_initial",
    "support_anchor",
    "stubbornness",
    "pledge_adherence",
    "linkage",
    "us_troops_k",
    "threat_reference",
    "trust_reference",
)
BOOL_STATE = ("accommodationist", "eu_member", "nato_member")
AGENT_COLUMNS = STATE_VARIABLES + ("government", "eu_member", "nato_member")
NETWORK_PARAMS = frozenset(
    {
        "network_border_weight",
        "network_grouping_weight",
        "network_comembership_weight",
        "network_size_exponent",
        "network_self_weight",
    }
)
PROXIMITY_PARAMS = frozenset({"proximity_length_km", "proximity_border_weight", "proximity_ukraine_border_weight"})
COUNTS = ("eu_passed", "eu_blocked", "nato_passed", "nato_blocked")


class Batch:
    """R runs of one horizon, advanced together; every array has the run axis first.

    Built by :func:`sim.engine.setup.build_batch`; advanced by :func:`sim.engine.step.step`.
    Attributes are documented in the module docstring; ``month`` is the current month
    index (``12 * year + month - 1``) and ``steps`` the number of months done.
    """

    data: StateData
    n_runs: int
    n_states: int
    start_month: int
    end_month: int
    n_steps: int
    month: int
    date: str
    steps: int
    p: dict[str, np.ndarray]

    def col(self, name: str) -> np.ndarray:
        """Parameter ``name`` as an (R, 1) column."""
        return self.p[name][:, None]

    # ------------------------------------------------------------ derived per-run values
    @property
    def doubt(self) -> np.ndarray:
        """(R,) net standing doubt: the sum of each run's rhetorical shocks still in force, in order."""
        total = np.zeros(self.n_runs)
        for s in range(self.shock_size.shape[1]):
            total = total + self.shock_size[:, s]
        return total

    @property
    def commitment(self) -> np.ndarray:
        """(R,) signalled US commitment: the stance less any standing doubt."""
        if self.shock_size.shape[1] == 0:
            return np.minimum(np.maximum(self.us_base, 0.0), 1.0)
        return np.minimum(np.maximum(self.us_base - self.doubt, 0.0), 1.0)

    @property
    def pledge_norm(self) -> np.ndarray:
        """(R,) the pledge path this month."""
        return dynamics.pledge_norm(self.month, self.pledge_start, self.pledge_end, self.pledge_from, self.pledge_to)

    def update_pledge_path(self, rows: np.ndarray | slice = slice(None)) -> None:
        """(R, T) the pledge path of every month of the horizon, for ``rows`` (after a change of the pledge)."""
        months = self.start_month + np.arange(self.n_steps)
        self.pledge_path[rows] = dynamics.pledge_norm(
            months[None, :],
            self.pledge_start[rows, None],
            self.pledge_end[rows, None],
            self.pledge_from[rows, None],
            self.pledge_to[rows, None],
        )

    def european_spending(self) -> np.ndarray:
        """(R,) GDP-weighted mean spending of the European allies."""
        return (self.spending_pct_gdp * self.ally_weight).sum(axis=1) / self.ally_weight_total

    def trust_signal(self) -> np.ndarray:
        """(R, N) what each state reads from US words and boots (``commitment_now``: this month's commitment)."""
        return dynamics.trust_signal(
            self.commitment_now[:, None],
            self.us_troops_k,
            self.troops_host0,
            self.us_troops_total[:, None],
            self.troops_total0[:, None],
            self.col("host_half_saturation_k"),
            self.col("trust_commitment_weight"),
        )

    def own_motive(self, base: np.ndarray) -> np.ndarray:
        """(R, N) own spending motive, % of GDP: base plus threat and fear, less the free ride on the US."""
        return dynamics.own_spending(
            base,
            self.threat,
            self.abandonment_fear,
            self.us_trust,
            self.us_reliance,
            self.col("spending_threat_coef"),
            self.col("spending_fear_coef"),
            self.col("spending_free_ride_coef"),
        )

    def desired_spending(self, base: np.ndarray) -> np.ndarray:
        """(R, N) desired spending from motives, % of GDP: own motive plus the pull of peers."""
        peers = dynamics.matvec(self.peer_weights, self.spending_pct_gdp)
        return dynamics.desired_spending(self.own_motive(base), self.spending_pct_gdp, peers, self.col("peer_pull"))

    def pledge_plan(self, base: np.ndarray) -> np.ndarray:
        """(R, N) this year's budget on the way to the pledge, % of GDP (0 for states outside NATO).

        The target is the pledge level due at the deadline (``pledge_to``) plus ``pledge_margin_pp``, reached
        to the share of each state's adherence, which US pressure near the deadline raises toward 1
        (:func:`sim.rules.dynamics.deadline_pressure`); the rise is spread over the budget years left to the deadline.
        """
        pressure = dynamics.deadline_pressure(
            self.grievance, self.month, self.deadline_month, self.p["deadline_window_months"]
        )
        adherence = dynamics.effective_adherence(
            self.pledge_adherence * self.pledge_strength[:, None], pressure[:, None], self.col("deadline_pressure_coef")
        )
        line = (self.pledge_to + self.p["pledge_margin_pp"])[:, None]
        reach = self.col("line_reach_pp") * dynamics.unit_interval(
            self.col("deadline_pressure_coef") * pressure[:, None]
        )
        target = dynamics.pledge_target(self.own_motive(base), line, adherence, self.col("pledge_pull"), reach)
        years_left = np.maximum(self.deadline_month // 12 - self.month // 12 + 1, 1).astype(float)[:, None]
        plan = dynamics.pledge_plan(self.spending_pct_gdp, target, years_left)
        return np.where(self.nato_member, plan, 0.0)

    def reliance_drive(self) -> None:
        """One month of the sustained-investment average (R,) and of the fall of US reliance (R, N) in Europe."""
        self.investment = (
            self.investment + (self.european_spending() - self.investment) / self.p["reliance_investment_memory_months"]
        )
        lower = dynamics.reliance_decline(
            self.us_reliance,
            self.investment[:, None],
            self.col("reliance_investment_level_pct"),
            self.col("reliance_investment_scale_pp"),
            self.col("reliance_substitution_rate"),
            self.industry_in_force[:, None].astype(float),
            self.col("reliance_industry_rate"),
        )
        self.us_reliance = np.where(self.europe, lower, self.us_reliance)

    # ------------------------------------------------------------ positions read by agenda items
    @property
    def consent(self) -> np.ndarray:
        """(R, N) support for admitting an applicant on the merits: every state agrees; only linkage delays."""
        return np.ones((self.n_runs, self.n_states))

    @property
    def posture_support(self) -> np.ndarray:
        """(R, N) support for the summit's spending and eastern-flank posture: the state's threat."""
        return self.threat

    @property
    def european_preference(self) -> np.ndarray:
        """(R, N) support for buying European: autonomy, held back by reliance on (and purchases from) the US."""
        return 0.5 * (self.autonomy + 1.0 - self.us_reliance)

    @property
    def ceasefire_acceptance(self) -> np.ndarray:
        """(R, N) acceptance of a US-brokered ceasefire plan on the table, 0-1.

        What the terms cost the state (its support for Ukraine: 1 - support is the acceptance of a settlement)
        against what refusing Washington costs it: its alignment with the US push (reliance times trust, plus
        the extra alignment of an accommodationist government) times the strength of the push, weighted by
        ``ceasefire_alignment_weight``; a frozen front next door weighs against the terms in proportion to the
        state's threat (``ceasefire_frontline_weight``). Clipped to [0, 1].
        """
        alignment = self.us_reliance * self.us_trust + self.accommodationist * self.col(
            "accommodationist_ceasefire_alignment"
        )
        gain = self.col("ceasefire_alignment_weight") * self.pressure[:, None] * alignment
        cost = self.col("ceasefire_frontline_weight") * self.threat
        return np.clip(1.0 - self.ukraine_support + gain - cost, 0.0, 1.0)

    @property
    def eu_cooperation(self) -> np.ndarray:
        """(R, N) support for NATO-EU cooperation: trust in the US (it is NATO's work) times the European pull."""
        return 0.5 * (self.us_trust + self.autonomy)

    # ------------------------------------------------------------ geography
    def derive_geography(self, rows: np.ndarray | None = None) -> None:
        """Proximity, the influence network and the membership masks of ``rows`` (all by default).

        Rows with the same membership and network parameters share one computation.
        """
        d = self.data
        rows = np.arange(self.n_runs) if rows is None else np.asarray(rows)
        keys: dict[tuple, int] = {}
        for r in rows:
            key = (
                self.eu_member[r].tobytes(),
                self.nato_member[r].tobytes(),
                tuple(float(self.p[name][r]) for name in sorted(NETWORK_PARAMS)),
            )
            first = keys.setdefault(key, r)
            if first != r:
                for name in ("influence", "influence_norm", "peer_weights"):
                    getattr(self, name)[r] = getattr(self, name)[first]
                continue
            eu, nato = self.eu_member[r], self.nato_member[r]
            ties = network.tie_strength(
                d.border_matrix,
                list(d.groupings.values()),
                eu,
                nato,
                float(self.p["network_border_weight"][r]),
                float(self.p["network_grouping_weight"][r]),
                float(self.p["network_comembership_weight"][r]),
            )
            participants = ~self.is_usa
            influence = network.influence_matrix(
                ties,
                d.gdp_usd_bn,
                participants,
                float(self.p["network_size_exponent"][r]),
                float(self.p["network_self_weight"][r]),
            )
            self.influence[r] = influence
            self.influence_norm[r] = network.row_normalised(influence)
            # Peers for the spending norm are the states whose budgets the model moves (not Ukraine at war).
            peers = ties * ((eu | nato) & ~self.is_usa)[None, :]
            self.peer_weights[r] = network.row_normalised(
                peers + np.eye(self.n_states) * (peers.sum(1, keepdims=True) == 0)
            )
        self.proximity[rows] = dynamics.proximity(
            d.distance_to_moscow_km,
            d.borders_russia_or_belarus,
            d.borders_ukraine,
            self.p["proximity_length_km"][rows, None],
            self.p["proximity_border_weight"][rows, None],
            self.p["proximity_ukraine_border_weight"][rows, None],
        )
        member = self.eu_member[rows] | self.nato_member[rows]
        self.europe[rows] = member & ~self.is_usa & ~(d.region == "north_america")
        # Hybrid incidents are counted against the allies and EU members; Ukraine is at open war.
        self.targetable[rows] = member & ~self.is_usa
        self.spending_dynamic[rows] = member & ~self.is_usa
        # GDP weights of the European allies (for their mean spending); they change with membership.
        self.ally_weight[rows] = np.where(self.nato_member[rows] & self.europe[rows], d.gdp_usd_bn, 0.0)
        self.ally_weight_total[rows] = self.ally_weight[rows].sum(axis=1)
        self.update_incident_weights(rows)

    def update_incident_weights(self, rows: np.ndarray) -> None:
        """Targeting weights of hybrid incidents (R, N) and their totals (R, 1): they change with geography."""
        self.incident_weight[rows] = dynamics.incident_weights(
            self.proximity[rows], self.p["incident_proximity_exponent"][rows, None], self.targetable[rows]
        )
        self.incident_total[rows] = self.incident_weight[rows].sum(axis=-1, keepdims=True)


def recorded_row(batch: Batch) -> tuple[np.ndarray, ...]:
    """The outcomes recorded as they happen, in the order of RECORDED_OUTCOMES, each (R,)."""
    c = batch.counts
    k = batch.steps
    passed, blocked = c[:, 0] + c[:, 2], c[:, 1] + c[:, 3]
    if k >= 12:  # the cumulative counts a year ago (before the first month: none)
        before = batch.recorded[:, k - 12]
        passed = passed - before[:, _EU_PASSED] - before[:, _NATO_PASSED]
        blocked = blocked - before[:, _EU_PASSED + 1] - before[:, _NATO_PASSED + 1]
    allies = batch.nato_member & batch.europe
    return (
        metrics.cohesion_decisions(passed, blocked),
        metrics.cohesion_burden(batch.spending_pct_gdp, batch.pledge_now[:, None], allies, batch.data.gdp_usd_bn),
        metrics.cohesion_credibility(batch.us_trust, allies),
        batch.commitment_now,
        batch.us_troops_total,
        c[:, 0],
        c[:, 1],
        c[:, 2],
        c[:, 3],
        batch.aid_eu,
        batch.aid_coalition,
        batch.aggression,
        batch.war_fatigue,
        batch.grievance,
        batch.pledge_now,
        batch.incidents_now,
    )


assert metrics.RECORDED_OUTCOMES == (
    "cohesion_decisions",
    "cohesion_burden",
    "cohesion_credibility",
    "us_commitment",
    "us_troops_europe",
    "eu_decisions_passed",
    "eu_decisions_blocked",
    "nato_decisions_passed",
    "nato_decisions_blocked",
    "ukraine_aid_eu",
    "ukraine_aid_coalition",
    "russia_aggression",
    "war_fatigue",
    "burden_grievance",
    "pledge_norm_pct",
    "hybrid_incidents",
), "recorded_row writes the recorded outcomes in this order"
_EU_PASSED = metrics.RECORDED_OUTCOMES.index("eu_decisions_passed")
_NATO_PASSED = metrics.RECORDED_OUTCOMES.index("nato_decisions_passed")
