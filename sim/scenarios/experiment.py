"""Experiment files: a scenario, a design, the factors it varies, replications and the outputs to keep.

A factor is any registered parameter (``confidence_bound``) or a field of
the scenario's events by dotted path: ``events.us_troops.change`` sets the
field of every ``us_troops`` event of the scenario, ``events.us_troops[-1].change``
only the last one (events counted in the resolved scenario's order, the
inherited ones first). A grid takes levels, the sampled designs bounds.

:func:`load` returns a checked :class:`Experiment`; every problem is an
:class:`~sim.util.errors.InputError` naming the file and the field, with a
suggestion where a name is misspelt. Levels and bounds are checked against
the parameter registry and the targeted events when the file is read, so
that a typo fails in a second, not hours into a sweep.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.inputs.parameters import PARAMETERS, check_name
from sim.rules.events import EVENT_TYPES, Event, make_event
from sim.rules.outcomes import COUNT_OUTCOMES, MODEL_OUTCOMES
from sim.scenarios import scenario as scenarios
from sim.scenarios.designs import DESIGNS, Axis
from sim.scenarios.designs import points as design_points
from sim.scenarios.scenario import Scenario
from sim.util import yamlfile
from sim.util.calendar import parse_month
from sim.util.errors import OUTCOMES_LISTED, InputError, nearest, one_of, pydantic_problem, shown
from sim.util.files import data_sha256

AGENT_ROWS = ("none", "final", "yearly", "monthly")
# Runs in one sweep (points x replications). The points table (8 bytes a factor per point, several times that
# while a design is sampled), summary.csv (a row per run) and the ledger grow with it: a million runs keep each
# well under a gigabyte, and take hours on a workstation already. Larger studies are several sweeps.
MAX_RUNS = 1_000_000
MAX_LEVELS = 10_000  # levels of one grid factor


class OutputsSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    model: list[str] | str = Field("all", description="'all' or a list of model outcomes, e.g. [cohesion]")
    agents: str = Field("none", description=f"one of {', '.join(AGENT_ROWS)}")


class ExperimentFile(BaseModel):
    """The keys of one experiment file."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        max_length=80,
        description="a name of 1 to 80 letters, digits, '_', '-' or '.', starting with a letter or digit; "
        "default: the file name",
    )
    description: str = Field("", description="text")
    scenario: str | dict[str, Any] = Field(
        description="a scenario file (relative to this file), the name of a packaged scenario, or a scenario mapping"
    )
    design: str = Field(description=f"one of {', '.join(DESIGNS)}")
    samples: int | None = Field(
        None, ge=1, le=MAX_RUNS, description=f"a whole number from 1 to {MAX_RUNS} (lhs, sobol, morris)"
    )
    replications: int = Field(
        1,
        ge=1,
        le=scenarios.MAX_REPLICATIONS,
        description=f"a whole number from 1 to {scenarios.MAX_REPLICATIONS}",
    )
    seed: int | None = Field(
        None,
        ge=0,
        le=scenarios.MAX_SEED,
        description=f"a whole number from 0 to {scenarios.MAX_SEED}; default: the scenario's",
    )
    common_random_numbers: bool = Field(False, description="true or false")
    uncertainty: Literal["posterior", "none"] | None = Field(
        None,
        description="'posterior' (each replication draws a parameter set from the shipped posterior; factors "
        "override it) or 'none'; default: the scenario's",
    )
    second_order: bool | None = Field(None, description="true or false (sobol only)")
    morris_levels: int | None = Field(
        None, ge=2, le=100, description="an even whole number from 2 to 100, 4 by default (morris only)"
    )
    factors: dict[str, Any] = Field(
        description="a mapping of parameter or event field: levels (grid) or bounds (lhs, sobol, morris)"
    )
    outputs: OutputsSpec = Field(
        default_factory=OutputsSpec,
        description=f"a mapping {{model: all or [outcomes], agents: one of {', '.join(AGENT_ROWS)}}}",
    )


