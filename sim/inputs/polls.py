"""TEMPORARY development stub (replaced by the sourced loader)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from sim.inputs.states import iso3_codes, tables

TRUST_INITIAL_WAVE = "none"
TRUST_CHECK_WAVE = "none"
THREAT_INITIAL_WAVE = "ecfr2023"
THREAT_CHECK_WAVE = "none"


def wave_values(wave: str) -> np.ndarray:
    if wave == "ecfr2023":
        return (
            tables()["member_states.csv"]["poll_ecfr_jan2023_russia_adversary_or_rival_pct"].astype(float).to_numpy()
            / 100
        )
    return np.full(len(iso3_codes()), np.nan)


@cache
def exposure_facts() -> dict[str, np.ndarray]:
    from importlib import resources

    with resources.files("sim.data").joinpath("exposure.csv").open() as h:
        t = pd.read_csv(h).set_index("iso3").loc[list(iso3_codes())]
    return {c: t[c].astype(str).str.lower().eq("true").to_numpy() for c in t.columns}
