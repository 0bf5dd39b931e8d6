"""Scenario events: one small class per type, found by name in one registry.

Each event is a validated record (pydantic) with a ``date`` (YYYY-MM) and an
``apply(model)`` that changes the model at the start of that month. The
scenario schema, ``cohesion list`` and the docs are all derived from
:data:`EVENT_TYPES`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.calendar import parse_month
from sim.errors import InputError, nearest
from sim.inputs import REGIONS, check_iso3
from sim.params import INITIAL_ONLY, PARAMETERS

EVENT_TYPES: dict[str, type[Event]] = {}


class Event(BaseModel):
    """Base class: a dated change to the model."""

    model_config = ConfigDict(extra="forbid", frozen=True)
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
        from sim.calendar import format_month

        return format_month(parse_month(value, "date"))

    @property
    def month(self) -> int:
        return parse_month(self.date)

    def apply(self, model: Any) -> str:  # pragma: no cover - abstract
        """Change the model; return a short description for the event log."""
        raise NotImplementedError


def _iso3(value: Any) -> str:
    return check_iso3(value.upper() if isinstance(value, str) else value, "state")


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
            raise ValueError(f"change {self.change} out of range for unit {self.unit}: {low:g} to {high:g}")
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
            raise ValueError(f"'{value}' is not a region{nearest(value, REGIONS)}; use one of {', '.join(REGIONS)}")
        return value

    _targets = field_validator("targets")(lambda cls, v: None if v is None else [_iso3(c) for c in v])

    @model_validator(mode="after")
    def _one_scope(self) -> HybridCampaign:
        # Incidents strike EU and NATO members other than the US; a scope with none of them would do nothing.
        if self.region is not None and self.targets is not None:
            raise ValueError("give region or targets, not both")
        if self.region == "partner":
            raise ValueError("hybrid incidents strike EU and NATO members; region partner has none")
        if self.targets is not None and (not self.targets or set(self.targets) & {"USA", "UKR"}):
            raise ValueError("targets must list EU or NATO members other than USA (and not UKR)")
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

    _target = field_validator("target")(lambda cls, v: _iso3(v))

    def apply(self, model: Any) -> str:
        model.coerce(model.data.index(self.target), self.size)
        return f"US coercion of {self.target}, size {self.size:g}"


class Election(Event):
    type: Literal["election"] = "election"
    state: str = Field(description="ISO3")
    government: Literal["mainstream", "accommodationist"] = Field(description="the government after the election")
    summary: ClassVar[str] = "Force a government change in a state."

    _state = field_validator("state")(lambda cls, v: _iso3(v))

    def apply(self, model: Any) -> str:
        model.set_government(model.data.index(self.state), self.government == "accommodationist")
        return f"{self.state} government: {self.government}"


class Accession(Event):
    type: Literal["accession"] = "accession"
    state: str = Field(description="ISO3")
    body: Literal["eu", "nato"] = Field(description="the body the state joins")
    summary: ClassVar[str] = "A state joins the EU or NATO."

    _state = field_validator("state")(lambda cls, v: _iso3(v))

    def apply(self, model: Any) -> str:
        return model.join(model.data.index(self.state), self.body)


class SetParameter(Event):
    type: Literal["set"] = "set"
    parameter: str = Field(description="name of a model parameter")
    value: float | str = Field(description="new value, within the parameter's range")
    summary: ClassVar[str] = "Set any named parameter from this date on."

    @model_validator(mode="after")
    def _valid(self) -> SetParameter:
        if self.parameter not in PARAMETERS:
            raise InputError("parameter", f"unknown parameter '{self.parameter}'{nearest(self.parameter, PARAMETERS)}")
        spec = PARAMETERS[self.parameter]
        if self.parameter in INITIAL_ONLY:
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


def _field_path(loc: tuple) -> str:
    return ".".join(str(part) for part in loc if not str(part).startswith("function-"))


def make_event(spec: dict[str, Any], field: str = "events") -> Event:
    """Build one event from a mapping; InputError naming the field otherwise."""
    if not isinstance(spec, dict):
        raise InputError(field, f"each event is a mapping with date and type, got {spec!r}")
    kind = spec.get("type")
    if kind not in EVENT_TYPES:
        raise InputError(
            f"{field}.type",
            f"unknown event type '{kind}'{nearest(str(kind), EVENT_TYPES)}; "
            f"use one of {', '.join(sorted(EVENT_TYPES))}",
        )
    try:
        return EVENT_TYPES[kind](**spec)
    except ValidationError as error:
        first = error.errors()[0]
        where = _field_path(first["loc"])
        cause = first.get("ctx", {}).get("error")
        message = cause.message if isinstance(cause, InputError) else first["msg"]
        if isinstance(cause, InputError) and not where:
            where = cause.field
        if first["type"] == "missing":
            message = f"missing required field of a {kind} event"
        elif first["type"] == "extra_forbidden":
            fields = [f for f in EVENT_TYPES[kind].model_fields if f != "type"]
            message = f"unknown field{nearest(where, fields)}; {kind} takes {', '.join(fields)}"
        return_field = f"{field}.{where}" if where else field
        raise InputError(return_field, message.removeprefix("Value error, ")) from None