KEYS = tuple(ExperimentFile.model_fields)
_EVENT_PATH = re.compile(r"^events\.(?P<type>\w+)(?:\[(?P<index>-?\d+)\])?\.(?P<field>\w+)$")


@dataclasses.dataclass(frozen=True)
class Factor:
    """One varied setting: a parameter, or one field of the scenario's events of one type.

    ``targets`` are the indexes, in ``scenario.events``, of the events the
    factor sets; ``kind`` is the value type (float, int, str or bool).
    """

    name: str
    parameter: str | None
    event_type: str | None
    field: str | None
    targets: tuple[int, ...]
    kind: str
    levels: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None

    @property
    def axis(self) -> Axis:
        return Axis(self.name, self.levels, self.low, self.high, integer=self.kind == "int")

    def canonical(self, value: Any) -> Any:
        """A point's value as a plain Python value of the factor's type (designs return numpy scalars)."""
        if isinstance(value, np.generic):
            value = value.item()
        if value is None:  # an optional event field left unset
            return None
        if self.kind == "float":
            return float(value)
        if self.kind == "int":
            return int(round(value))
        return value

    def apply(self, parameters: dict[str, Any], events: list[Event], value: Any) -> None:
        """Set this factor to ``value`` in a scenario's parameters or events (both changed in place)."""
        if self.parameter is not None:
            parameters[self.parameter] = PARAMETERS[self.parameter].check(value)
            return
        for i in self.targets:
            events[i] = make_event({**events[i].model_dump(), self.field: value}, f"events[{i}]")

    def to_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.parameter is not None:
            entry["parameter"] = self.parameter
        else:
            entry.update(event_type=self.event_type, field=self.field, event_indexes=list(self.targets))
        if self.levels:
            entry["levels"] = list(self.levels)
        else:
            entry.update(low=self.low, high=self.high)
        return entry


@dataclasses.dataclass(frozen=True)
class Experiment:
    """A checked experiment: the resolved scenario, the design and its factors, what to keep."""

    name: str
    description: str
    source: str
    scenario: Scenario
    design: str
    samples: int | None
    replications: int
    seed: int
    common_random_numbers: bool
    options: dict[str, Any]
    factors: tuple[Factor, ...]
    outcomes: tuple[str, ...]
    agents: str
    uncertainty: str = "posterior"

    @property
    def n_points(self) -> int:
        return DESIGNS[self.design].size([f.axis for f in self.factors], self.samples, self.options)

    @property
    def runs_total(self) -> int:
        return self.n_points * self.replications

    @property
    def design_seed(self) -> int:
        """The seed of the sampler (lhs, sobol, morris): a 32-bit word of ``SeedSequence(seed)``, apart from runs'."""
        return int(np.random.SeedSequence(self.seed).generate_state(1)[0])

    def points(self) -> pd.DataFrame:
        """One row per point (index ``point``), one column per factor, each of its factor's type."""
        table = design_points(self.design, [f.axis for f in self.factors], self.samples, self.design_seed, self.options)
        for factor in self.factors:
            table[factor.name] = [factor.canonical(v) for v in table[factor.name]]
            table[factor.name] = table[factor.name].astype(_PANDAS_TYPES[factor.kind])
        return table

    def run_seed(self, point: int, replication: int) -> int:
        return run_seed(self.seed, point, replication, self.common_random_numbers)

    def to_dict(self) -> dict[str, Any]:
        """What determines the results, as plain data (manifest; the hash is taken over it)."""
        return {
            "name": self.name,
            "design": self.design,
            "samples": self.samples,
            "replications": self.replications,
            "seed": self.seed,
            "common_random_numbers": self.common_random_numbers,
            "options": dict(self.options),
            "factors": [f.to_dict() for f in self.factors],
            "outputs": {"model": list(self.outcomes), "agents": self.agents},
            "uncertainty": self.uncertainty,
        }

    def content_hash(self) -> str:
        """sha256 over the design, factors, seeds, outputs and the resolved scenario (not prose, not paths)."""
        content = {"experiment": {k: v for k, v in self.to_dict().items() if k != "name"}}
        content["scenario"] = self.scenario.content_hash()
        return data_sha256(json.dumps(content, sort_keys=True).encode())

    def summary_schema(self) -> pa.Schema:
        """The columns of summary rows, fixed so that every part has the same schema (failed runs included)."""
        fields = [pa.field(k, pa.int64()) for k in ("run", "point", "replication", "seed")]
        fields += [pa.field(f.name, _ARROW_TYPES[f.kind]) for f in self.factors]
        # A count's final value stays a whole number (null for a failed run); means are floats.
        fields += [pa.field(f"final_{o}", pa.int64() if o in COUNT_OUTCOMES else pa.float64()) for o in self.outcomes]
        fields += [pa.field(f"mean_{o}", pa.float64()) for o in self.outcomes]
        fields.append(pa.field("error", pa.string()))
        return pa.schema(fields)


