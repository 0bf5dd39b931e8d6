"""What the engine reads off a batch through the pure rules, and the fields derived from others.

The science is in :mod:`sim.rules.dynamics` and :mod:`sim.inputs.network`; these functions only hand them the
arrays of a :class:`sim.engine.state.Batch` (parameters as (R,) arrays or (R, 1) columns) and, for the
derived fields, store what they return:

- reads shared by set-up, the month's processes and the hooks: the signalled commitment and the pledge
  of this month (ODD 7.2, 7.7), the trust signal (7.5), European spending and the spending motives (7.7);
- derived fields, filled at set-up and again when an event changes what they derive from: the geography
  of ODD 7.0 (proximity, influence network, membership masks, incident weights) and the pledge path (7.7).
"""

from __future__ import annotations

import numpy as np

from sim.engine.state import Batch
from sim.inputs import network
from sim.rules import dynamics

# Parameters the geography derives from: a change of one (a `set` event) derives it again.
NETWORK_PARAMS = frozenset(
    {
        "network_border_weight",
        "network_grouping_weight",
        "network_comembership_weight",
        "network_size_exponent",
        "network_self_weight",
    }
)
PROXIMITY_PARAMS = frozenset(
    {
        "proximity_length_km",
        "proximity_border_weight",
        "proximity_ukraine_border_weight",
        "exposure_sea_weight",
        "exposure_arctic_weight",
        "exposure_history_weight",
    }
)


# ------------------------------------------------------------ reads
def commitment(b: Batch) -> np.ndarray:
    """(R,) signalled US commitment (ODD 7.2, :func:`sim.rules.dynamics.signalled_commitment`)."""
    return dynamics.signalled_commitment(b.us_base, b.shock_size)


def pledge_norm(b: Batch) -> np.ndarray:
    """(R,) the pledge of the current month, % of GDP (ODD 7.7, :func:`sim.rules.dynamics.pledge_norm`)."""
    return dynamics.pledge_norm(b.month, b.pledge_start, b.pledge_end, b.pledge_from, b.pledge_to)


def european_spending(b: Batch) -> np.ndarray:
    """(R,) GDP-weighted mean spending of the European allies, % of GDP (ODD 7.7)."""
    return dynamics.european_spending(b.spending_pct_gdp, b.ally_weight, b.ally_weight_total)


def words(b: Batch) -> np.ndarray:
    """(R, N) the commitment each government reads from US words this month, ODD 7.5 (:func:`dynamics.words_read`)."""
    doubt = dynamics.standing_doubt(b.shock_size) if b.shock_size.shape[1] else np.zeros(b.n_runs)
    return dynamics.words_read(
        b.us_base[:, None], doubt[:, None], b.administration_alignment, b.col("aligned_doubt_discount")
    )


def trust_parts(b: Batch) -> tuple[np.ndarray, np.ndarray]:
    """(R, N) twice: the parts of this month's trust signal from US words and from US troops, ODD 7.5.

    Their sum is :func:`dynamics.trust_signal`; the words' weight falls with exposure (:func:`dynamics.words_weight`).
    """
    weight = dynamics.words_weight(b.col("trust_commitment_weight"), b.exposure, b.col("trust_exposure_tilt"))
    seen = dynamics.presence(
        b.us_troops_k,
        b.troops_host0,
        b.us_troops_total[:, None],
        b.troops_total0[:, None],
        b.col("host_half_saturation_k"),
    )
    return weight * words(b), (1.0 - weight) * seen


def trust_signal(b: Batch) -> np.ndarray:
    """(R, N) this month's trust signal of each state (ODD 7.5); sets ``trust_words`` and ``trust_boots``."""
    b.trust_words, b.trust_boots = trust_parts(b)
    return b.trust_words + b.trust_boots


def stakes(b: Batch) -> np.ndarray:
    """(R, N) what each state has at stake in the US guarantee, ODD 7.5 (:func:`dynamics.trust_stakes`)."""
    return dynamics.trust_stakes(
        b.us_reliance,
        b.exposure,
        b.col("trust_exposure_share"),
        b.nuclear_state,
        b.col("trust_own_deterrent_discount"),
        b.sharing_host,
        b.col("trust_sharing_stake"),
    )


def threat_target(b: Batch) -> np.ndarray:
    """(R, N) the balance-of-threat target of this month, ODD 7.4 (:func:`dynamics.threat_target`)."""
    return dynamics.threat_target(
        b.aggression[:, None],
        b.exposure,
        b.col("threat_distance_floor"),
        b.russia_aligned,
        b.col("threat_accommodation_discount"),
        b.affinity,
        b.col("threat_affinity_discount"),
    )


