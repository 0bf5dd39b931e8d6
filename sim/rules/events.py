"""Scenario events: one small class per type, found by name in one registry.

Each event is a validated record (pydantic) with a ``date`` (YYYY-MM) and an
``apply(model)`` that changes the model at the start of that month. The
scenario schema, ``cohesion list`` and the docs are all derived from
:data:`EVENT_TYPES`.
"""

from __future__ import annotations

import re
import typing
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.inputs.parameters import PARAMETERS, SET_UP_ONLY
from sim.inputs.states import REGIONS, check_iso3
from sim.util.calendar import parse_month
from sim.util.errors import InputError, nearest, pydantic_problem, shown

EVENT_TYPES: dict[str, type[Event]] = {}


class NoChange(str):
    """The log text of an event that changed nothing when applied (the events log says ``no_change``)."""


class Event(BaseModel):
    """Base class: a dated change to the model.

    Fields are strict: a number field takes numbers (not text or true/false),
    a whole-number field whole numbers, a list field a list.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    type: str
    date: str = Field(description="year-month, YYYY-MM")

    summary: ClassVar[str] = ""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        name = cls.model_fields["type"].default
        if isinstance(name, str):
            EVENT_TYPES[name] = cls

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> str:
        from sim.util.calendar import format_month

        return format_month(parse_month(value, "date"))

    @property
    def month(self) -> int:
        return parse_month(self.date)

    def apply(self, model: Any) -> str:  # pragma: no cover - abstract
        """Change the model; return a short description for the event log (a :class:`NoChange` if none)."""
        raise NotImplementedError


def _iso3(value: Any) -> str:
    return check_iso3(value, "state")


class UsTroops(Event):
    type: Literal["us_troops"] = "us_troops"
    change: float = Field(description="fraction of current troops (-1 to 2) or thousands (-200 to 200)")
    unit: Literal["fraction", "thousands"] = Field("fraction", description="how to read change")
    host: str | None = Field(None, description="ISO3 of the host; all hosts if omitted")
    over_months: int = Field(1, ge=1, le=120, description="spread the change over this many months")
    summary: ClassVar[str] = "Change US troops in Europe (fraction or thousands), optionally in one host, over months."

    _host = field_validator("host")(lambda cls, v: None if v is None else _iso3(v))

    @model_validator(mode="after")
    def _range(self) -> UsTroops:
        low, high = (-1.0, 2.0) if self.unit == "fraction" else (-200.0, 200.0)
        if not low <= self.change <= high:
            raise InputError(
                "change",
                f"{shown(self.change)} is out of range for unit {self.unit}; use a number from {low:g} to {high:g}",
            )
        return self

    def apply(self, model: Any) -> str:
        return model.united_states.schedule_troops(self.change, self.unit, self.host, self.over_months)


class _CommitmentShock(Event):
    size: float = Field(gt=0.0, le=1.0, description="size of the shock to US commitment (0-1)")
    decay_months: float = Field(12.0, ge=1.0, le=120.0, description="time constant of its fading, months")
    sign: ClassVar[float] = 1.0

    def apply(self, model: Any) -> str:
        model.united_states.add_doubt(self.sign * self.size, self.decay_months)
        return f"{self.type} {self.size:g}, fading over {self.decay_months:g} months"


class Article5Doubt(_CommitmentShock):
    type: Literal["article5_doubt"] = "article5_doubt"
    summary: ClassVar[str] = "Rhetorical shock that lowers US Article 5 commitment, fading over months."


class UsReassurance(_CommitmentShock):
    type: Literal["us_reassurance"] = "us_reassurance"
    sign: ClassVar[float] = -1.0
    summary: ClassVar[str] = "US reaffirms Article 5: raises commitment, fading over months."


class CeasefirePressure(Event):
    type: Literal["ceasefire_pressure"] = "ceasefire_pressure"
    level: float = Field(gt=0.0, le=1.0, description="strength of US pressure (0-1)")
    duration_months: int = Field(12, ge=1, le=120, description="how long the pressure lasts")
    endorsement_vote: bool = Field(True, description="table EU and NATO votes to endorse the US plan next month")
    summary: ClassVar[str] = "US pushes a Ukraine ceasefire; EU and NATO are asked to endorse it."

    def apply(self, model: Any) -> str:
        model.united_states.press_for_ceasefire(self.level, self.month + self.duration_months)
        if self.endorsement_vote:
            model.agenda.table_ceasefire_endorsement(self.month + 1)
        return f"ceasefire pressure {self.level:g} for {self.duration_months} months"


class Ceasefire(Event):
    type: Literal["ceasefire"] = "ceasefire"
    aggression: float = Field(0.3, ge=0.0, le=1.0, description="Russian aggression while the ceasefire holds")
    summary: ClassVar[str] = "A ceasefire holds: Russian aggression falls and war fatigue eases."

    def apply(self, model: Any) -> str:
        model.russia.ceasefire(self.aggression)
        model.united_states.press_for_ceasefire(0.0, self.month)
        return f"ceasefire; aggression toward {self.aggression:g}"


class RussiaAggression(Event):
    type: Literal["russia_aggression"] = "russia_aggression"
    level: float | None = Field(None, ge=0.0, le=1.0, description="set aggression target to this level")
    change: float | None = Field(None, ge=-1.0, le=1.0, description="or change the target by this much")
    summary: ClassVar[str] = "Set or change Russia's aggression (a rise ends a ceasefire)."

    @model_validator(mode="after")
    def _one(self) -> RussiaAggression:
        if (self.level is None) == (self.change is None):
            raise ValueError("give exactly one of level or change")
        return self

    def apply(self, model: Any) -> str:
        return model.russia.set_target(self.level, self.change)


class HybridCampaign(Event):
    type: Literal["hybrid_campaign"] = "hybrid_campaign"
    multiplier: float = Field(3.0, ge=0.0, le=20.0, description="factor on the incident rate")
    duration_months: int = Field(6, ge=1, le=120, description="how long the campaign lasts")
    region: str | None = Field(None, description=f"limit to a region: {', '.join(REGIONS)}")
    targets: list[str] | None = Field(None, description="or limit to these ISO3 states")
    summary: ClassVar[str] = "Raise the hybrid-incident rate for a period, optionally in a region or on states."

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is not None and value not in REGIONS:
            raise InputError(
                "region", f"{shown(value)} is not a region{nearest(value, REGIONS)}; use one of {', '.join(REGIONS)}"
            )
        return value

    _targets = field_validator("targets")(lambda cls, v: None if v is None else [_iso3(c) for c in v])

    @model_validator(mode="after")
    def _one_scope(self) -> HybridCampaign:
        # Incidents strike EU and NATO members other than the US; a scope with none of them would do nothing.
        if self.region is not None and self.targets is not None:
            raise InputError("targets", "give region or targets, not both")
        if self.region == "partner":
            raise InputError("region", "hybrid incidents strike EU and NATO members; region partner has none")
        if self.targets is not None and (not self.targets or set(self.targets) & {"USA", "UKR"}):
            raise InputError("targets", "list EU or NATO members other than USA (and not UKR), e.g. [EST, LVA, LTU]")
        return self

    def apply(self, model: Any) -> str:
        mask = np.ones(model.n_states, dtype=bool)
        if self.region is not None:
            mask &= model.data.region == self.region
        if self.targets:
            mask &= np.isin(np.array(model.data.iso3), self.targets)
        model.russia.start_campaign(self.multiplier, mask, self.month + self.duration_months)
        where = self.region or (",".join(self.targets) if self.targets else "all")
        return f"hybrid campaign x{self.multiplier:g} on {where} for {self.duration_months} months"


class Coercion(Event):
    type: Literal["coercion"] = "coercion"
    target: str = Field(description="ISO3 of the coerced ally")
    size: float = Field(gt=0.0, le=1.0, description="trust lost by the target (0-1)")
    summary: ClassVar[str] = "US coerces an ally (tariffs, territory): trust falls, Europe leans to autonomy."

    @field_validator("target")
    @classmethod
    def _target(cls, value: Any) -> str:
        code = _iso3(value)
        if code == "USA":
            raise InputError("target", "the USA is the coercer; give the ISO3 of the state it coerces")
        return code

    def apply(self, model: Any) -> str:
        model.coerce(model.data.index(self.target), self.size)
        return f"US coercion of {self.target}, size {self.size:g}"


class Election(Event):
    type: Literal["election"] = "election"
    state: str = Field(description="ISO3")
    government: Literal["mainstream", "accommodationist"] = Field(description="the government after the election")
    summary: ClassVar[str] = "Force a government change in a state (not the USA: its stance follows the US events)."

    @field_validator("state")
    @classmethod
    def _state(cls, value: Any) -> str:
        code = _iso3(value)
        if code == "USA":
            raise InputError(
                "state",
                "the USA has no election in the model: the US stance is set by the scenario's US events "
                f"({', '.join(US_EVENTS)}) and by 'set' events of the us_ parameters",
            )
        return code

    def apply(self, model: Any) -> str:
        model.set_government(model.data.index(self.state), self.government == "accommodationist")
        return f"{self.state} government: {self.government}"


class Accession(Event):
    type: Literal["accession"] = "accession"
    state: str = Field(description="ISO3")
    body: Literal["eu", "nato"] = Field(description="the body the state joins")
    summary: ClassVar[str] = "A state joins the EU or NATO (no change if it is already a member)."

    _state = field_validator("state")(lambda cls, v: _iso3(v))

    def apply(self, model: Any) -> str:
        return model.join(model.data.index(self.state), self.body)


class AccessionRequest(Event):
    type: Literal["accession_request"] = "accession_request"
    state: str = Field(description="ISO3 of the applicant")
    body: Literal["nato"] = Field(description="the body applied to (NATO: every ally must ratify)")
    summary: ClassVar[str] = (
        "A state applies to join NATO: from the next month every ally votes on ratification, re-tabled after "
        "each veto until all agree; then the state joins (no change if it is already a member)."
    )

    _state = field_validator("state")(lambda cls, v: _iso3(v))

    def apply(self, model: Any) -> str:
        return model.agenda.request_accession(model.data.index(self.state))


class SetParameter(Event):
    type: Literal["set"] = "set"
    parameter: str = Field(description="name of a model parameter")
    value: float | str = Field(description="new value, within the parameter's range")
    summary: ClassVar[str] = "Set any named parameter from this date on."

    @model_validator(mode="after")
    def _valid(self) -> SetParameter:
        if self.parameter not in PARAMETERS:
            raise InputError(
                "parameter",
                f"unknown parameter {shown(self.parameter)}{nearest(self.parameter, PARAMETERS)}; "
                "'cohesion list parameters' shows all",
            )
        spec = PARAMETERS[self.parameter]
        if self.parameter in SET_UP_ONLY:
            raise InputError(
                "parameter", f"'{self.parameter}' sets the start of a run; put it under parameters, not in a set event"
            )
        try:
            object.__setattr__(self, "value", spec.check(self.value))
        except InputError as error:
            raise InputError("value", error.message) from None
        return self

    def apply(self, model: Any) -> str:
        model.set_parameter(self.parameter, self.value)
        return f"{self.parameter} = {self.value}"


# The events that set the US stance (an election for the USA is refused in their favour).
US_EVENTS = ("us_troops", "article5_doubt", "us_reassurance", "ceasefire_pressure", "coercion")


# The names pydantic gives the members of a union in an error's location ('value.float'): not fields.
_UNION_MEMBER = re.compile(r"^(float|int|str|bool|none|(list|dict|literal|function-\w+)\[.*\]|function-\w+)$")


def _field_path(loc: tuple) -> str:
    parts = [part for k, part in enumerate(loc) if k == 0 or not _UNION_MEMBER.match(str(part))]
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts).removeprefix(".")


def _number_range(info: Any) -> str:
    bounds = {}
    for constraint in info.metadata:
        for attribute in ("ge", "gt", "le", "lt"):
            if getattr(constraint, attribute, None) is not None:
                bounds[attribute] = f"{getattr(constraint, attribute):g}"
    low = f"from {bounds['ge']}" if "ge" in bounds else (f"above {bounds['gt']}" if "gt" in bounds else "")
    high = f"to {bounds['le']}" if "le" in bounds else (f"below {bounds['lt']}" if "lt" in bounds else "")
    if low.startswith("above") and high.startswith("to"):
        return f"{low}, up to {bounds['le']}"
    return " ".join(part for part in (low, high) if part)


def allowed(kind: str, name: str) -> str:
    """What field ``name`` of an event of type ``kind`` takes, in words (as error messages say it)."""
    info = EVENT_TYPES[kind].model_fields[name]
    if name == "date":
        return "a year-month YYYY-MM"
    optional = not info.is_required()
    annotation = info.annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if args and typing.get_origin(annotation) is not Literal and typing.get_origin(annotation) is not list:
        annotation = args[0] if len(args) == 1 else annotation
    origin = typing.get_origin(annotation)
    description = (info.description or "").lower()
    if origin is Literal:
        text = "one of " + ", ".join(str(v) for v in typing.get_args(annotation))
    elif origin is list:
        text = "a list of ISO3 codes, e.g. [EST, LVA]"
    elif annotation is bool:
        text = "true or false"
    elif annotation in (int, float):
        span = _number_range(info)
        text = ("a whole number" if annotation is int else "a number") + (f" {span}" if span else "")
    elif "iso3" in description:
        text = "an ISO3 code of the model, e.g. DNK"
    elif name == "parameter":
        text = "the name of a parameter ('cohesion list parameters')"
    elif name == "value":
        text = "a value within the parameter's range"
    else:
        text = "text"
    return text + (" (or leave it out)" if optional and info.default is None else "")


def make_event(spec: dict[str, Any], field: str = "events") -> Event:
    """Build one event from a mapping; InputError naming the field (``field.name``) and what it takes otherwise."""
    if not isinstance(spec, dict):
        raise InputError(field, f"{shown(spec)} is not an event; each event is a mapping with date and type")
    kind = spec.get("type")
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        raise InputError(
            f"{field}.type",
            f"unknown event type {shown(kind)}{nearest(str(kind), EVENT_TYPES)}; "
            f"use one of {', '.join(sorted(EVENT_TYPES))}",
        )
    try:
        return EVENT_TYPES[kind](**spec)
    except ValidationError as error:
        first = error.errors()[0]
        where = _field_path(first["loc"])
        cause = first.get("ctx", {}).get("error")
        fields = [f for f in EVENT_TYPES[kind].model_fields if f != "type"]
        name = str(first["loc"][0]) if first["loc"] else ""
        if isinstance(cause, InputError):
            message, where = cause.message, where or cause.field
        elif cause is not None:  # a check of ours that raised a plain ValueError
            message = str(cause)
        elif first["type"] == "missing":
            message = f"missing; {_a(kind)} event needs it: {allowed(kind, name)}"
        elif first["type"] == "extra_forbidden":
            message = f"unknown field{nearest(where, fields)}; {_a(kind)} event takes {', '.join(fields)}"
        elif kind == "set" and name == "value" and isinstance(spec.get("parameter"), str):
            parameter = PARAMETERS.get(spec["parameter"])
            if parameter is None:  # the value's range is the parameter's: name the parameter first
                message, where = (
                    f"unknown parameter {shown(spec['parameter'])}"
                    + nearest(spec["parameter"], PARAMETERS)
                    + "; 'cohesion list parameters' shows all",
                    "parameter",
                )
            else:
                message = pydantic_problem(first, f"{parameter.allowed()} (the range of {parameter.name})")
        elif name in fields and any(isinstance(part, int) for part in first["loc"]):  # an item of a list
            message = pydantic_problem(first, "an ISO3 code of the model, e.g. EST")
        elif name in fields:
            message = pydantic_problem(first, allowed(kind, name))
        else:
            message = pydantic_problem(first, "a valid value")
        raise InputError(f"{field}.{where}" if where else field, message) from None


def _a(kind: str) -> str:
    """``kind`` with its indefinite article: 'an accession_request', 'a set'."""
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"
