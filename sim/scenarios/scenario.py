"""Scenario files: YAML checked against the registries, resolved through ``extends``, turned into models.

A scenario file holds settings (``start``, ``end``, ``initial_year``,
``replications``, ``seed``), ``parameters``, per-state overrides (``states``)
and dated ``events``. A file may ``extend`` a parent by name: it inherits the
parent's settings, parameters, states and events, overrides settings, and
appends its own events. :func:`load` returns a fully merged
:class:`Scenario`; every problem is an :class:`~sim.util.errors.InputError` that
names the file and the field in that file.

Replication ``k`` of a scenario runs with the seed of child ``k`` of
``numpy.random.SeedSequence(seed)``, so that replication ``k`` of two
scenarios with the same seed share their random numbers (common random
numbers: paired comparisons are valid) and no result depends on the number
of workers or the order of execution.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim.engine.setup import STATE_OVERRIDES, RunSpec, build_batch
from sim.inputs.parameters import check_name
from sim.inputs.states import check_iso3, load_states
from sim.rules.events import EVENT_TYPES, Event, make_event
from sim.util import yamlfile
from sim.util.calendar import format_month, parse_month
from sim.util.errors import InputError, nearest, pydantic_problem, short_path, shorten, shown
from sim.util.files import data_sha256
from sim.util.resources import packaged_folder

# The packaged scenarios: the checkout's top-level scenarios/, or their copy inside an installed wheel.
PACKAGED_SCENARIOS = packaged_folder("scenarios")
SUFFIXES = (".yaml", ".yml")
SETTINGS = ("start", "end", "initial_year", "replications", "seed", "uncertainty")
DEFAULTS: dict[str, Any] = {
    "start": "2025-01",
    "end": "2035-12",
    "initial_year": None,
    "replications": 10,
    "seed": 0,
    # Each replication draws its parameters from the shipped posterior (sim/data/posterior.csv), which fits the
    # record up to 2024 better than the registry defaults (docs/CALIBRATION.md;
    # tests/unit/analysis/test_calibration.py).
    # 'none' runs at the registry defaults, chance alone (the golden outputs and pattern tests).
    "uncertainty": "posterior",
}
UNCERTAINTY = ("posterior", "none")
MAX_REPLICATIONS = 100_000
MAX_SEED = 2**63 - 1
MAX_CHAIN = 20  # files in one chain of extends (the packaged scenarios use 2)
# Events in one scenario, its parents' included (the packaged scenarios have at most 11): each is numbered and
# described on the figures and in the report, which cannot show thousands (20,000 took minutes to draw).
MAX_EVENTS = 100
_TOO_MANY_EVENTS = (
    f"a scenario takes at most {MAX_EVENTS} (those of the files it extends included): "
    "each is numbered and described on its figures and in its report"
)
PRELUDE = "prelude_2025"  # the packaged record of 2025 that the headline scenarios extend


def _month(value: Any, field: str) -> str | None:
    return None if value is None else format_month(parse_month(value, field))


class ScenarioFile(BaseModel):
    """The keys of one scenario file, as written (before ``extends`` is resolved)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        max_length=80,
        description="a name of 1 to 80 letters, digits, '_', '-' or '.', starting with a letter or digit "
        "(names the results folder); default: the file name",
    )
    description: str = Field("", description="text, shown by 'cohesion list' and in the report")
    extends: str | None = Field(
        None, description="the name of a parent scenario (a file in the same folder, or a packaged scenario)"
    )
    start: str | None = Field(None, description="the first month, YYYY-MM (default 2025-01)")
    end: str | None = Field(None, description="the last month, YYYY-MM (default 2035-12)")
    initial_year: Literal[2022, 2024] | None = Field(None, description="2022 or 2024: which data start the run")
    replications: int | None = Field(
        None, ge=1, le=MAX_REPLICATIONS, description=f"a whole number from 1 to {MAX_REPLICATIONS}"
    )
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description=f"a whole number from 0 to {MAX_SEED}")
    uncertainty: Literal["posterior", "none"] | None = Field(
        None,
        description="'posterior' (each replication draws a parameter set from the shipped posterior) "
        "or 'none' (registry defaults; chance only)",
    )
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="a mapping of parameter: value ('cohesion list parameters')"
    )
    states: dict[str, Any] = Field(
        default_factory=dict, description="a mapping of ISO3 code: {variable: value}, e.g. {POL: {threat: 0.9}}"
    )
    events: list[Any] = Field(
        default_factory=list, description="a list of events, each {date: YYYY-MM, type: ..., ...}"
    )

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
    ``notes`` are one-line remarks on a scenario that is valid but may not
    say what its author meant, each ``"warning: source: field: text"`` (an
    accession of a state already in the body) or ``"note: ..."`` (a start in
    2025 without the record of 2025); ``cohesion validate`` and ``cohesion run``
    print them on stderr.
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
    notes: tuple[str, ...] = dataclasses.field(default=(), repr=False, compare=False)
    # "posterior": replication k draws its parameter set from the shipped posterior (sim.inputs.posterior.draw);
    # "none": registry defaults. The scenario's own parameters override a draw either way.
    uncertainty: str = "posterior"

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
            "uncertainty": self.uncertainty,
        }

    def content_hash(self) -> str:
        """sha256 of what determines the results (not where the file was read from, nor its prose)."""
        content = {k: v for k, v in self.to_dict().items() if k not in ("source", "description")}
        return data_sha256(json.dumps(content, sort_keys=True).encode())

    def seeds(self) -> list[int]:
        return [replication_seed(self.seed, k) for k in range(self.replications)]

    def run_parameters(self, replication: int) -> dict[str, Any]:
        """The parameters of replication ``k``: its posterior draw (if any), overridden by the scenario's own."""
        if self.uncertainty == "none":
            return dict(self.parameters)
        from sim.inputs.posterior import draw

        return {**draw(self.seed, replication), **self.parameters}

    def run_spec(self, replication: int) -> RunSpec:
        """What the engine runs for replication ``k``: its seed (:func:`replication_seed` of the scenario's seed
        and ``k``), the horizon, the events, the state overrides and :meth:`run_parameters`.

        ``sim.model.AllianceModel.from_scenario(scenario, k)`` is the same run as a Mesa model.
        """
        return RunSpec(
            replication_seed(self.seed, replication),
            self.start,
            self.end,
            self.initial_year,
            list(self.events),
            self.states,
            self.run_parameters(replication),
        )

    @classmethod
    def load(cls, reference: str | Path) -> Scenario:
        """A scenario file (a path) or a packaged scenario (a name), resolved; InputError naming the file."""
        return load(reference)

    def with_overrides(
        self,
        replications: int | None = None,
        seed: int | None = None,
        uncertainty: str | None = None,
        *,
        name: str | None = None,
        start: str | None = None,
        end: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        states: Mapping[str, Mapping[str, Any]] | None = None,
        events: list[Any] | None = None,
        add_events: list[Any] | None = None,
    ) -> Scenario:
        """The same scenario with some settings changed; checked as a scenario file would be.

        ``replications``, ``seed`` and ``uncertainty`` (``posterior`` or
        ``none``) replace the file's (InputError naming the argument; the
        command line names its option instead); ``parameters`` and ``states`` are merged into
        the scenario's; ``events`` replaces the list of events and
        ``add_events`` appends to it (each a mapping as in a scenario file, or
        an :class:`~sim.rules.events.Event`). Any other change is checked like a
        scenario file, with InputError naming the field.
        """
        if uncertainty is not None and uncertainty not in UNCERTAINTY:
            raise InputError("uncertainty", f"{shown(uncertainty)} is not allowed; use posterior or none")
        for option, value in (("replications", replications), ("seed", seed)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | np.integer)):
                raise InputError(option, f"{shown(value)} is not a whole number; give an int, e.g. 7")
        for option, value in (("parameters", parameters), ("states", states)):
            if value is not None and not isinstance(value, Mapping):
                raise InputError(option, f"{shown(value)} is not a mapping; give a dict of name: value")
        for code, values in (states or {}).items():
            if not isinstance(values, Mapping):
                raise InputError(f"states.{code}", f"{shown(values)} is not a mapping; give a dict of name: value")
        for option, value in (("events", events), ("add_events", add_events)):
            if value is not None and not (
                isinstance(value, list | tuple) and all(isinstance(e, Mapping | BaseModel) for e in value)
            ):
                raise InputError(option, f"{shown(value)} is not a list of events; give a list of dicts")
        if replications is not None and not 1 <= replications <= MAX_REPLICATIONS:
            raise InputError(
                "replications",
                f"{shown(replications)} is not allowed; use a whole number from 1 to {MAX_REPLICATIONS}",
            )
        if seed is not None and not 0 <= seed <= MAX_SEED:
            raise InputError("seed", f"{shown(seed)} is not allowed; use a whole number from 0 to {MAX_SEED}")
        changed = dataclasses.replace(
            self,
            replications=self.replications if replications is None else replications,
            seed=self.seed if seed is None else seed,
            uncertainty=self.uncertainty if uncertainty is None else uncertainty,
        )
        if all(v is None for v in (name, start, end, parameters, states, events, add_events)):
            return changed
        content = changed.to_dict()
        for key in ("source", "extends"):
            content.pop(key)
        if content["initial_year"] is None:
            content.pop("initial_year")
        for key, value in (("name", name), ("start", start), ("end", end)):
            if value is not None:
                content[key] = value
        content["parameters"] = {**content["parameters"], **dict(parameters or {})}
        for code, values in (states or {}).items():
            content["states"][code] = {**content["states"].get(code, {}), **dict(values)}
        as_mapping = [e.model_dump(mode="json") if isinstance(e, BaseModel) else dict(e) for e in events or []]
        content["events"] = (content["events"] if events is None else as_mapping) + [
            e.model_dump(mode="json") if isinstance(e, BaseModel) else dict(e) for e in add_events or []
        ]
        source = f"{self.name} (with overrides)"
        resolved = from_mapping(content, source, story=self.story)
        return dataclasses.replace(resolved, source=self.source, extends=self.extends)


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
    """A scenario file by path, or a packaged scenario by name; InputError with a suggestion otherwise.

    A name the operating system cannot look up (too long, a NUL byte) is "no such file", not an OSError.
    """
    path = Path(reference)
    if yamlfile.is_file(path):
        return path
    packaged = packaged_scenarios()
    if str(reference) in packaged:
        return packaged[str(reference)]
    if yamlfile.is_dir(path):
        raise InputError("file", "is a folder; give a scenario file (.yaml)", str(reference))
    if yamlfile.exists(path):
        raise InputError("file", "is not a regular file; give a scenario file (.yaml)", str(reference))
    try:
        nearby = [str(p) for p in path.parent.glob("*.y*ml")] if yamlfile.is_dir(path.parent) else []
    except (OSError, ValueError):
        nearby = []
    hint = nearest(str(reference), nearby + list(packaged))
    raise InputError(
        "file", f"no such file{hint}; give a scenario file or one of: {', '.join(packaged)}", str(reference)
    )


