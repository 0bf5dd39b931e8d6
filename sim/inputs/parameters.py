"""Every coefficient of the model, declared once.

Each :class:`Parameter` has a name, a default, a plausible range, a unit, the
process it belongs to and a one-line justification. This registry drives
validation of model arguments and scenario files, sweep factors, the
parameter table of ``docs/ODD.md`` and ``cohesion list``.

Rates are per month unless the unit says otherwise. Positions, threat and
trust live on [0, 1]; spending is in % of GDP.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.util.errors import InputError, kind_of, nearest, shown


@dataclass(frozen=True)
class Parameter:
    """One coefficient: default, range [low, high], unit, process and justification.

    ``integer`` marks a whole-number parameter (a month of the year, a year, a
    delay in months): the model uses it as a whole number, so scenario files
    and sweeps give it whole numbers only. ``choices`` makes it categorical.
    """

    name: str
    default: float | str
    low: float | None
    high: float | None
    unit: str
    process: str
    justification: str
    choices: tuple[str, ...] = ()
    integer: bool = False

    @property
    def is_categorical(self) -> bool:
        return bool(self.choices)

    def allowed(self) -> str:
        if self.is_categorical:
            return "one of " + ", ".join(self.choices)
        kind = "a whole number" if self.integer else "a number"
        return f"{kind} from {self.low:g} to {self.high:g}"

    def check(self, value: Any) -> float | int | str:
        """Return the value in canonical type (str, int for a whole-number parameter, else float) or raise InputError."""
        field = f"parameters.{self.name}"
        if self.is_categorical:
            if not isinstance(value, str) or value not in self.choices:
                raise InputError(field, f"{shown(value)} is not allowed; use {self.allowed()}")
            return str(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(field, f"{shown(value)} is {kind_of(value)}; use {self.allowed()}")
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(field, f"{shown(value)} is not a finite number; use {self.allowed()}")
        if not (self.low <= value <= self.high):
            raise InputError(field, f"{shown(value)} is out of range; use {self.allowed()}")
        if self.integer:
            if value != int(value):
                raise InputError(field, f"{shown(value)} is not a whole number; use {self.allowed()}")
            return int(value)
        return float(value)


def _p(name, default, low, high, unit, process, why, choices=(), integer=False):
    return Parameter(name, default, low, high, unit, process, why, tuple(choices), integer)


_ALL = [
    # --- 2. United States -------------------------------------------------
    _p(
        "us_commitment_initial",
        0.7,
        0.0,
        1.0,
        "0-1",
        "united_states",
        "Signalled Article 5 commitment at the start; 2025 mixes formal reaffirmation with public doubt.",
    ),
    _p(
        "us_commitment_target",
        0.7,
        0.0,
        1.0,
        "0-1",
        "united_states",
        "Commitment the administration's stance drifts toward; equal to the initial value unless a scenario sets it.",
    ),
    _p(
        "us_commitment_rate",
        0.1,
        0.01,
        0.5,
        "per month",
        "united_states",
        "Speed at which signalled commitment follows the stance; months, not years, for a new line to register.",
    ),
    _p(
        "burden_sensitivity",
        0.25,
        0.0,
        0.6,
        "0-1 per unit grievance",
        "united_states",
        "How much burden-sharing grievance lowers US commitment (Olson & Zeckhauser 1966 free-riding complaint).",
    ),
    _p(
        "burden_gap_scale_pp",
        1.5,
        0.5,
        3.0,
        "pp of GDP",
        "united_states",
        "Gap between European spending and the pledge path at which US grievance saturates.",
    ),
    _p(
        "burden_grievance_rate",
        0.05,
        0.01,
        0.3,
        "per month",
        "united_states",
        "Grievance builds and fades over about two years of budget news.",
    ),
    _p(
        "us_commitment_noise_sd",
        0.01,
        0.0,
        0.05,
        "0-1",
        "united_states",
        "Month-to-month noise in US signals (statements, tweets).",
    ),
    _p(
        "us_troops_europe_initial_k",
        100.0,
        0.0,
        200.0,
        "thousand troops",
        "united_states",
        "US troops in Europe at the start: about 100k in 2025 (alliance_facts.csv); about 80k in January 2022.",
    ),
    # --- 3. Russia ----------------------------------------------------------
    _p(
        "russia_aggression_initial",
        0.7,
        0.0,
        1.0,
        "0-1",
        "russia",
        "Russia at war with Ukraine in 2025: high but below the peak of early 2022.",
    ),
    _p(
        "russia_aggression_rate",
        0.2,
        0.02,
        1.0,
        "per month",
        "russia",
        "Speed at which aggression follows its scenario path.",
    ),
    _p(
        "russia_aggression_noise_sd",
        0.02,
        0.0,
        0.1,
        "0-1",
        "russia",
        "Month-to-month fluctuation of military pressure.",
    ),
    _p(
        "hybrid_incident_rate",
        1.0,
        0.0,
        6.0,
        "incidents per month",
        "russia",
        "Expected hybrid incidents (sabotage, drones, cable cuts) a month across the states; several were reported in 2024-25.",
    ),
    _p(
        "incident_proximity_exponent", 2.0, 0.0, 4.0, "-", "russia", "Targeting concentrates on states close to Russia."
    ),
    _p(
        "incident_threat_jump",
        0.06,
        0.0,
        0.3,
        "0-1",
        "threat",
        "Jump in the target's perceived threat after an incident.",
    ),
    _p(
        "incident_neighbour_share",
        0.4,
        0.0,
        1.0,
        "share",
        "threat",
        "Share of the jump felt by states that border the target.",
    ),
    # --- 4. Threat ----------------------------------------------------------
    _p(
        "threat_rate",
        0.15,
        0.02,
        0.6,
        "per month",
        "threat",
        "Perceived threat adjusts to Russian behaviour within months (balance of threat, Walt 1987).",
    ),
    _p(
        "threat_distance_floor",
        0.1,
        0.0,
        0.6,
        "share",
        "threat",
        "Share of Russian aggression felt regardless of proximity (offensive power and intentions).",
    ),
    _p(
        "proximity_length_km",
        1500.0,
        500.0,
        4000.0,
        "km",
        "threat",
        "Distance over which the distance term of proximity falls by a factor e (Tallinn 0.56, Paris 0.19, Lisbon 0.07).",
    ),
    _p(
        "proximity_border_weight",
        0.2,
        0.0,
        0.6,
        "share",
        "threat",
        "Extra proximity for a land border with Russia or Belarus (Walt: geographic proximity).",
    ),
    _p(
        "proximity_ukraine_border_weight",
        0.05,
        0.0,
        0.4,
        "share",
        "threat",
        "Extra proximity for a land border with Ukraine, where the war is fought.",
    ),
    _p(
        "exposure_sea_weight",
        0.0,
        0.0,
        0.4,
        "share",
        "threat",
        "Exposure added by a coast on the Baltic or Black Sea, where Russia's fleets, its shadow fleet and the "
        "cable and pipeline incidents of 2022-24 are; the fit to the initial threat poll (docs/fit_exposure.py: "
        "Pew 2022, 10 European allies) gives it no weight.",
    ),
    _p(
        "exposure_arctic_weight",
        0.3,
        0.0,
        0.4,
        "share",
        "threat",
        "Exposure added by membership of the Arctic Council (the High North and the GIUK gap); fitted to the "
        "initial threat poll (docs/fit_exposure.py).",
    ),
    _p(
        "exposure_history_weight",
        0.1,
        0.0,
        0.4,
        "share",
        "threat",
        "Exposure added by a past inside the Soviet Union or the Warsaw Pact (memory of occupation); fitted to the "
        "initial threat poll (docs/fit_exposure.py).",
    ),
    _p(
        "threat_accommodation_discount",
        0.2,
        0.0,
        0.8,
        "share",
        "threat",
        "Exposure discounted where the government of the data year sought accommodation with Moscow (Hungary; "
        "Slovakia from 2023): its messaging shapes how its public sees Russia. No poll shipped covers these "
        "states, so the size is a judgement; later elections do not move it.",
    ),
    _p(
        "threat_social_weight",
        0.1,
        0.0,
        0.5,
        "share",
        "threat",
        "Share of perceived threat taken from trusted neighbours each month.",
    ),
    _p(
        "threat_habituation_rate",
        0.03,
        0.0,
        0.2,
        "per month",
        "positions",
        "Speed at which the reference threat adapts, so a rally fades over about three years.",
    ),
    _p(
        "threat_affinity_discount",
        0.2,
        0.0,
        0.8,
        "share",
        "threat",
        "Exposure discounted by a public with cultural ties to Russia (Orthodox-majority states: Pew 2017 finds "
        "their publics favour a strong Russia; Greece ranks lowest of the Pew 2022 threat wave); fitted to the "
        "initial threat poll (docs/fit_exposure.py).",
    ),
    # --- 5. US trust ----------------------------------------------------------
    _p("trust_rate", 0.1, 0.01, 0.5, "per month", "us_trust", "Beliefs about US protection update over months."),
    _p(
        "trust_commitment_weight",
        0.6,
        0.0,
        1.0,
        "share",
        "us_trust",
        "Weight of US words (commitment) against US troops (presence) in the trust signal.",
    ),
    _p(
        "host_half_saturation_k",
        2.0,
        0.1,
        20.0,
        "thousand troops",
        "us_trust",
        "US troops at which a host weighs its own garrison half, the alliance total half.",
    ),
    _p(
        "trust_attention_floor",
        0.3,
        0.0,
        1.0,
        "share",
        "us_trust",
        "Attention to US signals of a state with no reliance on the US.",
    ),
    _p(
        "us_trust_initial",
        0.6,
        0.3,
        0.95,
        "0-1",
        "us_trust",
        "Mean trust of the European allies at the start: the median share of NATO publics who said the US would "
        "use military force to defend an ally attacked by Russia, Pew spring 2019 (60 %; 66 % in 2017 and 68 % in "
        "2015, sim/data/SOURCES.md).",
    ),
    _p(
        "trust_poll_weight",
        1.0,
        0.0,
        1.5,
        "log-odds of trust per log-odds of the poll",
        "us_trust",
        "How far a state's distance from the poll's mean view of the US (favourable view, Pew 2018), on the "
        "log-odds scale, moves its starting trust from the allies' mean: 1 takes the poll at face value; less "
        "reads part of the view of the US as about its president and policies beyond defence.",
    ),
    _p(
        "trust_exposure_tilt",
        0.4,
        0.0,
        1.0,
        "share per unit exposure",
        "us_trust",
        "How much more an exposed state weighs US troops against US words (troops are its tripwire; words are "
        "what a distant state can read), centred on exposure 0.5.",
    ),
    _p(
        "trust_exposure_share",
        0.5,
        0.0,
        1.0,
        "share",
        "us_trust",
        "Weight of exposure against reliance in what a state has at stake in the US guarantee (its attention).",
    ),
    _p(
        "trust_own_deterrent_discount",
        0.3,
        0.0,
        1.0,
        "share",
        "us_trust",
        "Attention to US signals that a deterrent of one's own (France, the United Kingdom) takes away.",
    ),
    _p(
        "trust_sharing_stake",
        0.1,
        0.0,
        0.3,
        "0-1",
        "us_trust",
        "Stake added by hosting US nuclear weapons under NATO's nuclear sharing (BEL, DEU, ITA, NLD, TUR).",
    ),
    _p(
        "aligned_doubt_discount",
        0.5,
        0.0,
        1.0,
        "share",
        "us_trust",
        "Share of US doubt a government fully aligned with the administration of the day reads as aimed at others.",
    ),
    _p(
        "coercion_spillover",
        0.5,
        0.0,
        1.0,
        "share",
        "us_trust",
        "Share of a coerced ally's trust loss felt by a European state that stands exactly where it stands "
        "(neighbour, same formats, same exposure); less for others (coercion_spillover_floor).",
    ),
    _p(
        "coercion_spillover_floor",
        0.3,
        0.0,
        1.0,
        "share",
        "us_trust",
        "Part of the full spillover felt by a European state with nothing in common with the coerced ally: any "
        "ally could be next.",
    ),
    _p(
        "coercion_decay_months",
        6.0,
        1.0,
        36.0,
        "months",
        "positions",
        "Time constant over which the autonomy push of a coercion episode fades.",
    ),
    # --- 7. Spending --------------------------------------------------------------
    _p(
        "spending_threat_coef",
        2.25,
        0.0,
        6.0,
        "pp of GDP per unit threat",
        "spending",
        "Desired spending rise with threat; calibrated on the 2022-24 hindcast (real: Poland +1.6 pp, Germany +0.5, "
        "France +0.2), with pledges planned to their deadlines (3.5 before pledges could be met).",
    ),
    _p(
        "spending_fear_coef",
        1.0,
        0.0,
        6.0,
        "pp of GDP per unit fear",
        "spending",
        "Abandonment fear buys self-help (Snyder 1984).",
    ),
    _p(
        "spending_free_ride_coef",
        0.5,
        0.0,
        2.0,
        "pp of GDP",
        "spending",
        "Spending forgone by states that trust and rely on the US guarantee (Sandler & Forbes 1980).",
    ),
    _p(
        "pledge_pull",
        1.0,
        0.0,
        1.0,
        "share",
        "spending",
        "Share of the gap between its own motive and the pledge line that a fully adherent ally plans to close; "
        "1: an ally that adheres plans to meet the pledge (NATO 2025: all allies reported reaching 2 %).",
    ),
    _p(
        "pledge_core_pct",
        2.0,
        1.0,
        5.0,
        "% of GDP",
        "spending",
        "The alliance's core spending pledge: 2 % since Wales 2014; 3.5 % by 2035 after The Hague (2025).",
    ),
    _p(
        "pledge_deadline_year",
        2035,
        2026,
        2045,
        "year",
        "spending",
        "Year by which a newly raised pledge is to be met (The Hague: 2035).",
        integer=True,
    ),
    _p(
        "peer_pull",
        0.2,
        0.0,
        1.0,
        "share",
        "spending",
        "Share of the gap to better-spending peers in a state's network a laggard plans to close.",
    ),
    _p(
        "budget_adjustment_rate",
        0.6,
        0.1,
        1.0,
        "per year",
        "spending",
        "Share of the gap to desired spending closed in one annual budget (budget inertia).",
    ),
    _p(
        "fiscal_cap_pp_per_year",
        0.8,
        0.2,
        2.0,
        "pp of GDP per year",
        "spending",
        "Largest annual rise a budget absorbs; Poland's ~0.8 pp a year in 2022-24 is near the top of the record.",
    ),
    _p(
        "spending_cut_rate",
        0.3,
        0.0,
        1.0,
        "share",
        "spending",
        "Cuts happen more slowly than rises (procurement contracts), as a share of the rise rate.",
    ),
    _p(
        "budget_month",
        1,
        1,
        12,
        "month of year",
        "spending",
        "Month in which annual budgets take effect.",
        integer=True,
    ),
    # --- Burden sharing: pledges, deadlines, reliance, deterrence gap, fatigue at its 2025 level ---------------
    _p(
        "pledge_margin_pp",
        0.05,
        0.0,
        0.3,
        "pp of GDP",
        "spending",
        "States that plan to meet a line aim just above it; NATO's 2024 figures show laggards landing at "
        "2.0-2.2 % in the deadline year (Germany 2.00, Netherlands 2.00, France 2.03).",
    ),
    _p(
        "wales_deadline_year",
        2024,
        2015,
        2035,
        "year",
        "spending",
        "Deadline of the pledge in force at the start: Wales 2014 asked allies to move toward 2 % within a decade.",
        integer=True,
    ),
    _p(
        "wales_commitment_share",
        0.2,
        0.0,
        1.0,
        "share",
        "spending",
        "Adherence to the pledge in force at the start relative to a raised pledge: Wales asked allies to "
        "'aim to move towards' 2 % within a decade, a softer wording than The Hague's 'commit to' 3.5 % by "
        "2035, and eight years on only 7 of 30 allies met it; set so the 2022 hindcast meets the count of 2024.",
    ),
    _p(
        "deadline_window_months",
        24,
        1,
        60,
        "months",
        "spending",
        "US pressure to meet a pledge builds over the last two budget cycles before its deadline.",
    ),
    _p(
        "deadline_pressure_coef",
        2.0,
        0.0,
        5.0,
        "share per unit pressure",
        "spending",
        "Share of a laggard's missing adherence made up per unit of US pressure (grievance x approach of the "
        "deadline); with the 2024 grievance (about 0.13) laggards make up a quarter of it, and those within reach "
        "of the line go to it (set on the 2022 hindcast, where 2024 shows the pile-up just above 2 %).",
    ),
    _p(
        "line_reach_pp",
        0.5,
        0.0,
        1.0,
        "pp of GDP",
        "spending",
        "Under full deadline pressure, a state whose plan would end this close below the line goes to the line "
        "(NATO 2024: Germany, the Netherlands and France at 2.00-2.03 % in the Wales deadline year).",
    ),
    _p(
        "reliance_investment_level_pct",
        2.0,
        1.0,
        4.0,
        "% of GDP",
        "spending",
        "European mean spending above which capability is built rather than kept (the Wales line).",
    ),
    _p(
        "reliance_investment_scale_pp",
        1.5,
        0.2,
        3.0,
        "pp of GDP",
        "spending",
        "Excess European spending at which substitution of US capabilities runs at full rate (3.5 % - 2 %).",
    ),
    _p(
        "reliance_investment_memory_months",
        36.0,
        6.0,
        120.0,
        "months",
        "spending",
        "Investment counts when sustained: European spending is averaged over about three years of budgets.",
    ),
    _p(
        "reliance_substitution_rate",
        0.04,
        0.0,
        0.15,
        "per year",
        "spending",
        "Fall of US reliance per year at full investment: IISS (2019, Defending Europe) put replacing US "
        "capabilities at 15-20 years, i.e. about a third to a half gone in a decade, some 4 % a year.",
    ),
    _p(
        "reliance_industry_rate",
        0.01,
        0.0,
        0.05,
        "per year",
        "spending",
        "Extra fall of US reliance per year while the defence-industrial measure with European preference is in "
        "force (buying European displaces US purchases over procurement cycles of a decade or more).",
    ),
    _p(
        "deterrence_gap_coef",
        0.3,
        0.0,
        1.0,
        "threat per unit lost signal",
        "threat",
        "Threat added per unit of lost US signal (words and boots) at full aggression and proximity: a thinner "
        "US guarantee leaves exposed states more open to Russian pressure (deterrence by denial).",
    ),
    _p(
        "war_fatigue_initial",
        0.3,
        0.0,
        0.9,
        "0-1",
        "positions",
        "War fatigue in January 2025, after three years of war: judgement from European polls (ECFR 2024-25) in "
        "which pluralities in several states favoured a negotiated end; the steady level at 2025 aggression, so "
        "a calm baseline stays put.",
    ),
    # --- 8. Positions ---------------------------------------------------------------
    _p(
        "confidence_bound",
        0.3,
        0.05,
        1.0,
        "distance in position",
        "positions",
        "States listen only to states whose position is within this distance (Hegselmann & Krause 2002).",
    ),
    _p(
        "stubbornness_scale",
        1.0,
        0.0,
        3.0,
        "multiplier",
        "positions",
        "Multiplies every state's stubbornness (Friedkin-Johnsen anchor weight), capped at 1.",
    ),
    _p(
        "autonomy_hedging_rate",
        0.05,
        0.0,
        0.1,
        "per month per unit trust loss",
        "positions",
        "Low-fear states hedge toward European autonomy as trust in the US falls.",
    ),
    _p(
        "trust_habituation_rate",
        0.03,
        0.0,
        0.2,
        "per month",
        "positions",
        "Speed at which the reference trust against which a loss is felt adapts to trust (as the reference threat "
        "does), so hedging answers a fresh loss and reassurance lets autonomy fall back instead of ratcheting.",
    ),
    _p(
        "accommodationist_hedging_factor",
        0.5,
        0.0,
        1.0,
        "multiplier",
        "positions",
        "Share of the usual hedging toward European autonomy that an accommodationist government shows when trust in "
        "the US falls: it answers doubts by courting Moscow and Beijing more than by building EU defence "
        "(Hungary's government); judgement.",
    ),
    _p(
        "accommodationist_ceasefire_alignment",
        0.5,
        0.0,
        1.0,
        "alignment units",
        "positions",
        "Extra alignment with a US ceasefire push of an accommodationist government, which seeks a deal with Moscow "
        "whatever its reliance on the US (Hungary's government welcomed the 2025 US push); judgement.",
    ),
    _p(
        "fear_cling_threshold",
        0.08,
        0.01,
        0.3,
        "0-1",
        "positions",
        "Abandonment fear times exposure above which a state clings to the US instead of hedging (Snyder 1984): "
        "set so that the frontline states (exposure near 1, fear near 0.1 under doubt) cling, as Poland asked for "
        "a permanent US base in 2018 while raising its own spending.",
    ),
    _p(
        "coercion_autonomy_push",
        0.05,
        0.0,
        0.2,
        "per month",
        "positions",
        "Pull toward autonomy while a US coercion episode of size 1 is fresh.",
    ),
    _p(
        "support_threat_coef",
        0.4,
        0.0,
        1.0,
        "per month per unit threat",
        "positions",
        "Support for Ukraine rallies with threat above the habituated level, on the headroom left (rally round the flag).",
    ),
    _p("war_fatigue_rate", 0.01, 0.0, 0.05, "per month", "positions", "Growth of war fatigue while the war goes on."),
    _p(
        "war_fatigue_recovery",
        0.05,
        0.0,
        0.3,
        "per month",
        "positions",
        "Fading of war fatigue while a ceasefire holds.",
    ),
    _p(
        "support_fatigue_coef",
        0.01,
        0.0,
        0.1,
        "per month",
        "positions",
        "Erosion of support by war fatigue, strongest far from Russia.",
    ),
    _p(
        "ceasefire_pressure_coef",
        0.08,
        0.0,
        0.2,
        "per month",
        "positions",
        "Pull of US ceasefire pressure on states aligned with Washington and far from Russia.",
    ),
    _p(
        "ceasefire_resistance_coef",
        0.08,
        0.0,
        0.2,
        "per month",
        "positions",
        "Frontline states dig in against an imposed deal (reactance).",
    ),
    _p(
        "accommodationist_support_anchor",
        0.2,
        0.0,
        0.6,
        "0-1",
        "positions",
        "Anchor of Ukraine support under a government that seeks accommodation with Moscow.",
    ),
    _p(
        "mainstream_support_floor",
        0.45,
        0.0,
        1.0,
        "0-1",
        "positions",
        "Least Ukraine support anchor of a mainstream government: the lowest anchor of a mainstream ally in the data "
        "(Turkiye, 0.45), so Hungary's anchor of 0.15, the Orban government's, moves when a mainstream one takes over.",
    ),
    # --- Influence network ---------------------------------------------------------------
    _p("network_border_weight", 1.0, 0.0, 3.0, "tie weight", "network", "Tie between states with a land border."),
    _p(
        "network_grouping_weight",
        0.5,
        0.0,
        2.0,
        "tie weight per format",
        "network",
        "Tie per shared small format (B9, NB8, Weimar, JEF, ...).",
    ),
    _p(
        "network_comembership_weight",
        0.2,
        0.0,
        1.0,
        "tie weight per body",
        "network",
        "Tie per shared institution (EU, NATO).",
    ),
    _p(
        "network_size_exponent",
        0.5,
        0.0,
        1.5,
        "-",
        "network",
        "Larger economies are listened to more: weight grows with GDP to this power.",
    ),
    _p(
        "network_self_weight",
        9.0,
        0.0,
        20.0,
        "multiple of ties",
        "network",
        "Own position's weight relative to all ties: at 9 a government moves a tenth of the way to its peers a month.",
    ),
    # --- 9. Institutions ------------------------------------------------------------------
    _p(
        "vote_noise_sd",
        0.08,
        0.0,
        0.3,
        "0-1",
        "institutions",
        "Idiosyncratic noise in each vote (domestic politics of the day).",
    ),
    _p(
        "abstain_band",
        0.1,
        0.0,
        0.3,
        "0-1",
        "institutions",
        "Just below the support threshold a state abstains rather than vetoes.",
    ),
    _p(
        "sanctions_threshold",
        0.2,
        0.0,
        1.0,
        "0-1",
        "institutions",
        "Ukraine support needed to vote for renewing EU sanctions on Russia.",
    ),
    _p(
        "ukraine_package_threshold",
        0.25,
        0.0,
        1.0,
        "0-1",
        "institutions",
        "Ukraine support needed to vote for the yearly EU Ukraine package (money costs more than sanctions).",
    ),
    _p(
        "defence_industry_threshold",
        0.4,
        0.0,
        1.0,
        "0-1",
        "institutions",
        "European preference (the mean of autonomy and 1 - us_reliance) needed to vote for an EU defence-industrial "
        "measure with European preference: divides France and its partners from the states that buy American.",
    ),
    _p(
        "nato_posture_threshold",
        0.12,
        0.0,
        1.0,
        "0-1",
        "institutions",
        "Threat needed to back the summit's spending and eastern-flank posture (the US votes its commitment).",
    ),
    _p(
        "nato_partnership_threshold",
        0.15,
        0.0,
        1.0,
        "0-1",
        "institutions",
        "Ukraine support needed to back the yearly high-level NATO-Ukraine meeting (the Commission, now the Council).",
    ),
    _p(
        "nato_eu_cooperation_threshold",
        0.35,
        0.0,
        1.0,
        "0-1",
        "institutions",
        "Support for NATO-EU cooperation (the mean of US trust and autonomy) needed to back the yearly joint "
        "declaration or work plan.",
    ),
    _p(
        "accession_threshold",
        0.5,
        0.0,
        1.0,
        "0-1",
        "institutions",
        "Consent needed to ratify an accession; every ally consents on the merits, so only linkage delays.",
    ),
    _p(
        "us_nato_commitment_threshold",
        0.35,
        0.0,
        1.0,
        "0-1",
        "institutions",
        "US commitment below which the US itself withholds consensus on NATO posture.",
    ),
    _p(
        "ceasefire_endorsement_threshold",
        0.15,
        0.0,
        1.0,
        "0-1",
        "institutions",
        "Acceptance of the US-brokered terms (ceasefire_acceptance: 1 - Ukraine support, plus alignment with the "
        "US push, less frontline threat) needed to vote to endorse them; set so that the endorsement divides the "
        "allies (passes at first vote in some 5-95 % of votes when tabled), as the 2025 US plans did; judgement.",
    ),
    _p(
        "ceasefire_alignment_weight",
        1.0,
        0.0,
        2.0,
        "acceptance per unit alignment and pressure",
        "institutions",
        "Weight of standing with Washington (reliance times trust, plus an accommodationist government's extra "
        "alignment) times the strength of its push in a state's acceptance of US-brokered ceasefire terms: refusing "
        "the US costs most the states whose defence rests on it; judgement.",
    ),
    _p(
        "ceasefire_frontline_weight",
        0.3,
        0.0,
        1.0,
        "acceptance per unit threat",
        "institutions",
        "Weight of threat against US-brokered ceasefire terms: a frozen front lets Russia rearm next door, so "
        "frontline states insist on guarantees first (the Baltic, Polish and Finnish line of 2025); judgement.",
    ),
    _p(
        "linkage_scale",
        1.0,
        0.0,
        2.0,
        "multiplier",
        "institutions",
        "Scale on the chances, per state and item, that a state holds an item hostage (linkage.csv, from the record "
        "of vetoes 2014-2025); 0 switches linkage off.",
    ),
    _p(
        "linkage_escalation",
        0.25,
        0.0,
        1.0,
        "offers per round held",
        "institutions",
        "Rise, with each re-vote a persistent item (an accession) has already been held, in the concession offered to "
        "its holders: the round's chance of taking it is 1 - (1 - c)^(1 + escalation x rounds), so holds end within "
        "about two years as allied pressure and the price offered mount (the record's holds of ten to twenty-two "
        "months, none longer); 0 gives a constant chance and holds of unbounded length; judgement.",
    ),
    _p(
        "must_pass_concession_probability",
        0.99,
        0.0,
        1.0,
        "per state and re-vote",
        "institutions",
        "Chance that a state still vetoing a must-pass item (a sanctions renewal) at its re-vote takes the concession "
        "offered: every renewal since 2014 passed, some after assurances to Hungary or Slovakia "
        "(decision_record.csv).",
    ),
    _p(
        "veto_delay_months",
        2,
        1,
        12,
        "months",
        "institutions",
        "Delay before a blocked decision is tabled again with a concession.",
        integer=True,
    ),
    _p(
        "eu_cfsp_rule",
        "unanimity",
        None,
        None,
        "rule",
        "institutions",
        "Decision rule of EU foreign-policy items (sanctions, Ukraine package); 'qmv' is the reform counterfactual.",
        choices=("unanimity", "qmv"),
    ),
    # --- 10. Elections ------------------------------------------------------------------
    _p(
        "election_base_switch",
        0.04,
        0.0,
        0.5,
        "probability",
        "elections",
        "Chance that an election brings an accommodationist government, absent war fatigue and costs.",
    ),
    _p(
        "election_fatigue_coef",
        0.2,
        0.0,
        1.0,
        "probability per unit fatigue",
        "elections",
        "War fatigue raises the accommodationist vote.",
    ),
    _p(
        "election_cost_coef",
        0.1,
        0.0,
        0.5,
        "probability per pp of GDP",
        "elections",
        "Each point of GDP that defence spending lies above the level voters are used to raises the chance of a "
        "switch (guns vs butter, a loss against a reference point).",
    ),
    _p(
        "spending_habituation_rate",
        0.08,
        0.02,
        0.5,
        "per month",
        "elections",
        "Speed at which the level of defence spending voters are used to follows spending (time constant about "
        "12 months): voters judge the recent record, chiefly the last year (Healy and Lenz 2014; Achen and Bartels "
        "2016), so a rise costs votes while it is fresh and the cost fades once the new level is normal.",
    ),
    _p(
        "election_return_probability",
        0.4,
        0.0,
        1.0,
        "probability",
        "elections",
        "Chance that an accommodationist government loses its next election to a mainstream one.",
    ),
    # --- 11. Observation --------------------------------------------------------------
    _p(
        "bloc_distance",
        0.15,
        0.02,
        0.5,
        "distance in position",
        "observation",
        "States closer than this in the position plane (chained) count as one bloc.",
    ),
]

PARAMETERS: dict[str, Parameter] = {p.name: p for p in _ALL}
# Parameters read only when a run is set up; a set event cannot change them later.
INITIAL_ONLY = frozenset(
    {
        "us_commitment_initial",
        "us_troops_europe_initial_k",
        "russia_aggression_initial",
        "war_fatigue_initial",
        "wales_deadline_year",
        "wales_commitment_share",
    }
)
# Every parameter a set event cannot change: the starting conditions above, and what starting trust is solved from
# once (ODD 5; its bias then keeps each state's level at rest). The poll weight is still a structural coefficient.
SET_UP_ONLY = INITIAL_ONLY | {"us_trust_initial", "trust_poll_weight"}
NUMERIC_PARAMETERS: tuple[str, ...] = tuple(n for n, p in PARAMETERS.items() if not p.is_categorical)


def defaults() -> dict[str, float | str]:
    return {name: p.default for name, p in PARAMETERS.items()}


def check_name(name: str, field: str = "parameters") -> Parameter:
    if name not in PARAMETERS:
        raise InputError(
            f"{field}.{name}",
            f"unknown parameter{nearest(name, PARAMETERS)}; 'cohesion list' shows all",
        )
    return PARAMETERS[name]


def resolve(overrides: Mapping[str, Any] | None = None) -> dict[str, float | str]:
    """Defaults with overrides applied; InputError for unknown names or bad values."""
    values = defaults()
    for name, value in (overrides or {}).items():
        values[name] = check_name(name).check(value)
    return values
