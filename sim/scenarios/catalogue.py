"""What a scenario can say and what a run gives, read from the registries: scenarios, experiments, events and their
fields, parameters, outcomes.

``cohesion list`` prints it as text, ``cohesion list --markdown`` as the
tables of the README, so the command, the docs and the schema never drift
apart.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic.fields import FieldInfo

from sim.inputs.parameters import PARAMETERS
from sim.rules.events import EVENT_TYPES
from sim.rules.outcomes import OUTCOMES
from sim.scenarios.scenario import load, packaged_scenarios


@dataclass(frozen=True)
class FieldDoc:
    name: str
    allowed: str
    required: bool
    default: Any
    description: str

    @property
    def default_text(self) -> str:
        if self.required:
            return "required"
        return "omit for none" if self.default is None else f"default {_value(self.default)}"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}" if isinstance(value, float) else str(value)


def _kind(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return " | ".join(str(v) for v in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        kinds = [_kind(a) for a in typing.get_args(annotation) if a is not type(None)]
        return " or ".join(kinds)
    if origin is list:
        return f"list of {_kind(typing.get_args(annotation)[0])}"
    return {float: "number", int: "whole number", bool: "true | false", str: "text"}.get(annotation, str(annotation))


def _bounds(info: FieldInfo) -> str:
    parts = []
    for constraint in info.metadata:
        for attribute, symbol in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(constraint, attribute, None) is not None:
                parts.append(f"{symbol} {_value(getattr(constraint, attribute))}")
    return f" ({', '.join(parts)})" if parts else ""


def event_fields(kind: str) -> list[FieldDoc]:
    """The fields of one event type, ``date`` first, ``type`` left out."""
    fields = EVENT_TYPES[kind].model_fields
    return [
        FieldDoc(
            name,
            "YYYY-MM" if name == "date" else _kind(info.annotation) + _bounds(info),
            info.is_required(),
            info.default,
            info.description or "",
        )
        for name, info in fields.items()
        if name != "type"
    ]


def scenario_summaries() -> list[tuple[str, str]]:
    """(name, description) of each packaged scenario."""
    return [(name, load(path).description) for name, path in packaged_scenarios().items()]


def experiment_summaries() -> list[tuple[str, str]]:
    """(name, description) of each packaged experiment (the ``description`` of its file, '' if it has none)."""
    from sim.scenarios.experiment import load as load_experiment
    from sim.util.resources import packaged_experiments

    return [(name, load_experiment(path).description) for name, path in packaged_experiments().items()]


def text(section: str = "all") -> str:
    """The catalogue as plain text for a terminal; ``section``: all, scenarios, experiments, events, parameters or
    outcomes."""
    out: list[str] = []
    if section in ("all", "scenarios"):
        out.append("Scenarios (run one with: cohesion run NAME or cohesion run FILE.yaml)")
        rows = scenario_summaries()
        width = max((len(name) for name, _ in rows), default=0)
        out += [f"  {name:<{width}}  {description}" for name, description in rows] or ["  (none found)"]
        out.append("")
    if section in ("all", "experiments"):
        out.append("Experiments (sweeps of a design; run one with: cohesion sweep NAME or cohesion sweep FILE.yaml)")
        rows = experiment_summaries()
        width = max((len(name) for name, _ in rows), default=0)
        out += [f"  {name:<{width}}  {description}".rstrip() for name, description in rows] or ["  (none found)"]
        out.append("")
    if section in ("all", "events"):
        out.append("Events (under events:, each {date: YYYY-MM, type: NAME, field: value, ...})")
        for kind, cls in EVENT_TYPES.items():
            out.append(f"  {kind}: {cls.summary}")
            for doc in event_fields(kind):
                detail = f" — {doc.description}" if doc.description else ""
                out.append(f"      {doc.name}: {doc.allowed}; {doc.default_text}{detail}")
        out.append("")
    if section in ("all", "parameters"):
        out.append("Parameters (under parameters:, or with a set event; name: default [low, high] unit)")
        process = None
        for name, spec in PARAMETERS.items():
            if spec.process != process:
                process = spec.process
                out.append(f"  {process}")
            allowed = (
                f"one of {', '.join(spec.choices)}"
                if spec.is_categorical
                else (f"[{_value(spec.low)}, {_value(spec.high)}]" + (f" {spec.unit}" if spec.unit != "-" else ""))
            )
            out.append(f"    {name}: {_value(spec.default)} {allowed} — {spec.justification}")
        out.append("")
    if section in ("all", "outcomes"):
        out.append("Outcomes (columns of the model table, one value a month; name: label [scale] — in plain words)")
        out += [f"  {o.name}: {o.one_line()} [{o.scale}] — {o.definition}" for o in OUTCOMES.values()]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _cell(value: str) -> str:
    return value.replace("|", "\\|")


def markdown(section: str = "all") -> str:
    """The catalogue as Markdown tables (the README's event and parameter reference); sections as :func:`text`."""
    out: list[str] = []
    if section in ("all", "scenarios"):
        out += ["| scenario | what it assumes |", "|---|---|"]
        out += [f"| `{name}` | {_cell(description)} |" for name, description in scenario_summaries()]
        out.append("")
    if section in ("all", "experiments"):
        out += ["| experiment | what it sweeps |", "|---|---|"]
        out += [f"| `{name}` | {_cell(description)} |" for name, description in experiment_summaries()]
        out.append("")
    if section in ("all", "events"):
        for kind, cls in EVENT_TYPES.items():
            out += [f"**`{kind}`**: {cls.summary}", "", "| field | allowed | default | meaning |", "|---|---|---|---|"]
            out += [
                f"| `{d.name}` | {_cell(d.allowed)} | {d.default_text} | {_cell(d.description)} |"
                for d in event_fields(kind)
            ]
            out.append("")
    if section in ("all", "parameters"):
        out += ["| parameter | default | range | unit | process | why |", "|---|---|---|---|---|---|"]
        for name, spec in PARAMETERS.items():
            allowed = ", ".join(spec.choices) if spec.is_categorical else f"{_value(spec.low)} to {_value(spec.high)}"
            out.append(
                f"| `{name}` | {_value(spec.default)} | {allowed} | {_cell(spec.unit)} | {spec.process} | "
                f"{_cell(spec.justification)} |"
            )
        out.append("")
    if section in ("all", "outcomes"):
        out += ["| outcome | label | kind | scale | in plain words |", "|---|---|---|---|---|"]
        out += [
            f"| `{o.name}` | {_cell(o.one_line())} | {o.kind} | {o.scale} | {_cell(o.definition)} |"
            for o in OUTCOMES.values()
        ]
        out.append("")
    return "\n".join(out).rstrip() + "\n"
