"""Scenario files: YAML checked against the registries, resolved through ``extends``, turned into models.

A scenario file holds settings (``start``, ``end``, ``initial_year``,
``replications``, ``seed``), ``parameters``, per-state overrides (``states``)
and dated ``events``. A file may ``extend`` a parent by name: it inherits the
parent's settings, parameters, states and events, overrides settings, and
appends its own events. :func:`load` returns a fully merged
:class:`Scenario`; every problem is an :class:`~sim.errors.InputError` that
names the file and the field in that file.

Replication ``k`` of a scenario runs with the seed of child ``k`` of
``numpy.random.SeedSequence(seed)``, so that replication ``k`` of two
scenarios with the same seed share their random numbers (common random
numbers: paired comparisons are valid) and no result depends on the number
of workers or the order of execution.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim.calendar import format_month, parse_month
from sim.errors import InputError, nearest
from sim.events import Event, make_event
from sim.inputs import check_iso3
from sim.model import STATE_OVERRIDES, AllianceModel
from sim.params import check_name
from sim.resources import packaged_folder

# The packaged scenarios: the checkout's top-level scenarios/, or their copy inside an installed wheel.
PACKAGED_SCENARIOS = packaged_folder("scenarios")
SUFFIXES = (".yaml", ".yml")
SETTINGS = ("start", "end", "initial_year", "replications", "seed")
DEFAULTS: dict[str, Any] = {"start": "2025-01", "end": "2035-12", "initial_year": None, "replications": 10, "seed": 0}
MAX_REPLICATIONS = 100_000


def _month(value: Any, field: str) -> str | None:
    return None if value is None else format_month(parse_month(value, field))


class ScenarioFile(BaseModel):
    """The keys of one scenario file, as written (before ``extends`` is resolved)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        max_length=80,
        description="a name of letters, digits, '_', '-' or '.' (names the results folder); default: the file name",
    )
    description: str = Field("", description="one line of text, shown by 'cohesion list' and in the report")
    extends: str | None = Field(None, description="the name of a parent scenario in the same folder or packaged")
    start: str | None = Field(None, description="the first month, YYYY-MM (default 2025-01)")
    end: str | None = Field(None, description="the last month, YYYY-MM (default 2035-12)")
    initial_year: Literal[2022, 2024] | None = Field(None, description="2022 or 2024: which data start the run")
    replications: int | None = Field(
        None, ge=1, le=MAX_REPLICATIONS, description=f"a whole number from 1 to {MAX_REPLICATIONS}"
    )
    seed: int | None = Field(None, ge=0, lt=2**63, description="a whole number, 0 or more")
    parameters: dict[str, Any] = Field(default_factory=dict, description="a mapping of parameter: value")
    states: dict[str, Any] = Field(default_factory=dict, description="a mapping of ISO3: {variable: value}")
    events: list[Any] = Field(default_factory=list, description="a list of events, each {date, type, ...}")

    @field_validator("start", "end", mode="before")
    @classmethod
    def _months(cls, value: Any, info: Any) -> str | None:
        return _month(value, info.field_name)


KEYS = tuple(ScenarioFile.model_fields)