_PANDAS_TYPES = {"float": "float64", "int": "int64", "bool": "bool", "str": "object"}
_ARROW_TYPES = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "str": pa.string()}


def run_seed(seed: int, point: int, replication: int, common_random_numbers: bool = False) -> int:
    """The seed of replication ``k`` of point ``p``: child ``(p, k)`` of ``SeedSequence(seed)``.

    ``SeedSequence(seed, spawn_key=(p, k))`` is ``SeedSequence(seed).spawn(P)[p].spawn(K)[k]``
    whatever the numbers of points and replications. With common random
    numbers it is child ``k`` alone, for every point: exactly the seed of
    replication ``k`` in ``cohesion run`` with the same seed, so that points
    differ by their settings, not by their luck.
    """
    if common_random_numbers:
        return scenarios.replication_seed(seed, replication)
    child = np.random.SeedSequence(seed, spawn_key=(point, replication))
    return int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


# ---------------------------------------------------------------------- loading
def find(reference: str) -> str:
    """The experiment file ``reference`` names: a path as given, or the packaged experiment of that name
    (``drawdown_vs_doubt``) when no such file exists; anything else as given, for :func:`load` to refuse."""
    if not Path(reference).exists():
        from sim.util.resources import packaged_experiments

        packaged = packaged_experiments()
        if reference in packaged:
            return str(packaged[reference])
    return reference


def load(path: str | Path) -> Experiment:
    """Read and check an experiment file; every problem is an InputError naming the file and the field."""
    source = str(path)
    path = Path(path)
    if not yamlfile.exists(path):
        try:
            nearby = [str(p) for p in path.parent.glob("*.y*ml")] if yamlfile.is_dir(path.parent) else []
        except (OSError, ValueError):
            nearby = []
        from sim.util.resources import packaged_experiments

        hint = nearest(source, nearby)
        if not hint:
            packaged = ", ".join(packaged_experiments())
            hint = f"; give a path or a packaged experiment: {packaged}" if packaged else ""
            if source in scenarios.packaged_scenarios():
                hint = (
                    f" ('{source}' is a scenario: run it with 'cohesion run {source}', or sweep it by naming it "
                    f"under scenario: in an experiment file){hint}"
                )
        raise InputError("file", f"no such experiment file{hint}", source)
    content, _ = yamlfile.read(path, source, "experiment")
    return from_mapping(content, source, folder=path.parent, default_name=path.stem)


def from_mapping(
    content: Any, source: str = "experiment", folder: str | Path = ".", default_name: str = "experiment"
) -> Experiment:
    """Check an experiment given as parsed YAML; a scenario path in it is relative to ``folder``."""
    error = yamlfile.not_keys(content, source, "experiment", ("scenario", "factors", *KEYS))
    if error is not None:
        raise error
    yamlfile.check_shape(content, source)
    for key in content:
        if not isinstance(key, str) or key not in KEYS:
            raise InputError(
                shown(key) if not isinstance(key, str) else key,
                f"unknown key{nearest(str(key), KEYS)}; an experiment takes {', '.join(KEYS)}",
                source,
            )
    try:
        spec = ExperimentFile(**content)
    except ValidationError as error:
        raise _pydantic_error(error, source) from None
    try:
        return _resolve(spec, source, Path(folder), default_name)
    except InputError as error:
        raise error if error.source else error.with_source(source) from None