def _parent_path(name: str, folder: Path, source: str) -> Path:
    if name.endswith(SUFFIXES) or "/" in name:
        candidate = folder / name
        if yamlfile.is_file(candidate):
            return candidate
    else:
        for suffix in SUFFIXES:
            if yamlfile.is_file(folder / f"{name}{suffix}"):
                return folder / f"{name}{suffix}"
        if name in packaged_scenarios():
            return packaged_scenarios()[name]
    try:
        beside = {p.stem for p in folder.glob("*.y*ml")} if yamlfile.is_dir(folder) else set()
    except (OSError, ValueError):
        beside = set()
    known = sorted(beside | set(packaged_scenarios()))
    raise InputError(
        "extends",
        f"no scenario {shown(name)} next to this file or among the packaged scenarios{nearest(name, known)}",
        source,
    )


# ------------------------------------------------------------------ files a scenario names
def _vocabulary() -> frozenset[str]:
    """Every name a scenario file may use as a key: settings, parameters, states, event types and fields."""
    from sim.inputs.parameters import PARAMETERS

    event_fields = {field for kind in EVENT_TYPES.values() for field in kind.model_fields}
    return frozenset(KEYS) | set(PARAMETERS) | set(load_states().iso3) | set(STATE_OVERRIDES) | event_fields