@dataclasses.dataclass(frozen=True)
class Scenario:
    """A resolved scenario: every setting filled in, parents merged, every event validated.

    ``origins`` says which file set each setting, parameter and state
    (``"start"``, ``"parameters.x"``, ``"states.POL"``);
    ``event_origins[k]`` gives the file and index of event ``k`` in it, so
    that late checks still point at the right line of the right file.
    """

    name: str
    description: str
    story: str
    source: str
    extends: tuple[str, ...]
    start: str
    end: str
    initial_year: int | None
    replications: int
    seed: int
    parameters: dict[str, float | str]
    states: dict[str, dict[str, Any]]
    events: tuple[Event, ...]
    origins: dict[str, str] = dataclasses.field(repr=False, compare=False)
    event_origins: tuple[tuple[str, int], ...] = dataclasses.field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The resolved scenario as plain JSON-able data (for the manifest)."""
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "extends": list(self.extends),
            "start": self.start,
            "end": self.end,
            "initial_year": self.initial_year,
            "replications": self.replications,
            "seed": self.seed,
            "parameters": dict(self.parameters),
            "states": {code: dict(values) for code, values in self.states.items()},
            "events": [event.model_dump(mode="json") for event in self.events],
        }

    def content_hash(self) -> str:
        """sha256 of what determines the results (not where the file was read from, nor its prose)."""
        content = {k: v for k, v in self.to_dict().items() if k not in ("source", "description")}
        return "sha256:" + hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()

    def seeds(self) -> list[int]:
        return [replication_seed(self.seed, k) for k in range(self.replications)]

    def build_model(self, replication: int) -> AllianceModel:
        """The model of replication ``k``, ready to run."""
        return AllianceModel(
            seed=replication_seed(self.seed, replication),
            start=self.start,
            end=self.end,
            initial_year=self.initial_year,
            events=list(self.events),
            states=self.states,
            parameters=self.parameters,
        )

    def with_overrides(self, replications: int | None = None, seed: int | None = None) -> Scenario:
        """The same scenario with command-line replications or seed; InputError naming the option."""
        if replications is not None and not 1 <= replications <= MAX_REPLICATIONS:
            raise InputError(
                "--replications", f"{replications} is not allowed; use a whole number from 1 to {MAX_REPLICATIONS}"
            )
        if seed is not None and not 0 <= seed < 2**63:
            raise InputError("--seed", f"{seed} is not allowed; use a whole number, 0 or more")
        return dataclasses.replace(
            self,
            replications=self.replications if replications is None else replications,
            seed=self.seed if seed is None else seed,
        )


def replication_seed(seed: int, replication: int) -> int:
    """Seed of replication ``k``: child ``k`` of ``SeedSequence(seed)``, whatever the replication count.

    ``SeedSequence(seed, spawn_key=(k,))`` is exactly ``SeedSequence(seed).spawn(n)[k]``
    for any ``n > k``. The 64-bit state is shifted to 63 bits so it fits a
    signed int64 column.
    """
    child = np.random.SeedSequence(seed, spawn_key=(replication,))
    return int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


# ------------------------------------------------------------------ finding files
def packaged_scenarios() -> dict[str, Path]:
    """Name -> path of the scenarios shipped with the tool."""
    if not PACKAGED_SCENARIOS.is_dir():
        return {}
    return {p.stem: p for p in sorted(PACKAGED_SCENARIOS.iterdir()) if p.suffix in SUFFIXES}


def find(reference: str | Path) -> Path:
    """A scenario file by path, or a packaged scenario by name; InputError with a suggestion otherwise."""
    path = Path(reference)
    if path.is_file():
        return path
    packaged = packaged_scenarios()
    if str(reference) in packaged:
        return packaged[str(reference)]
    if path.is_dir():
        raise InputError("file", "is a folder; give a scenario file (.yaml)", str(reference))
    nearby = [str(p) for p in path.parent.glob("*.y*ml")] if path.parent.is_dir() else []
    hint = nearest(str(reference), nearby + list(packaged))
    raise InputError(
        "file", f"no such file{hint}; give a scenario file or one of: {', '.join(packaged)}", str(reference)
    )


def _parent_path(name: str, folder: Path, source: str) -> Path:
    if name.endswith(SUFFIXES) or "/" in name:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    else:
        for suffix in SUFFIXES:
            if (folder / f"{name}{suffix}").is_file():
                return folder / f"{name}{suffix}"
        if name in packaged_scenarios():
            return packaged_scenarios()[name]
    known = sorted({p.stem for p in folder.glob("*.y*ml")} | set(packaged_scenarios()))
    raise InputError(
        "extends",
        f"no scenario '{name}' next to this file or among the packaged scenarios{nearest(name, known)}",
        source,
    )


# ------------------------------------------------------------------ reading one file
class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys: YAML would silently keep the last one."""