def _pydantic_error(error: ValidationError, source: str) -> InputError:
    first = error.errors()[0]
    loc = [str(part) for part in first["loc"] if not str(part).startswith(("function-", "str", "dict", "list"))]
    field = ".".join(loc) or "top level"
    if first["type"] == "extra_forbidden":
        keys = tuple(OutputsSpec.model_fields) if loc[0] == "outputs" else KEYS
        return InputError(field, f"unknown key{nearest(loc[-1], keys)}; use one of {', '.join(keys)}", source)
    return InputError(field, pydantic_problem(first, _allowed(loc)), source)


def _allowed(loc: list[str]) -> str:
    if loc and loc[0] == "outputs" and len(loc) > 1:
        model: type[BaseModel] = OutputsSpec
        name = loc[1]
    else:
        model, name = ExperimentFile, (loc[0] if loc else "")
    return model.model_fields[name].description if name in model.model_fields else "a valid value"


def _resolve(spec: ExperimentFile, source: str, folder: Path, default_name: str) -> Experiment:
    if spec.design not in DESIGNS:
        raise InputError(
            "design",
            f"{shown(spec.design)} is not a design{nearest(spec.design, DESIGNS)}; use one of {', '.join(DESIGNS)}",
        )
    design = DESIGNS[spec.design]
    if design.sampled and spec.samples is None:
        raise InputError("samples", f"missing; a {spec.design} design needs a number of samples")
    if not design.sampled and spec.samples is not None:
        raise InputError("samples", "a grid takes its points from the factors' levels; remove samples")
    if spec.design == "sobol" and spec.samples & (spec.samples - 1):
        below = 2 ** int(math.log2(spec.samples))
        raise InputError(
            "samples", f"{spec.samples} is not a power of 2, which Sobol' sequences need; use {below} or {2 * below}"
        )
    options: dict[str, Any] = {}
    if spec.second_order is not None:
        if spec.design != "sobol":
            raise InputError("second_order", "only a sobol design takes second_order; remove it")
        options["second_order"] = spec.second_order
    if spec.morris_levels is not None:
        if spec.design != "morris":
            raise InputError("morris_levels", "only a morris design takes morris_levels; remove it")
        if spec.morris_levels % 2:
            raise InputError("morris_levels", f"{spec.morris_levels} is odd; use an even number such as 4")
        options["levels"] = spec.morris_levels
    scenario = _scenario(spec.scenario, source, folder)
    if not spec.factors:
        raise InputError("factors", "give at least one factor: a parameter name or events.<type>.<field>")
    factors = tuple(_factor(str(name), value, scenario, spec.design) for name, value in spec.factors.items())
    outcomes = _outcomes(spec.outputs.model)
    if spec.outputs.agents not in AGENT_ROWS:
        raise InputError(
            "outputs.agents",
            f"{shown(spec.outputs.agents)} is not allowed{nearest(spec.outputs.agents, AGENT_ROWS)}; "
            f"use one of {', '.join(AGENT_ROWS)}",
        )
    experiment = Experiment(
        name=spec.name or re.sub(r"[^A-Za-z0-9_.-]", "_", default_name),
        description=spec.description,
        source=source,
        scenario=scenario,
        design=spec.design,
        samples=spec.samples,
        replications=spec.replications,
        seed=scenario.seed if spec.seed is None else spec.seed,
        common_random_numbers=spec.common_random_numbers,
        options=options,
        factors=factors,
        outcomes=outcomes,
        agents=spec.outputs.agents,
        uncertainty=spec.uncertainty or scenario.uncertainty,
    )
    if experiment.runs_total > MAX_RUNS:
        shape = f"{experiment.n_points:,} points x {experiment.replications:,} replications"
        smaller = "samples or replications" if design.sampled else "levels or replications"
        raise InputError(
            "samples" if design.sampled else "factors",
            f"the design makes {experiment.runs_total:,} runs ({shape}); at most {MAX_RUNS:,} fit one sweep: "
            f"use fewer {smaller}",
        )
    return experiment