def _safe_field(field: str) -> str:
    """A field of a file named by reference, told without its text: the names the schema knows, and indices."""
    known = _vocabulary()
    parts = re.findall(r"\[-?\d+\]|[^.\[\]]+", field)
    kept: list[str] = []
    for part in parts:
        if not (part.startswith("[") or part in known):
            where = f"under '{''.join(kept).replace('.[', '[')}'" if kept else "at the top level"
            return f"a key {where}"
        kept.append(part if part.startswith("[") or not kept else f".{part}")
    return f"its field '{''.join(kept)}'" if kept else "its top level"


def _about_files(error: InputError) -> InputError:
    """Mark an error that names files and nothing else (a cycle of extends): shown as it is wherever it comes from."""
    error.about_files = True  # type: ignore[attr-defined]
    return error


def referenced(error: InputError, source: str | None, field: str, value: Any) -> InputError:
    """The error for a file the user's file names (``extends``, an experiment's ``scenario``), told in the user's file.

    ``error`` is what reading the named file (or a parent of it) raised; ``source`` is the user's file and
    ``field`` the key in it that named the file (its ``value`` is echoed, being the user's). The message
    says which file was read and what is wrong with it, but never shows the file's text: a file named by
    path may be any file on the machine (``extends: /etc/passwd``), and the dashboard shows messages to
    whoever opens its page. An error of the user's own file is returned unchanged.
    """
    if error.source is None or error.source == source or getattr(error, "about_files", False):
        return error
    inner = getattr(error, "referenced", None)  # a file named by a file the user's file names
    read = short_path(str(_resolved(Path(str(error.source))))) if inner is None else inner[0]
    if inner is not None:
        problem = inner[1]
    elif error.field == "file":  # it cannot be read: the project's own words, nothing of the file
        problem = error.message
    elif error.field == "top level":
        problem = f"top level: {error.message}"
    elif error.field.startswith("line "):
        problem = f"not valid YAML at {error.field}"
    else:
        problem = f"{_safe_field(error.field)} is not valid"
    told = InputError(
        field,
        f"{shown(value)}: the file read, {read}, is not a usable scenario ({problem}; its text is not shown "
        f"here: run 'cohesion validate {read}' to see it)",
        source,
    )
    told.referenced = (read, problem)  # type: ignore[attr-defined]
    return told