def _mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
        except TypeError:  # an unhashable key (a list as key): let the constructor report it
            break
        if duplicate:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key '{key}'", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def _read_yaml(path: Path, source: str) -> tuple[Any, str]:
    """(parsed content, leading comment block)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file", "no such file", source) from None
    except IsADirectoryError:
        raise InputError("file", "is a folder; give a scenario file (.yaml)", source) from None
    except UnicodeDecodeError:
        raise InputError("file", "is not text (UTF-8); give a YAML scenario file", source) from None
    except OSError as error:
        raise InputError("file", f"cannot be read ({error.strerror})", source) from None
    try:
        content = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "yaml"
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputError(where, f"not valid YAML ({problem})", source) from None
    return content, leading_comment(text)


def leading_comment(text: str) -> str:
    """The comment block that opens a file, without the '#' marks (the scenario's story)."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[1:].removeprefix(" ").rstrip())
    return "\n".join(lines).strip()


def _pydantic_error(error: ValidationError, source: str) -> InputError:
    first = error.errors()[0]
    loc = [str(part) for part in first["loc"]]
    field = (loc[0] or "(empty key)") if loc else "top level"
    if first["type"] == "extra_forbidden":
        return InputError(field, f"unknown key{nearest(field, KEYS)}; a scenario takes {', '.join(KEYS)}", source)
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, InputError):
        return InputError(cause.field, cause.message, source)
    allowed = ScenarioFile.model_fields[field].description if field in ScenarioFile.model_fields else ""
    value = first.get("input")
    shown = f"'{value}'" if isinstance(value, str) else repr(value)
    return InputError(field, f"{shown} is not allowed; use {allowed}", source)


def _check_file(content: Any, source: str) -> ScenarioFile:
    """One file's keys, each checked against the registries (parameters, states, events)."""
    if content is None:
        raise InputError(
            "top level", "the file is empty; a scenario is a mapping of keys such as name, start, end, events", source
        )
    if not isinstance(content, Mapping):
        raise InputError(
            "top level",
            f"a scenario is a mapping of keys (name, start, end, events, ...), not a {type(content).__name__}",
            source,
        )
    for key in content:
        if not isinstance(key, str):
            raise InputError(
                str(key), f"unknown key{nearest(str(key), KEYS)}; a scenario takes {', '.join(KEYS)}", source
            )
    try:
        spec = ScenarioFile(**content)
        parameters = {name: check_name(str(name)).check(value) for name, value in spec.parameters.items()}
        states = {_state_code(code): _state_values(code, values) for code, values in spec.states.items()}
        events = [_event(raw, k) for k, raw in enumerate(spec.events)]
    except ValidationError as error:
        raise _pydantic_error(error, source) from None
    except InputError as error:
        raise error.with_source(source) from None
    return spec.model_copy(update={"parameters": parameters, "states": states, "events": events})


def _state_code(code: Any) -> str:
    return check_iso3(code, f"states.{code}")


def _state_values(code: str, values: Any) -> dict[str, Any]:
    if not isinstance(values, Mapping):
        raise InputError(f"states.{code}", "give a mapping of variable: value, e.g. {threat: 0.9}")
    for name in values:
        if name not in STATE_OVERRIDES:
            raise InputError(
                f"states.{code}.{name}",
                f"cannot be set per state{nearest(str(name), STATE_OVERRIDES)}"
                f"; use one of {', '.join(STATE_OVERRIDES)}",
            )
    return dict(values)


def _event(raw: Any, k: int) -> Event:
    field = f"events[{k}]"
    if not isinstance(raw, Mapping):
        raise InputError(
            field, "each event is a mapping such as {date: 2026-03, type: coercion, target: DNK, size: 0.3}"
        )
    for key in raw:
        if not isinstance(key, str):
            raise InputError(f"{field}.{key}", "field names are words such as date, type, size")
    if not isinstance(raw.get("type"), str):
        raise InputError(f"{field}.type", "give the event type as a word; 'cohesion list' shows them")
    return make_event(dict(raw), field)


# ------------------------------------------------------------------ resolving
@dataclasses.dataclass
class _Layer:
    """Settings merged so far, with the file that set each."""

    settings: dict[str, Any]
    parameters: dict[str, Any]
    states: dict[str, dict[str, Any]]
    events: list[Event]
    origins: dict[str, str]
    event_origins: list[tuple[str, int]]
    chain: list[str]