def own_motive(b: Batch, base: np.ndarray) -> np.ndarray:
    """(R, N) own spending motive from ``base`` (R, N), % of GDP (ODD 7.7, :func:`sim.rules.dynamics.own_spending`)."""
    return dynamics.own_spending(
        base,
        b.threat,
        b.abandonment_fear,
        b.us_trust,
        b.us_reliance,
        b.col("spending_threat_coef"),
        b.col("spending_fear_coef"),
        b.col("spending_free_ride_coef"),
    )


def desired_spending(b: Batch, base: np.ndarray) -> np.ndarray:
    """(R, N) desired spending, % of GDP: own motive plus the pull of peers (ODD 7.7)."""
    peers = dynamics.matvec(b.peer_weights, b.spending_pct_gdp)
    return dynamics.desired_spending(own_motive(b, base), b.spending_pct_gdp, peers, b.col("peer_pull"))


# ------------------------------------------------------------ derived fields
def fill_pledge_path(b: Batch, rows: np.ndarray | slice = slice(None)) -> None:
    """``pledge_path`` (R, T): the pledge of every month of the horizon, for ``rows`` (after a change of the pledge)."""
    months = b.start_month + np.arange(b.n_steps)
    b.pledge_path[rows] = dynamics.pledge_norm(
        months[None, :],
        b.pledge_start[rows, None],
        b.pledge_end[rows, None],
        b.pledge_from[rows, None],
        b.pledge_to[rows, None],
    )


def derive_geography(b: Batch, rows: np.ndarray | None = None) -> None:
    """Proximity, the influence network and the membership masks of ``rows`` (all by default), ODD 7.0.

    Rows with the same membership and network parameters share one computation.
    """
    d = b.data
    rows = np.arange(b.n_runs) if rows is None else np.asarray(rows)
    keys: dict[tuple, int] = {}
    for r in rows:
        key = (
            b.eu_member[r].tobytes(),
            b.nato_member[r].tobytes(),
            tuple(float(b.p[name][r]) for name in sorted(NETWORK_PARAMS)),
        )
        first = keys.setdefault(key, r)
        if first != r:
            for name in ("influence", "influence_norm", "peer_weights"):
                getattr(b, name)[r] = getattr(b, name)[first]
            continue
        eu, nato = b.eu_member[r], b.nato_member[r]
        ties = network.tie_strength(
            d.border_matrix,
            list(d.groupings.values()),
            eu,
            nato,
            float(b.p["network_border_weight"][r]),
            float(b.p["network_grouping_weight"][r]),
            float(b.p["network_comembership_weight"][r]),
        )
        participants = ~b.is_usa
        influence = network.influence_matrix(
            ties,
            d.gdp_usd_bn,
            participants,
            float(b.p["network_size_exponent"][r]),
            float(b.p["network_self_weight"][r]),
        )
        b.influence[r] = influence
        b.influence_norm[r] = network.row_normalised(influence)
        # Peers for the spending norm are the states whose budgets the model moves (not Ukraine at war).
        peers = ties * ((eu | nato) & ~b.is_usa)[None, :]
        b.peer_weights[r] = network.row_normalised(peers + np.eye(b.n_states) * (peers.sum(1, keepdims=True) == 0))
    b.proximity[rows] = dynamics.proximity(
        d.distance_to_moscow_km,
        d.borders_russia_or_belarus,
        d.borders_ukraine,
        b.p["proximity_length_km"][rows, None],
        b.p["proximity_border_weight"][rows, None],
        b.p["proximity_ukraine_border_weight"][rows, None],
    )
    b.exposure[rows] = dynamics.exposure(
        b.proximity[rows],
        b.sea_coast,
        b.arctic,
        b.soviet_past,
        b.p["exposure_sea_weight"][rows, None],
        b.p["exposure_arctic_weight"][rows, None],
        b.p["exposure_history_weight"][rows, None],
    )
    member = b.eu_member[rows] | b.nato_member[rows]
    b.europe[rows] = member & ~b.is_usa & ~(d.region == "north_america")
    # Hybrid incidents are counted against the allies and EU members; Ukraine is at open war.
    b.targetable[rows] = member & ~b.is_usa
    b.spending_dynamic[rows] = member & ~b.is_usa
    # GDP weights of the European allies (for their mean spending); they change with membership.
    b.ally_weight[rows] = np.where(b.nato_member[rows] & b.europe[rows], d.gdp_usd_bn, 0.0)
    b.ally_weight_total[rows] = b.ally_weight[rows].sum(axis=1)
    update_incident_weights(b, rows)


def update_incident_weights(b: Batch, rows: np.ndarray) -> None:
    """Targeting weights of hybrid incidents (R, N) and their totals (R, 1) of ``rows``: they change with geography."""
    b.incident_weight[rows] = dynamics.incident_weights(
        b.proximity[rows], b.p["incident_proximity_exponent"][rows, None], b.targetable[rows]
    )
    b.incident_total[rows] = b.incident_weight[rows].sum(axis=-1, keepdims=True)