# ------------------------------------------------------------------ reading one file
def _read_yaml(path: Path, source: str) -> tuple[Any, str]:
    """(parsed content, leading comment block); InputError naming ``source`` for any failure to read it."""
    content, text = yamlfile.read(path, source, "scenario")
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
    loc = [str(part) for part in first["loc"] if str(part) != "[key]"]
    key = (loc[0] or "(empty key)") if loc else "top level"
    if first["type"] == "extra_forbidden":
        return InputError(key, f"unknown key{nearest(key, KEYS)}; a scenario takes {', '.join(KEYS)}", source)
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, InputError):
        return InputError(cause.field, cause.message, source)
    allowed = ScenarioFile.model_fields[key].description if key in ScenarioFile.model_fields else "a valid value"
    return InputError(".".join(loc) or key, pydantic_problem(first, allowed), source)


def _check_file(content: Any, source: str) -> ScenarioFile:
    """One file's keys, each checked against the registries (parameters, states, events)."""
    if content is None:
        raise InputError(
            "top level", "the file is empty; a scenario is a mapping of keys such as name, start, end, events", source
        )
    error = yamlfile.not_keys(content, source, "scenario", ("name", "events", *KEYS))
    if error is not None:
        raise error
    for key in content:
        if not isinstance(key, str):
            raise InputError(
                shown(key), f"unknown key{nearest(str(key), KEYS)}; a scenario takes {', '.join(KEYS)}", source
            )
    events = content.get("events")
    if isinstance(events, list) and len(events) > MAX_EVENTS:  # refused before each is checked (seconds apiece)
        raise InputError("events", f"{len(events):,} events; {_TOO_MANY_EVENTS}", source)
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
        raise InputError(
            f"states.{code}", f"{shown(values)} is not a mapping; give variable: value, e.g. {{threat: 0.9}}"
        )
    for name in values:
        if name not in STATE_OVERRIDES:
            raise InputError(
                f"states.{code}.{shorten(str(name))}",
                f"cannot be set per state{nearest(str(name), STATE_OVERRIDES)}"
                f"; use one of {', '.join(STATE_OVERRIDES)}",
            )
    return dict(values)


