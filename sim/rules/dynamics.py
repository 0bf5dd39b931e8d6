"""The update rules, as pure functions on arrays of all states.

Each function takes the previous state (numpy arrays over the states) and
parameters and returns the new values; none of them touches the model or
Mesa. Every rule is one vectorised expression over the trailing (state)
axis, so the same rule moves one run (arrays of shape (N,)) or a batch of
runs ((R, N), with parameters as scalars or (R, 1) columns) and each rule
can be tested alone. Sums over pairs of states go through the compiled
per-row loops of :mod:`sim.compiled.kernels` and :mod:`sim.compiled.rowops`, whose rounding does not depend on
the batch size. Equations are
written out in ``docs/ODD.md`` (section 7, submodels).
"""

from __future__ import annotations

import numpy as np

from sim.compiled import kernels
from sim.compiled.rowops import matvec


def unit_interval(x: np.ndarray) -> np.ndarray:
    """Clip to [0, 1] (two ufuncs: cheaper than np.clip on small arrays)."""
    return np.minimum(np.maximum(x, 0.0), 1.0)


def _clip01(x: np.ndarray | float) -> np.ndarray | float:
    return np.minimum(np.maximum(x, 0.0), 1.0)


# --- geography -------------------------------------------------------------------


def proximity(
    distance_km: np.ndarray,
    borders_russia_or_belarus: np.ndarray,
    borders_ukraine: np.ndarray,
    length_km: float,
    border_weight: float,
    ukraine_border_weight: float,
) -> np.ndarray:
    """Proximity to Russia in [0, 1]: a land border plus exponential decay with capital distance."""
    rest = 1.0 - border_weight - ukraine_border_weight
    return (
        border_weight * borders_russia_or_belarus
        + ukraine_border_weight * borders_ukraine
        + rest * np.exp(-distance_km / length_km)
    )


# --- 2. United States --------------------------------------------------------------


def burden_grievance(
    grievance: float, pledge_norm: float, european_spending: float, gap_scale: float, rate: float
) -> float:
    """US grievance moves toward the (saturating) gap between the pledge path and European spending."""
    target = np.minimum(np.maximum((pledge_norm - european_spending) / gap_scale, 0.0), 1.0)
    return grievance + rate * (target - grievance)


def us_commitment(
    base: float,
    target: float,
    grievance: float,
    rate: float,
    burden_sensitivity: float,
    noise: float,
) -> float:
    """Underlying commitment follows the administration's stance less the burden-sharing term."""
    goal = target - burden_sensitivity * grievance
    return _clip01(base + rate * (goal - base) + noise)


def decay(value: np.ndarray | float, months: float) -> np.ndarray | float:
    """One month of exponential decay with time constant ``months``."""
    return value * np.exp(-1.0 / months)


def standing_doubt(shock_size: np.ndarray) -> np.ndarray:
    """(R,) net standing doubt: the sum of each run's rhetorical shocks still in force (R, S), in slot order."""
    total = np.zeros(shock_size.shape[0])
    for s in range(shock_size.shape[1]):
        total = total + shock_size[:, s]
    return total


def signalled_commitment(base: np.ndarray, shock_size: np.ndarray) -> np.ndarray:
    """(R,) signalled US commitment, ``clip01(base - doubt)``: the stance (R,) less the standing doubt (R, S)."""
    if shock_size.shape[1] == 0:
        return np.minimum(np.maximum(base, 0.0), 1.0)
    return np.minimum(np.maximum(base - standing_doubt(shock_size), 0.0), 1.0)


# --- 3. Russia ------------------------------------------------------------------------


def aggression(level: float, target: float, rate: float, noise: float) -> float:
    return _clip01(level + rate * (target - level) + noise)


def incident_probabilities(
    rate: float, proximity: np.ndarray, exponent: float, multiplier: np.ndarray, eligible: np.ndarray
) -> np.ndarray:
    """Chance of a hybrid incident in each state this month.

    The alliance-wide expected count is ``rate``; targets are chosen with
    weight proximity**exponent, scaled by any campaign multiplier.
    """
    weight = incident_weights(proximity, exponent, eligible)
    return incident_chance(rate, multiplier, weight, weight.sum(axis=-1, keepdims=True))


