"""A sweep in the EMA Workbench's experiments-and-outcomes form, for users who carry on in their own tools.

The file is what ``ema_workbench.save_results`` writes and
``ema_workbench.load_results`` reads (a ``.tar.gz`` of ``experiments.csv``,
one CSV per outcome and ``metadata.json``), written here without needing
the workbench:

- ``experiments``: one row per finished run, one column per factor (named
  by a valid identifier: ``events.us_troops.change`` becomes
  ``events_us_troops_change``; ``metadata.json`` keeps the mapping under
  ``factor_names``), the run's ``replication`` and ``seed``, then the
  workbench's ``scenario`` (the sweep point), ``policy`` and ``model``
  columns.
- ``outcomes``: one (runs x months) array per kept outcome (the
  workbench's ``ArrayOutcome``), and ``TIME``, the month of each column as a
  fractional year (2030.917 is December 2030).

Each replication is a row of its own, so that PRIM, CART or feature scoring
see the model's randomness; average over replications (rows with the same
factor values) for a per-point view.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.util.calendar import fractional_years
from sim.util.files import write_atomically

FILE = "ema_results.tar.gz"
FORMAT_VERSION = 0.1  # the version save_results writes in metadata.json


def _csv(frame: pd.DataFrame, header: bool) -> bytes:
    return frame.to_csv(header=header, index=False, encoding="UTF-8").encode()


def identifiers(names: Any) -> dict[str, str]:
    """Valid Python identifiers for factor names, in order: ``{identifier: dotted name}``.

    Every character that cannot be in an identifier becomes ``_``; a clash gets a numbered suffix.
    """
    out: dict[str, str] = {}
    for name in names:
        base = re.sub(r"\W", "_", str(name))
        base = base if base and not base[0].isdigit() else f"f_{base}"
        candidate, k = base, 2
        while candidate in out:
            candidate, k = f"{base}_{k}", k + 1
        out[candidate] = str(name)
    return out


def experiments_and_outcomes(sweep: Any) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The sweep as (experiments, outcomes), the pair ``ema_workbench.perform_experiments`` returns."""
    series = sweep.series(keys=("seed",))
    runs = series.drop_duplicates("run")[["run", "point", "replication", "seed"]].reset_index(drop=True)
    experiments = runs.join(sweep.points, on="point")[sweep.factor_names].reset_index(drop=True)
    for name in experiments.columns:
        # The workbench holds categorical uncertainties as pandas categories (and reads text columns back as such).
        if not pd.api.types.is_numeric_dtype(experiments[name]) and not pd.api.types.is_bool_dtype(experiments[name]):
            experiments[name] = pd.Categorical(experiments[name].astype(str))
    experiments.columns = list(identifiers(sweep.factor_names))
    experiments["replication"] = runs["replication"].to_numpy()
    experiments["seed"] = runs["seed"].to_numpy()
    experiments["scenario"] = pd.Categorical(runs["point"].astype(str))
    experiments["policy"] = pd.Categorical(["none"] * len(runs))
    experiments["model"] = pd.Categorical([sweep.scenario_name] * len(runs))
    steps = sorted(series["step"].unique())
    outcomes: dict[str, np.ndarray] = {}
    for outcome in sweep.outcomes:
        table = series.pivot(index="run", columns="step", values=outcome).reindex(index=runs["run"], columns=steps)
        outcomes[outcome] = table.to_numpy(dtype="float64")
    dates = series.drop_duplicates("step").set_index("step")["date"].reindex(steps)
    outcomes["TIME"] = np.tile(fractional_years(dates), (len(runs), 1))
    return experiments, outcomes