def _event(raw: Any, k: int) -> Event:
    field = f"events[{k}]"
    if not isinstance(raw, Mapping):
        raise InputError(
            field,
            f"{shown(raw)} is not a mapping; each event is a mapping such as "
            "{date: 2026-03, type: coercion, target: DNK, size: 0.3}",
        )
    for key in raw:
        if not isinstance(key, str):
            raise InputError(f"{field}.{shown(key)}", "field names are words such as date, type, size")
    if "type" not in raw:
        raise InputError(f"{field}.type", f"missing; give the event type, one of {', '.join(sorted(EVENT_TYPES))}")
    if not isinstance(raw["type"], str):
        raise InputError(
            f"{field}.type", f"{shown(raw['type'])} is not an event type; use one of {', '.join(sorted(EVENT_TYPES))}"
        )
    return make_event(dict(raw), field)


# ------------------------------------------------------------------ resolving
@dataclasses.dataclass
class _Layer:
    """Settings merged so far, with the file that set each.

    ``files`` lists the sources of the chain, the furthest parent first and the
    user's file last: a file later in it extends (directly or not) the earlier ones.
    """

    settings: dict[str, Any]
    parameters: dict[str, Any]
    states: dict[str, dict[str, Any]]
    events: list[Event]
    origins: dict[str, str]
    event_origins: list[tuple[str, int]]
    chain: list[str]
    files: list[str] = dataclasses.field(default_factory=list)
    paths: list[Path] = dataclasses.field(default_factory=list)


def _layer(path: Path, source: str, content: Any, chain: tuple[Path, ...]) -> _Layer:
    spec = _check_file(content, source)
    if spec.extends is not None:
        parent_path = _parent_path(spec.extends, path.parent, source)
        key = _resolved(parent_path)
        if key in chain or key == _resolved(path):
            cycle = " -> ".join([p.stem for p in chain] + [path.stem, parent_path.stem])
            raise _about_files(
                InputError(
                    "extends",
                    f"{shown(spec.extends)} makes a cycle ({shorten(cycle, 120)}); "
                    "a scenario cannot extend itself or its descendants",
                    source,
                )
            )
        if len(chain) + 2 > MAX_CHAIN:
            raise _about_files(
                InputError(
                    "extends",
                    f"{shown(spec.extends)} makes a chain of more than {MAX_CHAIN} files; "
                    "extend a scenario nearer the top",
                    source,
                )
            )
        parent_content, _ = _read_yaml(parent_path, str(parent_path))
        layer = _layer(parent_path, str(parent_path), parent_content, (*chain, _resolved(path)))
        layer.chain.insert(0, parent_path.stem)
    else:
        layer = _Layer({}, {}, {}, [], {}, [], [])
    layer.files.append(source)
    layer.paths.append(_resolved(path))
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


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop, a name the system refuses
        return path.absolute()


