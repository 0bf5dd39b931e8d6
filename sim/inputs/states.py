"""The packaged data: static attributes and initial values of the states.

Reads ``sim/data/`` (sourced figures and the judgemental ``assumptions.csv``)
into plain numpy arrays, ordered as ``member_states.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from sim.util.errors import InputError, nearest, shown

INITIAL_YEARS = (2022, 2024)
DATA_FILES = (
    "member_states.csv",
    "assumptions.csv",
    "groupings.csv",
    "borders.csv",
    "linkage.csv",
    "administration_alignment.csv",
)


def _read(name: str) -> pd.DataFrame:
    with resources.files("sim.data").joinpath(name).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, keep_default_na=True)


@cache
def tables() -> dict[str, pd.DataFrame]:
    """The packaged data files as DataFrames (read once per process)."""
    return {name: _read(name) for name in DATA_FILES}


@cache
def iso3_codes() -> tuple[str, ...]:
    return tuple(tables()["member_states.csv"]["iso3"])


# Two-letter codes (ISO 3166-1 alpha-2) and names in common use, each to the ISO3 code of the model.
# A near miss is suggested from these before spelling: 'UK' is the United Kingdom (GBR), not Ukraine (UKR).
ISO2 = {
    "AL": "ALB", "AT": "AUT", "BE": "BEL", "BG": "BGR", "CA": "CAN", "HR": "HRV", "CY": "CYP", "CZ": "CZE",
    "DK": "DNK", "EE": "EST", "FI": "FIN", "FR": "FRA", "DE": "DEU", "GR": "GRC", "EL": "GRC", "HU": "HUN",
    "IS": "ISL", "IE": "IRL", "IT": "ITA", "LV": "LVA", "LT": "LTU", "LU": "LUX", "MT": "MLT", "ME": "MNE",
    "NL": "NLD", "MK": "MKD", "NO": "NOR", "PL": "POL", "PT": "PRT", "RO": "ROU", "SK": "SVK", "SI": "SVN",
    "ES": "ESP", "SE": "SWE", "TR": "TUR", "GB": "GBR", "UK": "GBR", "US": "USA", "UA": "UKR",
}  # fmt: skip
COMMON_NAMES = {
    "BRITAIN": "GBR", "GREAT BRITAIN": "GBR", "ENGLAND": "GBR", "SCOTLAND": "GBR", "WALES": "GBR",
    "NORTHERN IRELAND": "GBR", "UNITED KINGDOM OF GREAT BRITAIN AND NORTHERN IRELAND": "GBR",
    "HOLLAND": "NLD", "THE NETHERLANDS": "NLD", "CZECH REPUBLIC": "CZE", "CZECHIA": "CZE", "TURKEY": "TUR",
    "TURKIYE": "TUR", "AMERICA": "USA", "UNITED STATES OF AMERICA": "USA", "THE UNITED STATES": "USA",
    "MACEDONIA": "MKD", "FYROM": "MKD", "EIRE": "IRL", "HELLAS": "GRC", "DEUTSCHLAND": "DEU",
    "ESPANA": "ESP", "ESPAÑA": "ESP", "POLSKA": "POL", "SUOMI": "FIN", "SVERIGE": "SWE", "NORGE": "NOR",
    "DANMARK": "DNK", "EESTI": "EST", "LATVIJA": "LVA", "LIETUVA": "LTU", "MAGYARORSZAG": "HUN",
    "MAGYARORSZÁG": "HUN", "SLOVAK REPUBLIC": "SVK", "SHQIPERIA": "ALB", "CRNA GORA": "MNE", "HRVATSKA": "HRV",
    "ROMANIA": "ROU", "ROUMANIA": "ROU",
}  # fmt: skip


@cache
def _aliases() -> dict[str, str]:
    """Upper-case name or short form -> ISO3 code: names of member_states.csv, two-letter codes, common names."""
    pairs = zip(iso3_codes(), tables()["member_states.csv"]["name"], strict=True)
    names = {str(name).upper(): code for code, name in pairs}
    return {**names, **ISO2, **COMMON_NAMES}


def suggest_iso3(code: object) -> str:
    """The hint " (did you mean 'GBR', United Kingdom?)" for a name, short form or near-miss code; '' when none fits."""
    text = " ".join(str(code).split()).upper().removeprefix("THE ") if isinstance(code, str) else ""
    names = dict(zip(iso3_codes(), tables()["member_states.csv"]["name"], strict=True))
    aliases = _aliases()
    match = aliases.get(text) or aliases.get(f"THE {text}")
    if match is None and len(text) > 3:  # a misspelt name: 'Grmany'
        close = nearest(text, aliases)
        match = aliases[close.split("'")[1]] if close else None
    if match is not None:
        return f" (did you mean '{match}', {names[match]}?)"
    return nearest(text, iso3_codes())


def check_iso3(code: object, field: str) -> str:
    """The ISO3 code of a state of the model (any case), or InputError naming ``field`` with a suggestion."""
    written = code
    code = str(code).upper() if isinstance(code, str) else code
    if code not in iso3_codes():
        hint = suggest_iso3(code)
        allowed = "" if hint else f"; use an ISO3 code of the model: {', '.join(sorted(iso3_codes()))}"
        raise InputError(field, f"{shown(written)} is not a state of the model{hint}{allowed}")
    return code


REGIONS = ("eastern_flank", "nordic", "western", "southern", "north_america", "partner")


@dataclass(frozen=True)
class StateData:
    """Static attributes (fixed during a run) and data-based initial values."""

    iso3: tuple[str, ...]
    name: tuple[str, ...]
    region: np.ndarray  # str
    eu_member: np.ndarray  # bool, current (2025/26)
    nato_member: np.ndarray
    eu_accession_year: np.ndarray  # float, nan if none
    nato_accession_year: np.ndarray
    gdp_usd_bn: np.ndarray
    population_m: np.ndarray
    spending: dict[int, np.ndarray]  # year -> % GDP
    us_troops_k: np.ndarray  # assigned + rotational, thousands
    borders_russia_or_belarus: np.ndarray
    borders_ukraine: np.ndarray
    distance_to_moscow_km: np.ndarray
    groupings: dict[str, np.ndarray] = field(repr=False)  # name -> bool mask
    border_matrix: np.ndarray = field(repr=False)  # N x N bool, land borders between states
    # judgemental (assumptions.csv)
    autonomy: np.ndarray = field(repr=False)
    ukraine_support: np.ndarray = field(repr=False)
    us_reliance: np.ndarray = field(repr=False)
    stubbornness: np.ndarray = field(repr=False)
    accommodationist: dict[int, np.ndarray] = field(repr=False)
    # administration_alignment.csv: data year -> (N,) closeness of the government to the US administration of
    # the day, 0-1 (2022: the administration in office in 2022; 2024: the one in office from January 2025)
    administration_alignment: dict[int, np.ndarray] = field(repr=False)
    pledge_adherence: np.ndarray = field(repr=False)
    linkage: np.ndarray = field(repr=False)
    next_election: np.ndarray = field(repr=False)  # month index, -1 if none
    election_term_months: np.ndarray = field(repr=False)  # 0 if none
    # linkage.csv, item (or "item:APPLICANT" where a holder's linkage is specific to one applicant) ->
    # (N,) arrays: the chance per first vote that the state holds the item hostage (0 where
    # it never has), the chance that it takes the concession at a re-vote (nan where it has no linkage on the
    # item), and whether the linkage belongs to an accommodationist government (lapses under a mainstream one)
    linkage_hostage: dict[str, np.ndarray] = field(repr=False)
    linkage_concession: dict[str, np.ndarray] = field(repr=False)
    linkage_government: dict[str, np.ndarray] = field(repr=False)

    @property
    def n(self) -> int:
        return len(self.iso3)

    def index(self, iso3: str) -> int:
        return self.iso3.index(iso3)


def _bool(series: pd.Series) -> np.ndarray:
    return series.astype(str).str.lower().eq("true").to_numpy()


LINKAGE_GOVERNMENTS = ("accommodationist", "any")


def _linkage_iso3(code: object, field: str) -> None:
    try:
        check_iso3(code, field)
    except InputError as error:
        raise InputError(error.field, error.message, "linkage.csv") from None


# The items of the EU and NATO agenda (sim.rules.institutions: DEFAULT_AGENDA, CEASEFIRE_ITEMS and the accession
# ratification) by name: the items a row of linkage.csv may hold hostage. A test keeps the two lists the same.
AGENDA_ITEMS = (
    "eu_sanctions_renewal",
    "eu_ukraine_package",
    "eu_defence_industry",
    "nato_summit",
    "nato_ukraine_partnership",
    "nato_eu_cooperation",
    "eu_ceasefire_endorsement",
    "nato_ceasefire_endorsement",
    "nato_accession",
)


def check_linkage(rows: pd.DataFrame) -> None:
    """Check the rows of ``linkage.csv``: InputError naming the line and column of the first fault.

    A state and an applicant of the model, an item of the agenda (a misspelt item would never be held),
    ``government`` accommodationist or any, probabilities from 0 to 1, one row per (state, item, applicant).
    """
    items = sorted(AGENDA_ITEMS)
    seen: dict[tuple[str, str, str], int] = {}
    for k, row in enumerate(rows.to_dict("records")):
        line = f"line {k + 2}"
        _linkage_iso3(row.get("iso3"), f"{line}.iso3")
        if row.get("item") not in items:
            hint = nearest(str(row.get("item")), items) if isinstance(row.get("item"), str) else ""
            raise InputError(
                f"{line}.item",
                f"{shown(row.get('item'))} is not an item of the agenda{hint}; use one of {', '.join(items)}",
                "linkage.csv",
            )
        applicant = row.get("applicant")
        applicant = "" if applicant is None or (isinstance(applicant, float) and np.isnan(applicant)) else applicant
        if applicant:
            if row["item"] != "nato_accession":
                raise InputError(
                    f"{line}.applicant", "only a nato_accession row names an applicant; leave it empty", "linkage.csv"
                )
            _linkage_iso3(applicant, f"{line}.applicant")
        if row.get("government") not in LINKAGE_GOVERNMENTS:
            raise InputError(
                f"{line}.government",
                f"{shown(row.get('government'))} is not allowed; use one of {', '.join(LINKAGE_GOVERNMENTS)}",
                "linkage.csv",
            )
        for column in ("hostage_probability", "concession_probability"):
            value = row.get(column)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
                raise InputError(
                    f"{line}.{column}", f"{shown(value)} is not allowed; use a number from 0 to 1", "linkage.csv"
                )
        key = (row["iso3"], row["item"], applicant)
        if key in seen:
            raise InputError(
                f"{line}",
                f"{', '.join(v for v in key if v)} is already given on line {seen[key]}; "
                "give one row per state, item and applicant",
                "linkage.csv",
            )
        seen[key] = k + 2


@cache
def load_states() -> StateData:
    from sim.util.calendar import parse_month

    t = tables()
    ms = t["member_states.csv"]
    asm = t["assumptions.csv"].set_index("iso3").loc[ms["iso3"]]
    alignment = t["administration_alignment.csv"].set_index("iso3").loc[ms["iso3"]]
    iso3 = tuple(ms["iso3"])
    n = len(iso3)
    index = {code: i for i, code in enumerate(iso3)}

    groupings = {}
    for _, row in t["groupings.csv"].iterrows():
        mask = np.zeros(n, dtype=bool)
        for code in str(row["members"]).split(";"):
            if code in index:
                mask[index[code]] = True
        groupings[row["grouping"]] = mask

    borders = np.zeros((n, n), dtype=bool)
    for _, row in t["borders.csv"].iterrows():
        a, b = row["iso3_a"], row["iso3_b"]
        if a in index and b in index:
            borders[index[a], index[b]] = borders[index[b], index[a]] = True

    spending = {}
    for year in (2014, 2022, 2024):
        col = ms[f"defence_spending_pct_gdp_{year}"].astype(float)
        # Iceland has no armed forces and no NATO spending figure; 0.1 % keeps it
        # in the arrays as the small coast-guard spender it is (see SOURCES.md).
        spending[year] = col.fillna(0.1).to_numpy()

    assigned = ms["us_troops_stationed"].astype(float).fillna(0.0).to_numpy() / 1000.0
    rotational = asm["us_rotational_troops_k"].astype(float).fillna(0.0).to_numpy()

    next_election = np.array(
        [
            parse_month(v, f"assumptions.csv next_election ({c})") if isinstance(v, str) else -1
            for c, v in zip(iso3, asm["next_election"], strict=True)
        ]
    )
    term = (asm["election_term_years"].astype(float).fillna(0.0) * 12).astype(int).to_numpy()

    hostage: dict[str, np.ndarray] = {}
    concession: dict[str, np.ndarray] = {}
    government: dict[str, np.ndarray] = {}
    linkage_rows = t["linkage.csv"]
    check_linkage(linkage_rows)
    applicant = linkage_rows["applicant"].fillna("").astype(str)
    # Rows for every applicant first; a row for one (holder, applicant) pair then overrides the holder's entry
    # under the key "item:APPLICANT", which starts as a copy of the item's rows for every applicant.
    for pair in (False, True):
        for (_, row), who in zip(linkage_rows.iterrows(), applicant, strict=True):
            if bool(who) != pair:
                continue
            i, item = index[row["iso3"]], row["item"]
            if pair:
                key = f"{item}:{who}"
                if key not in hostage:
                    hostage[key] = hostage.get(item, np.zeros(n)).copy()
                    concession[key] = concession.get(item, np.full(n, np.nan)).copy()
                    government[key] = government.get(item, np.zeros(n, dtype=bool)).copy()
                item = key
            hostage.setdefault(item, np.zeros(n))[i] = float(row["hostage_probability"])
            concession.setdefault(item, np.full(n, np.nan))[i] = float(row["concession_probability"])
            government.setdefault(item, np.zeros(n, dtype=bool))[i] = row["government"] == "accommodationist"

    return StateData(
        iso3=iso3,
        name=tuple(ms["name"]),
        region=asm["region"].to_numpy(dtype=str),
        eu_member=_bool(ms["eu_member"]),
        nato_member=_bool(ms["nato_member"]),
        eu_accession_year=ms["eu_accession_year"].astype(float).to_numpy(),
        nato_accession_year=ms["nato_accession_year"].astype(float).to_numpy(),
        gdp_usd_bn=ms["gdp_usd_bn"].astype(float).to_numpy(),
        population_m=ms["population_m"].astype(float).to_numpy(),
        spending=spending,
        us_troops_k=assigned + rotational,
        borders_russia_or_belarus=_bool(ms["borders_russia_or_belarus"]),
        borders_ukraine=_bool(ms["borders_ukraine"]),
        distance_to_moscow_km=ms["capital_distance_to_moscow_km"].astype(float).to_numpy(),
        groupings=groupings,
        border_matrix=borders,
        autonomy=asm["autonomy"].astype(float).to_numpy(),
        ukraine_support=asm["ukraine_support"].astype(float).to_numpy(),
        us_reliance=asm["us_reliance"].astype(float).to_numpy(),
        stubbornness=asm["stubbornness"].astype(float).to_numpy(),
        accommodationist={
            2022: asm["government_2022"].eq("accommodationist").to_numpy(),
            2024: asm["government_2024"].eq("accommodationist").to_numpy(),
        },
        administration_alignment={
            2022: alignment["alignment_2022"].astype(float).to_numpy(),
            2024: alignment["alignment_2024"].astype(float).to_numpy(),
        },
        pledge_adherence=asm["pledge_adherence"].astype(float).to_numpy(),
        linkage=asm["linkage"].astype(float).to_numpy(),
        next_election=next_election,
        election_term_months=term,
        linkage_hostage=hostage,
        linkage_concession=concession,
        linkage_government=government,
    )