def _scenario(reference: str | dict[str, Any], source: str, folder: Path) -> Scenario:
    if isinstance(reference, dict):
        label = "inline scenario"
        try:
            scenario = scenarios.from_mapping(reference, label, folder)
        except InputError as error:
            if error.source in (None, label):  # a problem in the mapping itself, not in a parent file
                raise InputError(f"scenario.{error.field}", error.message, source) from None
            raise
        # Notes on the inline scenario point into the experiment file, as its errors do.
        notes = tuple(note.replace(f" {label}: ", f" {source}: scenario.", 1) for note in scenario.notes)
        return dataclasses.replace(scenario, notes=notes)
    beside = folder / reference
    for named in (beside, reference):
        if yamlfile.is_file(named) or named == reference and reference in scenarios.packaged_scenarios():
            try:
                return scenarios.load(named)
            except InputError as error:  # told in the experiment file, without the scenario file's text
                raise scenarios.referenced(error, source, "scenario", reference) from None
    try:
        nearby = [p.name for p in folder.glob("*.y*ml")] if yamlfile.is_dir(folder) else []
    except (OSError, ValueError):
        nearby = []
    packaged = list(scenarios.packaged_scenarios())
    raise InputError(
        "scenario",
        f"no scenario file {shown(reference)} next to this experiment file and no packaged scenario of that "
        f"name{nearest(reference, nearby + packaged)}; use a file name or one of {', '.join(packaged)}",
        source,
    )


def _outcomes(requested: list[str] | str) -> tuple[str, ...]:
    if requested == "all":
        return MODEL_OUTCOMES
    if isinstance(requested, str):
        requested = [requested]
    for name in requested:
        if name not in MODEL_OUTCOMES:
            raise InputError(
                "outputs.model",
                f"{shown(name)} is not a model outcome{nearest(name, MODEL_OUTCOMES)}; use 'all' or a list, each "
                f"{one_of(MODEL_OUTCOMES, name, 'model outcomes', OUTCOMES_LISTED)}",
            )
    if not requested:
        raise InputError("outputs.model", "give 'all' or at least one model outcome")
    return tuple(dict.fromkeys(requested))


# ---------------------------------------------------------------------- factors
def _factor(name: str, spec: Any, scenario: Scenario, design: str) -> Factor:
    field = f"factors.{name}"
    if name.startswith("events"):
        factor = _event_factor(name, scenario, field)
    else:
        parameter = check_name(name, "factors")
        kind = "str" if parameter.is_categorical else ("int" if parameter.integer else "float")
        factor = Factor(name, name, None, None, (), kind)
    if DESIGNS[design].sampled:
        low, high = _bounds(factor, spec, design, field)
        return dataclasses.replace(
            factor, low=_check(factor, low, scenario, field), high=_check(factor, high, scenario, field)
        )
    levels = _levels(factor, spec, field)
    return dataclasses.replace(factor, levels=tuple(_check(factor, v, scenario, field) for v in levels))


def _event_factor(name: str, scenario: Scenario, field: str) -> Factor:
    match = _EVENT_PATH.match(name)
    if match is None:
        raise InputError(field, "write an event field as events.<type>.<field> or events.<type>[i].<field>")
    kind, index, attribute = match.group("type"), match.group("index"), match.group("field")
    if kind not in EVENT_TYPES:
        raise InputError(
            field,
            f"unknown event type {shown(kind)}{nearest(kind, EVENT_TYPES)}; "
            f"use one of {', '.join(sorted(EVENT_TYPES))}",
        )
    present = [i for i, event in enumerate(scenario.events) if event.type == kind]
    if not present:
        types = sorted({event.type for event in scenario.events}) or ["none"]
        raise InputError(field, f"scenario '{scenario.name}' has no {kind} event; its event types: {', '.join(types)}")
    if index is not None:
        k = int(index)
        if not -len(present) <= k < len(present):
            raise InputError(
                field, f"index {k} is out of range: scenario '{scenario.name}' has {len(present)} {kind} event(s)"
            )
        present = [present[k]]
    fields = [f for f in EVENT_TYPES[kind].model_fields if f != "type"]
    if attribute not in fields:
        raise InputError(
            field,
            f"a {kind} event has no field {shown(attribute)}{nearest(attribute, fields)}; "
            f"use one of {', '.join(fields)}",
        )
    return Factor(
        name, None, kind, attribute, tuple(present), _value_kind(EVENT_TYPES[kind].model_fields[attribute].annotation)
    )