def export(sweep: Any, path: str | Path) -> Path:
    """Write the sweep to ``path`` (a .tar.gz the EMA Workbench's ``load_results`` reads)."""
    path = Path(path)
    experiments, outcomes = experiments_and_outcomes(sweep)
    files = {"experiments.csv": _csv(experiments, header=True)}
    listed = []
    for name, values in outcomes.items():
        files[f"{name}.csv"] = _csv(pd.DataFrame(values), header=False)
        listed.append(("ArrayOutcome", name, f"{name}.csv"))
    metadata = {
        "version": FORMAT_VERSION,
        "outcomes": listed,
        "experiments": {k: v.name for k, v in experiments.dtypes.to_dict().items()},
        "factor_names": identifiers(sweep.factor_names),
    }
    files["metadata.json"] = json.dumps(metadata).encode()

    def write(temporary: Path) -> None:
        with tarfile.open(temporary, "w:gz") as archive:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))

    write_atomically(path, write)
    return path


def workbench_model(
    scenario: Any = "baseline",
    parameters: Any = (),
    outcomes: Any = ("cohesion",),
    replications: int = 1,
    name: str = "alliancecohesion",
) -> Any:
    """The model as an EMA Workbench model: each experiment runs replications of a scenario with its values.

    ``scenario`` is a packaged name, a scenario file or a :class:`~sim.scenarios.scenario.Scenario`;
    ``parameters`` are registry names that become the workbench's uncertainties over their
    registry ranges (``RealParameter``, ``IntegerParameter`` for whole-number parameters,
    ``CategoricalParameter`` for the rules); ``outcomes`` are model outcome names, each an
    ``ArrayOutcome`` of one value a month; ``replications`` runs 0 to n-1 of the scenario per
    experiment (a ``ReplicatorModel``, whose outcomes are experiments x replications x months).

    Replication ``k`` of an experiment is replication ``k`` of ``sim.run`` on the scenario with
    the experiment's values as parameters (its seed, and its posterior draw unless the
    scenario's ``uncertainty`` is ``none``, with the experiment's values on top): the same numbers,
    exactly. Add uncertainties or levers of other registry parameters to ``model.uncertainties``
    / ``model.levers`` as usual; any keyword the function gets is a parameter override.

    Raises:
        ImportError: the ``ema`` extra is not installed (``pip install 'alliance-cohesion[ema]'``).
        InputError: an unknown scenario, parameter or outcome, naming it.
    """
    try:
        from ema_workbench import (
            ArrayOutcome,
            CategoricalParameter,
            IntegerParameter,
            Model,
            RealParameter,
            ReplicatorModel,
        )
    except ImportError as error:
        raise ImportError(
            f"the EMA Workbench model needs the ema extra: pip install 'alliance-cohesion[ema]' ({error})"
        ) from None
    from sim.inputs import parameters as params
    from sim.model import AllianceModel
    from sim.rules import outcomes as metrics
    from sim.scenarios.scenario import Scenario, load
    from sim.util.errors import InputError, nearest

    base = scenario if isinstance(scenario, Scenario) else load(scenario)
    for outcome in outcomes:
        if outcome not in metrics.MODEL_OUTCOMES:
            raise InputError("outcomes", f"{outcome!r} is not an outcome{nearest(outcome, metrics.MODEL_OUTCOMES)}")
    if int(replications) < 1:
        raise InputError("replications", f"{replications} is not allowed; use a whole number of 1 or more")
    kept = tuple(outcomes)

    def run(replication: int = 0, **values: Any) -> dict[str, np.ndarray]:
        changed = base.with_overrides(parameters=values) if values else base
        frame = AllianceModel.from_scenario(changed, int(replication)).run().model_dataframe()
        return {outcome: frame[outcome].to_numpy(dtype="float64") for outcome in kept}

    if replications == 1:
        model = Model(name, function=run)
    else:
        model = ReplicatorModel(name, function=run)
        model.replications = [{"replication": k} for k in range(int(replications))]
    uncertainties = []
    for parameter in parameters:
        spec = params.check_name(parameter, "parameters")
        if spec.choices:
            uncertainties.append(CategoricalParameter(parameter, list(spec.choices)))
        elif spec.integer:
            uncertainties.append(IntegerParameter(parameter, int(spec.low), int(spec.high)))
        else:
            uncertainties.append(RealParameter(parameter, float(spec.low), float(spec.high)))
    model.uncertainties = uncertainties
    model.outcomes = [ArrayOutcome(outcome) for outcome in kept]
    return model