def load(reference: str | Path) -> Scenario:
    """Read, check and resolve a scenario file (a path, or the name of a packaged scenario).

    Raises InputError naming the file and the field for anything wrong with the
    file or its parents, whatever broke: reading, decoding, parsing, nesting.
    """
    path = find(reference)
    source = str(reference) if yamlfile.is_file(reference) else str(path)
    content, story = _read_yaml(path, source)
    return _resolve(path, source, content, story)


def from_mapping(content: Any, source: str = "scenario", folder: str | Path = ".", story: str = "") -> Scenario:
    """Resolve a scenario given as parsed YAML (``extends`` is looked up in ``folder``)."""
    yamlfile.check_shape(content, source)
    return _resolve(Path(folder) / f"{source}.yaml", source, content, story)


def _resolve(path: Path, source: str, content: Any, story: str) -> Scenario:
    try:
        return _resolve_chain(path, source, content, story)
    except InputError as error:
        named = content.get("extends") if isinstance(content, Mapping) else None
        raise referenced(error, source, "extends", named) from None


def _resolve_chain(path: Path, source: str, content: Any, story: str) -> Scenario:
    try:
        layer = _layer(path, source, content, ())
    except RecursionError:  # a safety net: MAX_CHAIN and the nesting limit keep the recursion shallow
        raise InputError("extends", "the chain of parent scenarios is too long or nested too deeply", source) from None
    if len(layer.events) > MAX_EVENTS:
        raise InputError(
            "events", f"{len(layer.events):,} events with those of the files it extends; {_TOO_MANY_EVENTS}", source
        )
    values = {**DEFAULTS, **layer.settings}
    origins = layer.origins
    rank = {file: i for i, file in enumerate(layer.files)}  # a higher rank extends a lower one
    start, end = parse_month(values["start"]), parse_month(values["end"])
    if end < start:
        # Blame the setting written in the file further down the chain: the other one came with a parent.
        if rank.get(origins.get("start"), -1) > rank.get(origins.get("end"), -1):
            raise InputError(
                "start",
                f"{values['start']} is after end {values['end']}{_set_in(origins, 'end', origins['start'])}; "
                "start must be on or before end",
                origins["start"],
            )
        raise InputError(
            "end",
            f"{values['end']} is before start {values['start']}{_set_in(origins, 'start', origins.get('end'))}; "
            "end must be on or after start",
            origins.get("end", source),
        )
    for event, (origin, k) in zip(layer.events, layer.event_origins, strict=True):
        if start <= event.month <= end:
            continue
        bound = "start" if event.month < start else "end"
        setter = origins.get(bound)
        if setter is not None and rank[setter] > rank[origin]:
            # A child narrowed the horizon of a parent's event: the child's setting is the error.
            raise InputError(
                bound,
                f"{values[bound]} leaves out events[{k}] ({event.type}, {event.date}) of {origin}, "
                f"which this file extends; the run must include every event",
                setter,
            )
        raise InputError(
            f"events[{k}].date",
            f"{event.date} is outside the run {values['start']} to {values['end']}"
            f"{_set_in(origins, bound, origin)}; move the event or set {bound} in this file"
            if setter is not None and setter != origin
            else f"{event.date} is outside the run {values['start']} to {values['end']}; "
            f"move the event or widen start/end",
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
        uncertainty=values["uncertainty"],
    )
    _dry_build(scenario)
    notes = _accession_notes(scenario) + _prelude_note(scenario, layer.paths)
    return dataclasses.replace(scenario, notes=tuple(notes)) if notes else scenario


