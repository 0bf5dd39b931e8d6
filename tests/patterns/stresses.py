"""Event lists and helpers shared by the pattern tests (kept in code so the tests do not depend on YAML files)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim import AllianceModel

PRELUDE = [
    {"type": "set", "date": "2025-06", "parameter": "pledge_core_pct", "value": 3.5},
    {"type": "us_troops", "date": "2025-10", "change": -0.8, "unit": "thousands", "host": "ROU"},
    {"type": "coercion", "date": "2026-01", "target": "DNK", "size": 0.3},
]
DRAWDOWN = [{"type": "us_troops", "date": "2026-07", "change": -0.5, "over_months": 24}]
DOUBT = [
    {"type": "article5_doubt", "date": "2026-03", "size": 0.25, "decay_months": 18},
    {"type": "article5_doubt", "date": "2027-06", "size": 0.2, "decay_months": 18},
    {"type": "set", "date": "2026-03", "parameter": "us_commitment_target", "value": 0.45},
]
CEASEFIRE_PRESSURE = [{"type": "ceasefire_pressure", "date": "2026-03", "level": 0.7, "duration_months": 18}]
STRESSES = {
    "us_drawdown": PRELUDE + DRAWDOWN,
    "article5_doubt": PRELUDE + DOUBT,
    "ceasefire_pressure": PRELUDE + CEASEFIRE_PRESSURE,
    "perfect_storm": PRELUDE + DRAWDOWN + DOUBT + CEASEFIRE_PRESSURE,
}
HINDCAST = {
    "start": "2022-01",
    "end": "2025-12",
    "initial_year": 2022,
    "parameters": {
        "us_commitment_initial": 0.9,
        "us_commitment_target": 0.9,
        "russia_aggression_initial": 0.35,
        "us_troops_europe_initial_k": 80.0,
    },
    "events": [
        {"type": "russia_aggression", "date": "2022-02", "level": 0.95},
        {"type": "us_troops", "date": "2022-03", "change": 20, "unit": "thousands", "over_months": 3},
        {"type": "accession_request", "date": "2022-05", "state": "FIN", "body": "nato"},
        {"type": "accession_request", "date": "2022-05", "state": "SWE", "body": "nato"},
        {"type": "election", "date": "2023-10", "state": "SVK", "government": "accommodationist"},
        {"type": "set", "date": "2025-01", "parameter": "us_commitment_target", "value": 0.6},
        {"type": "set", "date": "2025-06", "parameter": "pledge_core_pct", "value": 3.5},
    ],
}


def run(seed: int, **kwargs) -> AllianceModel:
    """One run with the events given (none unless given: not the baseline's record of 2025)."""
    kwargs.setdefault("events", [])
    return AllianceModel(seed=seed, **kwargs).run()


def at(model: AllianceModel, date: str) -> pd.DataFrame:
    """Agent rows of one month, in data order."""
    frame = model.agent_dataframe()
    return frame[frame["date"] == date].reset_index(drop=True)


def outcome(model: AllianceModel, name: str, date: str) -> float:
    return float(model.model_dataframe().set_index("date").loc[date, name])


def eu_cfsp_votes(model: AllianceModel) -> pd.DataFrame:
    log = model.log_dataframe()
    first = log["item"].isin(["eu_sanctions_renewal", "eu_ukraine_package"]) & (log["outcome"] != "applied")
    return log[first]


def region_mask(model: AllianceModel, regions: tuple[str, ...]) -> np.ndarray:
    return np.isin(model.data.region, regions) & model.state.nato_member