def _value_kind(annotation: Any) -> str:
    """float, int, bool or str: the type of an event field (Optional and Literal unwrapped)."""
    types = {t for t in get_args(annotation) if t is not type(None)} or {annotation}
    for kind in (bool, int, float):
        if types == {kind}:
            return kind.__name__
    return "str"


def _bounds(factor: Factor, spec: Any, design: str, field: str) -> tuple[Any, Any]:
    if factor.kind not in ("float", "int"):
        raise InputError(field, f"a {design} design samples numbers; '{factor.name}' is not numeric: use design: grid")
    if spec == "range":
        if factor.parameter is None:
            raise InputError(field, "'range' means a parameter's registered range; give an event field [low, high]")
        return PARAMETERS[factor.parameter].low, PARAMETERS[factor.parameter].high
    if isinstance(spec, Mapping) and set(spec) == {"low", "high"}:
        spec = [spec["low"], spec["high"]]
    if not (isinstance(spec, list) and len(spec) == 2 and all(_is_number(v) for v in spec)):
        raise InputError(field, f"a {design} design needs bounds: [low, high], {{low: .., high: ..}} or 'range'")
    if not all(_is_finite(v) for v in spec):
        raise InputError(field, f"bounds {shown(spec)} must be finite numbers, [low, high]")
    if not spec[0] < spec[1]:
        raise InputError(field, f"low {shown(spec[0])} must be below high {shown(spec[1])}")
    return spec[0], spec[1]


def _levels(factor: Factor, spec: Any, field: str) -> list[Any]:
    if isinstance(spec, Mapping):
        if set(spec) != {"low", "high", "levels"} or not all(_is_number(spec[k]) for k in spec):
            raise InputError(field, "a grid needs levels: a list, or {low: .., high: .., levels: n}")
        count = spec["levels"]
        if not isinstance(count, int) or not 2 <= count <= MAX_LEVELS:
            raise InputError(field, f"levels: {shown(count)} is not allowed; use a whole number from 2 to {MAX_LEVELS}")
        if not (_is_finite(spec["low"]) and _is_finite(spec["high"])):
            raise InputError(field, "low and high must be finite numbers")
        values = np.linspace(spec["low"], spec["high"], count)
        return list(dict.fromkeys(round(v) for v in values)) if factor.kind == "int" else [float(v) for v in values]
    if not isinstance(spec, list) or not spec:
        raise InputError(field, "a grid needs levels: a list, or {low: .., high: .., levels: n}")
    return spec


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_finite(value: int | float) -> bool:
    return isinstance(value, int) or math.isfinite(value)  # a Python int of any size is finite


def _check(factor: Factor, value: Any, scenario: Scenario, field: str) -> Any:
    """A level or bound in canonical form, checked against the registry or the targeted events."""
    if factor.parameter is not None:
        try:
            return PARAMETERS[factor.parameter].check(value)
        except InputError as error:
            raise InputError(field, error.message) from None
    start, end = parse_month(scenario.start), parse_month(scenario.end)
    checked = value
    for i in factor.targets:
        try:
            event = make_event({**scenario.events[i].model_dump(), factor.field: value}, "event")
        except InputError as error:
            message = error.message if error.message.startswith(shown(value)) else f"{shown(value)}: {error.message}"
            raise InputError(field, f"{message} (event {scenario.events[i].date})") from None
        if not start <= event.month <= end:
            raise InputError(field, f"{event.date} is outside the run {scenario.start} to {scenario.end}")
        checked = getattr(event, factor.field)
    return checked