def _set_in(origins: dict[str, str], setting: str, here: str | None) -> str:
    """' (start set in parent.yaml)' when another file set it, ' (start by default)' when none did."""
    setter = origins.get(setting)
    if setter is None:
        return f" ({setting} by default)"
    return "" if setter == here else f" ({setting} set in {setter})"


def _accession_notes(scenario: Scenario) -> list[str]:
    """A note for each accession (or accession request) of a state already in the body at that date (it changes
    nothing)."""
    accessions = [(k, e) for k, e in enumerate(scenario.events) if e.type in ("accession", "accession_request")]
    if not accessions:
        return []
    data = load_states()
    start_year = parse_month(scenario.start) // 12
    members = {
        "eu": set(np.array(data.iso3)[data.eu_member & ~(data.eu_accession_year >= start_year)]),
        "nato": set(np.array(data.iso3)[data.nato_member & ~(data.nato_accession_year >= start_year)]),
    }
    notes = []
    # Events of one month apply in the order given, months in date order (as the model does).
    for k, event in sorted(accessions, key=lambda pair: pair[1].month):
        body = members[event.body]
        what = "accession" if event.type == "accession" else "accession request"
        if event.state in body:
            origin, index = scenario.event_origins[k]
            notes.append(
                f"warning: {origin}: events[{index}]: {event.state} is already in {event.body.upper()} "
                f"in {event.date}; the {what} changes nothing (the events log says no_change)"
            )
        if event.type == "accession":  # a request's state joins only when every ally has ratified
            body.add(event.state)
    return notes


def _prelude_note(scenario: Scenario, paths: list[Path]) -> list[str]:
    """A note when a scenario starts inside the period of the 2025 record without extending it."""
    prelude_path = packaged_scenarios().get(PRELUDE)
    if prelude_path is None or _resolved(prelude_path) in paths:
        return []
    try:
        prelude = load(prelude_path)
    except InputError:  # a damaged installation: nothing to compare with
        return []
    start, end = parse_month(scenario.start), parse_month(scenario.end)
    if not parse_month(prelude.start) <= start <= max(e.month for e in prelude.events):
        return []
    own = [e.model_dump() for e in scenario.events]
    missing = [e for e in prelude.events if start <= e.month <= end and e.model_dump() not in own]
    if not missing:
        return []
    listed = ", ".join(f"{e.type} {e.date}" for e in missing)
    return [
        f"note: {scenario.source}: start: {scenario.start} without the record of 2025 in {PRELUDE} "
        f"({listed}); to keep it, add 'extends: baseline' (or 'extends: {PRELUDE}')"
    ]


def _dry_build(scenario: Scenario) -> None:
    """Build (not run) the first replication's batch so that every check the engine makes is made now, blamed on
    the right file."""
    if scenario.uncertainty == "posterior":
        from sim.inputs.posterior import draw

        try:
            draw(scenario.seed, 0)  # a damaged posterior is blamed on its own file, not on the scenario
        except InputError as error:
            # The package's own posterior, named by no user file: its message is shown as it is, not told as
            # a problem of a file that the scenario extends.
            raise _about_files(error) from None
    try:
        build_batch([scenario.run_spec(0)])
    except InputError as error:
        match = re.match(r"(states\.[A-Z]{3}|parameters\.\w+|events\[(\d+)\])", error.field)
        origin, field = scenario.origins.get(error.field.split(".")[0], scenario.source), error.field
        if match and match.group(2) is not None:
            origin, k = scenario.event_origins[int(match.group(2))]
            field = re.sub(r"^events\[\d+\]", f"events[{k}]", error.field)
        elif match:
            origin = scenario.origins.get(match.group(1), scenario.source)
        raise InputError(field, error.message, origin) from None