def incident_weights(proximity: np.ndarray, exponent: float | np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Targeting weight of each state: proximity**exponent for the eligible states, else 0."""
    # Both operands full and contiguous: numpy's vectorised power then computes every element the same way,
    # whatever the number of rows (a broadcast exponent can take another code path).
    base, power = (np.ascontiguousarray(a, dtype=float) for a in np.broadcast_arrays(proximity, exponent))
    return np.where(eligible, np.power(base, power), 0.0)


def incident_chance(
    rate: float | np.ndarray, multiplier: np.ndarray, weight: np.ndarray, total: np.ndarray
) -> np.ndarray:
    """Chance per state from the targeting weights and their total over the states (``weight.sum(-1)``)."""
    chance = unit_interval(rate * multiplier * weight / np.where(total > 0.0, total, 1.0))
    return np.where(total > 0.0, chance, 0.0)


# --- 4. Threat ------------------------------------------------------------------------


def exposure(
    proximity: np.ndarray,
    sea_coast: np.ndarray,
    arctic: np.ndarray,
    soviet_past: np.ndarray,
    sea_weight: float,
    arctic_weight: float,
    history_weight: float,
) -> np.ndarray:
    """Exposure to Russia in [0, 1]: proximity by land plus the sea, the Arctic and history.

    ``clip01(proximity + sea_weight * sea_coast + arctic_weight * arctic + history_weight * soviet_past)``:
    a coast on the Baltic or the Black Sea (where Russia's fleets, shadow fleet and cable incidents are),
    membership of the Arctic Council (the High North), and a past inside the Soviet Union or the Warsaw Pact
    each add to what distance alone gives (data: ``sim/data/exposure.csv``). Shapes: (R, N) or (N,) with
    scalars or (R, 1) weights; unitless, 0-1.
    """
    return unit_interval(proximity + sea_weight * sea_coast + arctic_weight * arctic + history_weight * soviet_past)


def threat_target(
    aggression: float,
    exposure: np.ndarray,
    floor: float,
    accommodationist: np.ndarray | float = 0.0,
    accommodation_discount: float = 0.0,
    affinity: np.ndarray | float = 0.0,
    affinity_discount: float = 0.0,
) -> np.ndarray:
    """Balance of threat (Walt 1987): intentions (aggression) scaled by the exposure a state sees.

    ``aggression * (floor + (1 - floor) * clip01(exposure - accommodation_discount * accommodationist -
    affinity_discount * affinity))``: a state whose government sought accommodation with Moscow
    (``accommodationist``, 0/1) discounts its own exposure, and so does a public with cultural ties to
    Russia (``affinity``, 0/1: an Orthodox-majority state; Pew Research Center 2017, sim/data/SOURCES.md).
    Shapes: (R, N) with (R, 1) aggression and parameters; 0-1.
    """
    seen = unit_interval(exposure - accommodation_discount * accommodationist - affinity_discount * affinity)
    return aggression * (floor + (1.0 - floor) * seen)


def deterrence_gap(
    aggression: np.ndarray, exposure: np.ndarray, signal: np.ndarray, signal0: np.ndarray, coef: float
) -> np.ndarray:
    """Threat added when the US guarantee thins: ``coef * aggression * exposure * max(signal0 - signal, 0)``.

    ``signal`` is what a state reads from US words and boots (:func:`trust_signal`), ``signal0`` its value at
    the start; exposed states feel a fall most, and only while Russia is aggressive.
    Shapes: (R, N) with (R, 1) aggression; unit interval.
    """
    return coef * aggression * exposure * np.maximum(signal0 - signal, 0.0)


def threat(
    threat: np.ndarray,
    target: np.ndarray,
    rate: float,
    incidents: np.ndarray,
    neighbours: np.ndarray,
    jump: float,
    neighbour_share: float,
    influence: np.ndarray,
    social_weight: float,
) -> np.ndarray:
    """Move toward the target, jump after incidents (own and neighbours'), average with trusted states.

    ``influence`` is row-normalised; ``neighbours`` is the land-border matrix.
    """
    hit = incidents.astype(float)  # matvec: the compiled per-row product of sim.compiled.rowops
    shocked = threat + rate * (target - threat) + jump * (hit + neighbour_share * matvec(neighbours, hit))
    return unit_interval((1.0 - social_weight) * shocked + social_weight * matvec(influence, shocked))


def threat_fixed_point(
    target: np.ndarray,
    rate: float,
    expected_incidents: np.ndarray,
    neighbours: np.ndarray,
    jump: float,
    neighbour_share: float,
    influence: np.ndarray,
    social_weight: float,
) -> np.ndarray:
    """Steady state of :func:`threat` with incidents at their expected rate (a linear solve).

    With A = (1 - m) I + m W, the update is T' = A((1 - r) T + r target + J);
    its fixed point solves (I - (1 - r) A) T = A (r target + J).
    """
    n = len(target)
    mix = (1.0 - social_weight) * np.eye(n) + social_weight * influence
    shocks = jump * (expected_incidents + neighbour_share * (neighbours @ expected_incidents))
    return unit_interval(np.linalg.solve(np.eye(n) - (1.0 - rate) * mix, mix @ (rate * target + shocks)))


def threat_bias(gap: np.ndarray, rate: float, influence: np.ndarray, social_weight: float) -> np.ndarray:
    """(N,) the constant added to the threat target that moves the steady state of :func:`threat` by ``gap``.

    The steady state is linear in the target, ``T = r (I - (1 - r) A)^-1 A target + ...`` with
    A = (1 - m) I + m W (:func:`threat_fixed_point`), so the bias is ``(1/r) A^-1 (I - (1 - r) A) gap``: a state
    held at a poll's level keeps it, and its neighbours keep theirs, in spite of social sharing.
    """
    n = len(gap)
    mix = (1.0 - social_weight) * np.eye(n) + social_weight * influence
    return np.linalg.solve(mix, (np.eye(n) - (1.0 - rate) * mix) @ gap) / rate


def poll_levels(model: np.ndarray, poll: np.ndarray, polled: np.ndarray) -> np.ndarray:
    """(N,) a poll's cross-section on the model's scale: the model's own levels of the polled states, re-ordered
    as the poll orders them.

    The poll (share of respondents, 0-1) sets the order of the ``polled`` states; the model's levels of those
    states (their sorted values) set the scale, so the mean and spread of the model are kept and a poll
    whose shares are bunched or skewed cannot push a state outside the model's range. Ties in the poll share
    the mean of their levels. States outside ``polled`` keep ``model``.
    """
    from scipy.stats import rankdata  # here: scipy.stats is slow to import and only set-up needs it

    out = np.array(model, dtype=float)
    if polled.sum() < 2:
        return out
    levels = np.sort(out[polled])
    ranks = rankdata(poll[polled])  # 1..k, ties averaged
    out[polled] = np.interp(ranks, np.arange(1, len(levels) + 1), levels)
    return out


def poll_deviation(poll: np.ndarray, polled: np.ndarray, predictor: np.ndarray, members: np.ndarray) -> np.ndarray:
    """(N,) each state's distance from the poll's mean over the ``polled`` states, in the units of ``poll``.

    A member of ``members`` without a poll takes the distance that ``predictor`` (for trust: Atlanticism,
    ``1 - autonomy`` of sim/data/assumptions.csv) predicts by a least-squares line through the polled states;
    0 with fewer than three polled states or no spread in the predictor, and for states outside ``members``.
    """
    out = np.zeros(len(poll))
    if not polled.any():
        return out
    deviation = poll - poll[polled].mean()
    out[polled] = deviation[polled]
    x = predictor[polled]
    if polled.sum() >= 3 and np.ptp(x) > 0:
        slope = np.sum((x - x.mean()) * deviation[polled]) / np.sum((x - x.mean()) ** 2)
        rest = members & ~polled
        out[rest] = slope * (predictor[rest] - x.mean())
    return out


def log_odds(share: np.ndarray) -> np.ndarray:
    """The log-odds ``log(p / (1 - p))`` of shares, clipped to [0.01, 0.99] first (nan stays nan)."""
    p = np.clip(share, 0.01, 0.99)
    return np.log(p / (1.0 - p))


def from_log_odds(x: np.ndarray) -> np.ndarray:
    """The share of log-odds ``x``: ``1 / (1 + exp(-x))``."""
    return 1.0 / (1.0 + np.exp(-x))


# --- 5. US trust --------------------------------------------------------------------------


def words_read(base: np.ndarray, doubt: np.ndarray, alignment: np.ndarray, discount: float) -> np.ndarray:
    """(R, N) the US commitment each government reads from Washington's words, 0-1.

    ``clip01(base - doubt * (1 - discount * alignment))``: the stance ``base`` (R, 1) less the standing doubt
    ``doubt`` (R, 1, :func:`standing_doubt`), of which a government close to the administration of the day
    (``alignment``, 0-1) discounts the share ``discount`` (it reads the doubt as aimed at others).
    """
    return unit_interval(base - doubt * (1.0 - discount * alignment))


def words_weight(weight: float, exposure: np.ndarray, tilt: float) -> np.ndarray:
    """(R, N) the weight of words against boots in a state's trust signal: ``clip01(weight + tilt * (0.5 - exposure))``.

    A state of middling exposure weighs words at ``weight``; an exposed one reads US troops more (their
    presence is its tripwire), a distant one reads words more (boots far away are not its own guarantee).
    """
    return unit_interval(weight + tilt * (0.5 - exposure))


def trust_signal(
    words: np.ndarray,
    troops_host: np.ndarray,
    troops_host0: np.ndarray,
    troops_total: float,
    troops_total0: float,
    half_saturation: float,
    weight: np.ndarray,
) -> np.ndarray:
    """What each state reads from US words and US boots: ``weight * words + (1 - weight) * presence``.

    ``words`` (R, N) is :func:`words_read`, ``weight`` (R, N) :func:`words_weight`. A host weighs its own garrison
    by troops0 / (troops0 + half_saturation), the alliance total by the rest: a drawdown hurts the host most.
    """
    return weight * words + (1.0 - weight) * presence(
        troops_host, troops_host0, troops_total, troops_total0, half_saturation
    )


def presence(
    troops_host: np.ndarray,
    troops_host0: np.ndarray,
    troops_total: float,
    troops_total0: float,
    half_saturation: float,
) -> np.ndarray:
    """(R, N) US presence as a state sees it, 0-1: its own garrison and the alliance total against the start."""
    host_weight = troops_host0 / (troops_host0 + half_saturation)
    host_ratio = np.divide(troops_host, troops_host0, out=np.ones_like(troops_host), where=troops_host0 > 0)
    total0 = np.asarray(troops_total0, dtype=float)
    total_ratio = np.divide(troops_total, total0, out=np.ones_like(total0), where=total0 > 0)
    return unit_interval(host_weight * host_ratio + (1.0 - host_weight) * total_ratio)


def trust_stakes(
    reliance: np.ndarray,
    exposure: np.ndarray,
    exposure_share: float,
    nuclear_state: np.ndarray,
    own_deterrent_discount: float,
    sharing_host: np.ndarray,
    sharing_stake: float,
) -> np.ndarray:
    """(R, N) what a state has at stake in the US guarantee, 0-1: how closely it watches US signals.

    ``clip01(((1 - e) * reliance + e * exposure) * (1 - d * nuclear_state) + h * sharing_host)``: dependence on
    the US and exposure to Russia raise it; a deterrent of its own (France, the United Kingdom) lowers it by the
    share ``d``; hosting US nuclear weapons under NATO's nuclear sharing raises it by ``h``.
    """
    mix = (1.0 - exposure_share) * reliance + exposure_share * exposure
    return unit_interval(mix * (1.0 - own_deterrent_discount * nuclear_state) + sharing_stake * sharing_host)


def us_trust(
    trust: np.ndarray, signal: np.ndarray, stakes: np.ndarray, rate: float, attention_floor: float
) -> np.ndarray:
    """Trust follows the signal; states with more at stake (:func:`trust_stakes`) watch it more closely."""
    attention = attention_floor + (1.0 - attention_floor) * stakes
    return unit_interval(trust + rate * attention * (signal - trust))


def coercion_similarity(borders: np.ndarray, groupings: np.ndarray, issues: np.ndarray, target: int) -> np.ndarray:
    """(N,) how like the coerced state ``target`` each state stands, 0-1 (1 for the target itself).

    The mean of three indicators: a land border with the target (``borders`` (N, N)); the share of the
    target's small formats the state shares (``groupings`` (G, N) bool); the share of the target's exposures
    (``issues`` (K, N) bool: Arctic, Baltic, Black Sea) the state shares, the issues a coercion of the target is
    likely about. Coercion of one ally tells the others most about their own prospects where they stand where
    it stands.
    """
    border = borders[target].astype(float)
    own_groups = groupings[:, target]
    shared_groups = (groupings & own_groups[:, None]).sum(axis=0) / max(own_groups.sum(), 1)
    own_issues = issues[:, target]
    shared_issues = (issues & own_issues[:, None]).sum(axis=0) / max(own_issues.sum(), 1)
    similarity = (border + shared_groups + shared_issues) / 3.0
    similarity[target] = 1.0
    return similarity


def coercion_spill_share(similarity: np.ndarray, spillover: float, floor: float) -> np.ndarray:
    """(N,) the share of the target's trust loss each other state loses: ``spillover * (floor + (1 - floor) * sim)``."""
    return spillover * (floor + (1.0 - floor) * similarity)


# --- 6. Abandonment fear -------------------------------------------------------------------


def abandonment_fear(reliance: np.ndarray, trust: np.ndarray, threat: np.ndarray) -> np.ndarray:
    """Snyder (1984): fear of abandonment = dependence x doubt x danger."""
    return reliance * (1.0 - trust) * threat


# --- 7. Spending ---------------------------------------------------------------------------


def own_spending(
    base: np.ndarray,
    threat: np.ndarray,
    fear: np.ndarray,
    trust: np.ndarray,
    reliance: np.ndarray,
    threat_coef: float,
    fear_coef: float,
    free_ride_coef: float,
) -> np.ndarray:
    """Joint-product model (Sandler & Forbes 1980): threat and fear buy defence, trust in the US buys a free ride."""
    return base + threat_coef * threat + fear_coef * fear - free_ride_coef * trust * reliance


def desired_spending(
    own: np.ndarray,
    spending: np.ndarray,
    peer_level: np.ndarray,
    peer_pull: float,
) -> np.ndarray:
    """Desired spending from motives: the own motive plus a push toward better-spending peers.

    The gap to peers is measured from actual spending, so the push fades as a state catches up.
    Shapes: (..., N) with scalars or (R, 1) columns; pp of GDP.
    """
    return own + peer_pull * np.maximum(peer_level - spending, 0.0)


def pledge_target(
    own: np.ndarray, line: np.ndarray, adherence: np.ndarray, pledge_pull: float, reach: np.ndarray | float = 0.0
) -> np.ndarray:
    """Where a state means to be when the pledge falls due: ``own + pull * adherence * max(line - own, 0)``.

    A fully adherent state means to meet the line; a laggard closes only the share ``adherence`` of the
    gap between its own motive and the line; a state whose motive is above the line (high threat) is not
    held back by it. A state that would end within ``reach`` of the line goes to the line itself: missing a
    visible threshold by a little costs more than the last step (bunching at the line). Shapes: (..., N)
    with (R, 1) line and reach; pp of GDP.
    """
    target = own + pledge_pull * adherence * np.maximum(line - own, 0.0)
    return np.where(target >= line - reach, np.maximum(target, line), target)


def pledge_plan(spending: np.ndarray, target: np.ndarray, years_left: np.ndarray) -> np.ndarray:
    """This year's budget on the way to the pledge target: an equal share of the rise in each year left.

    ``spending + max(target - spending, 0) / years_left`` (``years_left`` >= 1, the budget year counted):
    spread over the years to the deadline, the rise meets the target in the deadline year; a pledge is a
    floor, never a reason to cut. Shapes: (R, N) with (R, 1) years; pp of GDP.
    """
    return spending + np.maximum(target - spending, 0.0) / years_left


def european_spending(spending: np.ndarray, ally_weight: np.ndarray, ally_weight_total: np.ndarray) -> np.ndarray:
    """(R,) GDP-weighted mean spending of the European allies, % of GDP.

    ``spending`` (R, N); ``ally_weight`` (R, N) is the GDP of the European allies (0 for other states) and
    ``ally_weight_total`` (R,) its sum.
    """
    return (spending * ally_weight).sum(axis=1) / ally_weight_total


def pledge_budget_plan(
    spending: np.ndarray,
    own: np.ndarray,
    adherence: np.ndarray,
    strength: np.ndarray,
    nato_member: np.ndarray,
    grievance: np.ndarray,
    month: int,
    deadline: np.ndarray,
    window: np.ndarray,
    pressure_coef: np.ndarray,
    pledge_to: np.ndarray,
    margin: np.ndarray,
    pledge_pull: np.ndarray,
    line_reach: np.ndarray,
) -> np.ndarray:
    """(R, N) this year's budget on the way to the pledge, % of GDP (0 for states outside NATO).

    The target is the pledge level due at the deadline (``pledge_to`` + ``margin``, (R,)), reached to the share
    of each state's adherence (``adherence`` (R, N) times the pledge's ``strength`` (R,)), which US pressure near
    the deadline raises toward 1 (:func:`deadline_pressure` of ``grievance``, ``deadline`` and ``window``, all
    (R,); :func:`effective_adherence`); a state within ``line_reach`` (scaled by the pressure) of the line goes to
    it (:func:`pledge_target`, from the own motive ``own`` (R, N)); the rise is spread over the budget years
    left to the deadline (:func:`pledge_plan`). ``pressure_coef``, ``pledge_pull`` and ``line_reach`` are (R, 1).
    """
    pressure = deadline_pressure(grievance, month, deadline, window)
    adherence = effective_adherence(adherence * strength[:, None], pressure[:, None], pressure_coef)
    line = (pledge_to + margin)[:, None]
    reach = line_reach * unit_interval(pressure_coef * pressure[:, None])
    target = pledge_target(own, line, adherence, pledge_pull, reach)
    years_left = np.maximum(deadline // 12 - month // 12 + 1, 1).astype(float)[:, None]
    plan = pledge_plan(spending, target, years_left)
    return np.where(nato_member, plan, 0.0)


def effective_adherence(adherence: np.ndarray, pressure: np.ndarray, pressure_coef: float) -> np.ndarray:
    """Adherence under deadline pressure: ``a + (1 - a) * coef * pressure`` (pressure in [0, 1], unitless).

    US pressure near a deadline lifts laggards toward full adherence, so they move to the line itself.
    """
    return adherence + (1.0 - adherence) * unit_interval(pressure_coef * pressure)


def deadline_pressure(grievance: np.ndarray, month: int, deadline: np.ndarray, window: np.ndarray) -> np.ndarray:
    """(R,) US pressure to meet a pledge: burden grievance times the approach of the deadline.

    The approach is 0 until ``window`` months before the deadline year's budget (January of the year of
    ``deadline``, a month index), rises linearly to 1 at that budget and stays 1 once it has passed (a
    missed line is still pressed).
    """
    approach = unit_interval(1.0 - (deadline // 12 * 12 - month) / np.maximum(window, 1.0))
    return grievance * approach


def annual_budget(
    spending: np.ndarray,
    desired: np.ndarray,
    rate: float,
    cap_up: float,
    cut_rate: float,
    plan: np.ndarray | None = None,
) -> np.ndarray:
    """Budget inertia: close part of the gap once a year, rises capped, cuts slower.

    With a pledge ``plan`` (:func:`pledge_plan`), the budget is at least the plan: the larger of the
    inertial step and the planned one, the rise still capped at ``cap_up`` (fiscal room).
    """
    gap = desired - spending
    step = np.where(gap > 0.0, np.minimum(rate * gap, cap_up), rate * cut_rate * gap)
    if plan is not None:
        step = np.maximum(step, np.minimum(plan - spending, cap_up))
    return np.maximum(spending + step, 0.0)


def pledge_norm(month: int, start_month: int, end_month: int, level_from: float, level_to: float) -> float:
    """The pledge path: linear from the old to the new level between adoption and deadline."""
    done = (end_month <= start_month) | (month >= end_month)
    progress = np.maximum(month - start_month, 0) / np.where(done, 1, end_month - start_month)
    return np.where(done, level_to, level_from + (level_to - level_from) * progress)


# --- 8. Positions ----------------------------------------------------------------------------


def bounded_confidence_mean(x: np.ndarray, influence: np.ndarray, bound: float) -> np.ndarray:
    """Hegselmann & Krause (2002): weighted mean over the states within ``bound`` of each state.

    ``influence`` must have a positive diagonal so that the set is never empty.
    """
    if (
        isinstance(x, np.ndarray)
        and x.ndim == 2
        and x.dtype == np.float64
        and x.flags.c_contiguous
        and influence.ndim == 3
        and influence.flags.c_contiguous
        and np.ndim(bound) == 1
    ):
        return kernels.compiled_bounded_confidence_mean(x, influence, bound)  # the engine's arrays, checked once
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        return kernels.bounded_confidence_mean(x[None, :], influence, np.asarray(bound, dtype=float).reshape(1))[0]
    return kernels.bounded_confidence_mean(x, influence, bound)


def friedkin_johnsen_fixed_point(
    x: np.ndarray,
    anchor: np.ndarray,
    stubbornness: np.ndarray,
    influence: np.ndarray,
    bound: float,
    rounds: int = 50,
) -> np.ndarray:
    """Steady state of Friedkin-Johnsen with bounded confidence and no drift.

    For a fixed set of who listens to whom the steady state solves the linear
    system (I - (1 - s) W) x = s a; the set is recomputed from the solution
    until it no longer changes.
    """
    n = len(x)
    mask = None
    for _ in range(rounds):
        new_mask = np.abs(x[None, :] - x[:, None]) < bound
        if mask is not None and np.array_equal(mask, new_mask):
            break
        mask = new_mask
        weights = influence * mask
        weights = weights / weights.sum(axis=1, keepdims=True)
        system = np.eye(n) - (1.0 - stubbornness)[:, None] * weights
        try:
            x = unit_interval(np.linalg.solve(system, stubbornness * anchor))
        except np.linalg.LinAlgError:
            # No anchor in some group: its steady state is a consensus that depends on where it starts,
            # so there is nothing to solve for; keep the given positions.
            return x
    return x


def friedkin_johnsen(
    anchor: np.ndarray, stubbornness: np.ndarray, social_mean: np.ndarray, drift: np.ndarray
) -> np.ndarray:
    """Friedkin & Johnsen (1990): a stubborn share stays on the anchor, the rest follows peers; plus drift."""
    return unit_interval(stubbornness * anchor + (1.0 - stubbornness) * social_mean + drift)


def autonomy_drift(
    trust: np.ndarray,
    trust_reference: np.ndarray,
    fear: np.ndarray,
    exposure: np.ndarray,
    hedging_rate: float,
    cling_threshold: float,
    coercion: float,
    coercion_push: float,
) -> np.ndarray:
    """Snyder's dilemma, both horns: as trust falls, low-exposure states hedge toward Europe and exposed,
    frightened states cling to the US.

    ``hedging_rate * loss * clip(1 - fear * exposure / cling_threshold, -1, 1) + coercion_push * coercion``, with
    ``loss = max(trust_reference - trust, 0)``: the direction turns toward the US (negative) where abandonment
    fear times exposure passes ``cling_threshold``, so one doubt moves states different ways and widens the
    spread. A fresh US coercion episode pushes everyone toward autonomy. Shapes: (R, N); 0-1 per month.
    """
    loss = np.maximum(trust_reference - trust, 0.0)
    direction = np.clip(1.0 - fear * exposure / cling_threshold, -1.0, 1.0)
    return hedging_rate * loss * direction + coercion_push * coercion


def support_drift(
    support: np.ndarray,
    threat: np.ndarray,
    threat_reference: np.ndarray,
    fatigue: float,
    pressure: float,
    alignment: np.ndarray,
    threat_coef: float,
    fatigue_coef: float,
    pressure_coef: float,
    resistance_coef: float,
) -> np.ndarray:
    """Support for Ukraine: rallies with threat above habit, erodes with fatigue far from Russia.

    The rally works on the headroom (1 - support), so laggards move most and
    a surge narrows the spread. US ceasefire pressure pulls states aligned
    with Washington and far from Russia down and makes frontline states dig
    in: a split along threat lines.
    """
    surprise = threat - threat_reference
    # On the headroom both ways: noise in threat around its habit then moves support up and down alike,
    # so a calm baseline does not drift (weighting falls by ``support`` pulled every state toward 0.5).
    rally = threat_coef * surprise * (1.0 - support)
    erosion = fatigue_coef * fatigue * (1.0 - threat)  # fatigue is passed net of its starting level
    pull = pressure * (pressure_coef * alignment * (1.0 - threat) - resistance_coef * threat)
    return rally - erosion - pull


def war_fatigue(
    fatigue: float, aggression: float, ceasefire: bool, rate: float, recovery: float, habituation: float = 0.0
) -> float:
    """Fatigue builds with aggression while the war goes on and eases by ``recovery`` a month during a ceasefire.

    While the war goes on, publics also habituate (``habituation`` a month of the level fades), so at a
    steady aggression fatigue settles at ``rate * a / (rate * a + habituation)`` instead of climbing to 1.
    """
    building = unit_interval(fatigue + rate * aggression * (1.0 - fatigue) - habituation * fatigue)
    return np.where(ceasefire, fatigue * (1.0 - recovery), building)


def fatigue_habituation(initial: np.ndarray, rate: np.ndarray, aggression: np.ndarray) -> np.ndarray:
    """Monthly habituation that makes ``initial`` the steady fatigue at the starting aggression (0 if no fatigue)."""
    initial = np.asarray(initial, dtype=float)
    some = initial > 1e-6  # below that, no fatigue to keep: the level builds from zero as before
    return np.where(some, np.minimum(rate * aggression * (1.0 - initial) / np.where(some, initial, 1.0), 1.0), 0.0)


# --- 9. Positions read by agenda items (section 7.9.1) -------------------------------------------


def consent(threat: np.ndarray) -> np.ndarray:
    """Support for admitting an applicant on the merits, shaped like ``threat``: every state agrees (1)."""
    return np.ones(threat.shape)


def posture_support(threat: np.ndarray) -> np.ndarray:
    """Support for the summit's spending and eastern-flank posture: the state's threat (0-1)."""
    return threat


def european_preference(autonomy: np.ndarray, reliance: np.ndarray) -> np.ndarray:
    """Support for buying European, ``(autonomy + 1 - reliance) / 2``: autonomy held back by reliance on the US."""
    return 0.5 * (autonomy + 1.0 - reliance)


def eu_cooperation(trust: np.ndarray, autonomy: np.ndarray) -> np.ndarray:
    """Support for NATO-EU cooperation, ``(trust + autonomy) / 2``: trust in the US (it is NATO's work) and Europe."""
    return 0.5 * (trust + autonomy)


def us_alignment(
    reliance: np.ndarray, trust: np.ndarray, accommodationist: np.ndarray, accommodationist_alignment: np.ndarray
) -> np.ndarray:
    """Alignment with a US ceasefire push: ``reliance * trust`` plus the extra of an accommodationist government."""
    return reliance * trust + accommodationist * accommodationist_alignment


def ceasefire_acceptance(
    support: np.ndarray,
    threat: np.ndarray,
    alignment: np.ndarray,
    pressure: np.ndarray,
    alignment_weight: np.ndarray,
    frontline_weight: np.ndarray,
) -> np.ndarray:
    """Acceptance of a US-brokered ceasefire plan on the table, 0-1.

    What the terms cost the state (its ``support`` for Ukraine: ``1 - support`` is the acceptance of a
    settlement) against what refusing Washington costs it: its ``alignment`` with the US push
    (:func:`us_alignment`) times the strength of the push ``pressure``, weighted by ``alignment_weight``; a
    frozen front next door weighs against the terms in proportion to the state's ``threat``
    (``frontline_weight``). ``clip01(1 - support + alignment_weight * pressure * alignment - frontline_weight *
    threat)``. Shapes: (R, N) with (R, 1) pressure and weights.
    """
    gain = alignment_weight * pressure * alignment
    cost = frontline_weight * threat
    return np.clip(1.0 - support + gain - cost, 0.0, 1.0)


# --- US reliance ------------------------------------------------------------------------------


def reliance_decline(
    reliance: np.ndarray,
    investment: np.ndarray,
    level: float,
    scale: float,
    substitution_rate: float,
    industry: np.ndarray,
    industry_rate: float,
) -> np.ndarray:
    """One month of the slow substitution of European for US capabilities.

    ``reliance * (1 - (substitution_rate * clip((investment - level) / scale, 0, 1) + industry_rate * industry) / 12)``:
    sustained European investment (``investment``, % of GDP, a smoothed mean) above ``level`` and a
    defence-industrial programme with European preference in force (``industry``, 0 or 1) lower reliance by
    a few per cent a year at most (rates per year). US troop moves do not enter: reliance is capability,
    not mood. Shapes: reliance (R, N); investment, industry (R, 1).
    """
    drive = unit_interval((investment - level) / scale)
    return reliance * (1.0 - (substitution_rate * drive + industry_rate * industry) / 12.0)


def sustained_investment(investment: np.ndarray, european: np.ndarray, memory_months: np.ndarray) -> np.ndarray:
    """(R,) one month of the moving average of European spending (% of GDP) over ``memory_months``."""
    return investment + (european - investment) / memory_months


# --- 10. Elections ----------------------------------------------------------------------------


def accommodationist_win_probability(
    fatigue: float,
    spending_rise_pp: np.ndarray,
    threat: np.ndarray,
    base: float,
    fatigue_coef: float,
    cost_coef: float,
) -> np.ndarray:
    """War fatigue and the cost of defence raise the accommodationist vote; fear of Russia lowers it.

    ``spending_rise_pp`` (R, N), % of GDP, is spending above the level voters are used to (the habituated
    reference of section 7.10); a fall costs nothing. ``fatigue`` (R, 1) is fatigue beyond its 2025 level and
    ``threat`` (R, N) is 0-1; the coefficients are (R, 1) columns in the engine (any arrays broadcast).
    Returns (R, N) probabilities in [0, 1].
    """
    pressure = base + fatigue_coef * fatigue + cost_coef * np.maximum(spending_rise_pp, 0.0)
    return unit_interval(pressure * (1.0 - threat))


def government_support_anchor(
    own: np.ndarray, accommodationist: np.ndarray, accommodationist_anchor: float, mainstream_floor: float
) -> np.ndarray:
    """The support anchor a government holds (arrays broadcast, 0-1).

    An accommodationist government caps the state's own anchor at ``accommodationist_anchor``; a mainstream
    government holds at least ``mainstream_floor``, so a state whose data anchor reflects an accommodationist
    government of the data year (Hungary) moves when a mainstream government takes over.
    """
    return np.where(accommodationist, np.minimum(own, accommodationist_anchor), np.maximum(own, mainstream_floor))