def _layer(path: Path, source: str, content: Any, chain: tuple[Path, ...]) -> _Layer:
    spec = _check_file(content, source)
    if spec.extends is not None:
        parent_path = _parent_path(spec.extends, path.parent, source)
        key = parent_path.resolve()
        if key in chain or key == path.resolve():
            cycle = " -> ".join([p.stem for p in chain] + [path.stem, parent_path.stem])
            raise InputError(
                "extends",
                f"'{spec.extends}' makes a cycle ({cycle}); a scenario cannot extend itself or its descendants",
                source,
            )
        parent_content, _ = _read_yaml(parent_path, str(parent_path))
        layer = _layer(parent_path, str(parent_path), parent_content, (*chain, path.resolve()))
        layer.chain.insert(0, parent_path.stem)
    else:
        layer = _Layer({}, {}, {}, [], {}, [], [])
    for key in SETTINGS:
        value = getattr(spec, key)
        if value is not None:
            layer.settings[key] = value
            layer.origins[key] = source
    for name, value in spec.parameters.items():
        layer.parameters[name] = value
        layer.origins[f"parameters.{name}"] = source
    for code, values in spec.states.items():
        layer.states.setdefault(code, {}).update(values)
        layer.origins[f"states.{code}"] = source
    layer.events.extend(spec.events)
    layer.event_origins.extend((source, k) for k in range(len(spec.events)))
    layer.settings["name"] = spec.name or re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem)
    layer.settings["description"] = spec.description
    return layer


def load(reference: str | Path) -> Scenario:
    """Read, check and resolve a scenario file (a path, or the name of a packaged scenario)."""
    path = find(reference)
    source = str(reference) if Path(reference).is_file() else str(path)
    content, story = _read_yaml(path, source)
    return _resolve(path, source, content, story)


def from_mapping(content: Any, source: str = "scenario", folder: str | Path = ".", story: str = "") -> Scenario:
    """Resolve a scenario given as parsed YAML (``extends`` is looked up in ``folder``)."""
    return _resolve(Path(folder) / f"{source}.yaml", source, content, story)


def _resolve(path: Path, source: str, content: Any, story: str) -> Scenario:
    layer = _layer(path, source, content, ())
    values = {**DEFAULTS, **layer.settings}
    origins = layer.origins
    start, end = parse_month(values["start"]), parse_month(values["end"])
    if end < start:
        raise InputError(
            "end",
            f"{values['end']} is before start {values['start']}; end must be on or after start",
            origins.get("end", source),
        )
    for event, (origin, k) in zip(layer.events, layer.event_origins, strict=True):
        if start <= event.month <= end:
            continue
        bound = "start" if event.month < start else "end"
        if origins.get(bound, origin) != origin:
            # An inherited event falls outside a horizon narrowed by a child: the child's setting is the error.
            raise InputError(
                bound,
                f"{values[bound]} leaves out inherited events[{k}] of {origin} "
                f"({event.type}, {event.date}); the run must include every event",
                origins[bound],
            )
        raise InputError(
            f"events[{k}].date",
            f"{event.date} is outside the run {values['start']} to {values['end']}; move it or widen start/end",
            origin,
        )
    scenario = Scenario(
        name=values["name"],
        description=values["description"],
        story=story,
        source=source,
        extends=tuple(reversed(layer.chain)),
        start=values["start"],
        end=values["end"],
        initial_year=values["initial_year"],
        replications=values["replications"],
        seed=values["seed"],
        parameters=layer.parameters,
        states=layer.states,
        events=tuple(layer.events),
        origins=origins,
        event_origins=tuple(layer.event_origins),
    )
    _dry_build(scenario)
    return scenario


def _dry_build(scenario: Scenario) -> None:
    """Build (not run) one model so that every check the model makes is made now, blamed on the right file."""
    try:
        scenario.build_model(0)
    except InputError as error:
        match = re.match(r"(states\.[A-Z]{3}|parameters\.\w+|events\[(\d+)\])", error.field)
        origin, field = scenario.origins.get(error.field.split(".")[0], scenario.source), error.field
        if match and match.group(2) is not None:
            origin, k = scenario.event_origins[int(match.group(2))]
            field = re.sub(r"^events\[\d+\]", f"events[{k}]", error.field)
        elif match:
            origin = scenario.origins.get(match.group(1), scenario.source)
        raise InputError(field, error.message, origin) from None
