"""AllianceModel: the Mesa model over an engine of one run.

The numbers live in a batch of one run (:mod:`sim.engine`); ``step`` advances
it one month through the processes of ODD section 3
(:func:`sim.engine.step.step` reads as that list, one line per process). The
agents are views into that run's row, so a Mesa user talks to states, the US
and Russia one at a time while the engine moves them all at once.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim import metrics, params
from sim.agents import MemberState, Russia, UnitedStates
from sim.engine import outputs
from sim.engine import step as engine_step
from sim.engine.hooks import RowHooks
from sim.engine.setup import STATE_OVERRIDES, RunSpec, build_batch, spawn_streams
from sim.engine.state import AGENT_COLUMNS, STATE_VARIABLES, STREAMS
from sim.events import Event

__all__ = ["AGENT_COLUMNS", "STATE_OVERRIDES", "STREAMS", "AllianceModel"]
LOG_COLUMNS = outputs.LOG_COLUMNS
# What the agent reporters give, as state_<name> (three model outcomes share a state variable's name, and
# mesa.batch_run puts model and agent values in one row).
AGENT_REPORTED = ("iso3", *STATE_VARIABLES, "government")


class _Parameters(Mapping):
    """The parameters of row 0 as a mapping: reads give the current value; a write is a ``set`` from this month on.

    Writing checks the value (InputError outside the parameter's range) and updates what depends on it
    (network, pledge path, ...), as a ``set`` event does.
    """

    def __init__(self, engine: Any) -> None:
        self._p = engine.p
        self._hooks = RowHooks(engine, 0)

    def __getitem__(self, name: str) -> float | str:
        value = self._p[name][0]
        return value if isinstance(value, str) else float(value)

    def __setitem__(self, name: str, value: float | str) -> None:
        self._hooks.set_parameter(name, value)

    def __iter__(self) -> Iterator[str]:
        return iter(self._p)

    def __len__(self) -> int:
        return len(self._p)


class _RowState:
    """The state variables of row 0, one (N,) view per name (``model.state.threat[i]`` reads and writes)."""

    def __init__(self, engine: Any) -> None:
        object.__setattr__(self, "_engine", engine)

    def __getattr__(self, name: str) -> np.ndarray:
        return getattr(self._engine, name)[0]

    def __setattr__(self, name: str, value: Any) -> None:
        getattr(self._engine, name)[0] = value


class AllianceModel(mesa.Model):
    """Alliance cohesion under transatlantic stress: 37 states, the US and Russia, month by month.

    Args:
        seed: one integer fixes every random stream (incidents, elections, votes, shocks).
        start, end: first and last month, ``YYYY-MM``.
        initial_year: 2022 or 2024, which data columns give the initial state;
            by default 2022 for runs starting before 2024, else 2024.
        events: scenario events (``Event`` objects or mappings with ``type`` and ``date``).
        states: per-state overrides, ``{ISO3: {variable: value}}``.
        parameters: parameter overrides by name.
        every parameter of the registry (:mod:`sim.params`), by name: an override
            (``None`` keeps the default), so that ``mesa.batch_run`` and Mesa's
            visualisation can vary it.

    Raises:
        InputError: a bad setting, parameter, state override or event, naming the field.
    """

    def __init__(
        self,
        seed: int | None = None,
        start: str = "2025-01",
        end: str = "2035-12",
        initial_year: int | None = None,
        events: Iterable[Event | Mapping[str, Any]] = (),
        states: Mapping[str, Mapping[str, Any]] | None = None,
        parameters: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> None:
        self.seed = int(np.random.SeedSequence(seed).entropy) if seed is None else seed
        super().__init__(rng=np.random.default_rng(spawn_streams(self.seed)[-1]))
        chosen = {name: value for name, value in overrides.items() if value is not None}
        spec = RunSpec(self.seed, start, end, initial_year, list(events), states, {**(parameters or {}), **chosen})
        self.engine = build_batch([spec])
        self.data = self.engine.data
        self.n_states = self.engine.n_states
        self.n_steps = self.engine.n_steps
        self.start_month, self.end_month = self.engine.start_month, self.engine.end_month
        self.initial_year = self.engine.initial_year
        self.p = _Parameters(self.engine)
        self.state = _RowState(self.engine)
        self.agenda = self._hooks = RowHooks(self.engine, 0)
        self.member_states = [MemberState(self, i) for i in range(self.n_states)]
        self.united_states = UnitedStates(self)
        self.russia = Russia(self)
        # Mesa 3.3 keeps a unique-id counter per model in a class-level dict (mesa.Agent._ids), which holds
        # every model ever made alive (mesa issue #3179); a sweep worker would grow by ~0.6 MB a run. All
        # agents exist now and none are added later, so the counter is no longer needed.
        getattr(mesa.Agent, "_ids", {}).pop(self, None)
        self._collector: _MonthlyCollector | None = None
        self.running = True

    # ------------------------------------------------------------------ step
    def step(self) -> None:
        """One month: the processes of ODD section 3, in order (:func:`sim.engine.step.step`)."""
        engine_step.step(self.engine)
        if self.engine.steps >= self.n_steps:
            self.running = False

    def run(self) -> AllianceModel:
        """Step to the end of the horizon; returns the model for chaining."""
        while self.running:
            self.step()
        return self

    # ------------------------------------------------------------ the run's row
    @property
    def month(self) -> int:
        """The month being run (or last run): ``12 * year + month - 1``."""
        return self.engine.month if self.engine.steps == 0 else self.engine.month - 1

    @property
    def log(self) -> list[tuple]:
        return self.engine.logs[0]

    @property
    def pledge_norm(self) -> float:
        return float(self.engine.pledge_norm[0])

    @property
    def war_fatigue(self) -> float:
        return float(self.engine.war_fatigue[0])

    @property
    def coercion_level(self) -> float:
        return float(self.engine.coercion_level[0])

    @property
    def incidents(self) -> np.ndarray:
        return self.engine.incidents[0]

    def __getattr__(self, name: str) -> Any:
        # Geography and masks of the run (proximity, europe, influence, elects, ...): row 0 of the engine.
        engine = self.__dict__.get("engine")
        if engine is None or name.startswith("__") or not hasattr(engine, name):
            raise AttributeError(name)
        value = getattr(engine, name)
        if isinstance(value, np.ndarray) and value.ndim >= 2 and value.shape[0] == engine.n_runs:
            return value[0]
        return value

    # ------------------------------------------------------------ scenario hooks
    def set_parameter(self, name: str, value: float | str) -> None:
        self._hooks.set_parameter(name, value)

    def coerce(self, index: int, size: float) -> None:
        self._hooks.coerce(index, size)

    def set_government(self, index: int, accommodationist: bool) -> None:
        self._hooks.set_government(index, accommodationist)

    def join(self, index: int, body: str) -> str:
        return self._hooks.join(index, body)

    # ---------------------------------------------------------- outputs
    def model_dataframe(self) -> pd.DataFrame:
        """One row per month run so far: step, date and every model outcome."""
        return pd.DataFrame(outputs.model_columns(self.engine) if self.engine.steps else _empty_model_columns())

    def agent_dataframe(self) -> pd.DataFrame:
        """One row per month and state: step, date, iso3 and every state variable (tidy)."""
        if not self.engine.steps:
            return pd.DataFrame(columns=["step", "date", "iso3", *AGENT_COLUMNS])
        return pd.DataFrame(outputs.agent_columns(self.engine))

    def log_dataframe(self) -> pd.DataFrame:
        """Every decision, election and applied event: step, date, body, item, rule, outcome, blockers, ..."""
        return outputs.log_frame(self.engine, 0)

    def outcome(self, name: str) -> float:
        """Model outcome ``name`` of the month last run (NaN before the first step)."""
        if not self.engine.steps:
            return float("nan")
        done = self.engine.steps
        columns = outputs.model_columns(self.engine, first=done - 1, done=done)
        return columns[name][0].item()

    @property
    def datacollector(self) -> mesa.DataCollector:
        """A Mesa DataCollector with every model outcome and every member state's variables, one entry a month.

        ``step`` does not collect (collecting through the reporters every month
        would double the time of a run): reading ``datacollector`` fills the
        months run so far from the engine's history, so that ``mesa.batch_run``
        and ``get_model_vars_dataframe()`` / ``get_agent_vars_dataframe()`` see
        every month. ``datacollector.collect(model)`` works too: the current
        month is recorded through the reporters, which read attributes of the
        model and the agents (the same numbers); calling it twice in a month
        records the month once. Agent records are keyed by step index (0 for the
        first month), as ``mesa.batch_run`` reads them. Model reporters are the
        outcomes' names; agent reporters are ``state_<variable>`` (``state_iso3``,
        ``state_threat``, ...): three outcomes share a state variable's name, and
        ``mesa.batch_run`` puts model and agent values in one row.
        """
        if self._collector is None:
            self._collector = _MonthlyCollector(
                model_reporters={name: name for name in metrics.MODEL_OUTCOMES},
                agent_reporters={f"state_{name}": _agent_reporter(name) for name in AGENT_REPORTED},
            )
        self._fill_collector(self.engine.steps)
        return self._collector

    def _fill_collector(self, done: int) -> None:
        """Fill the collector's entries up to month ``done`` (exclusive) from the history."""
        collector = self._collector
        have = len(collector.model_vars[metrics.MODEL_OUTCOMES[0]])
        if have >= done:
            return
        columns = outputs.model_columns(self.engine, first=have, done=done)
        for name in metrics.MODEL_OUTCOMES:
            collector.model_vars[name].extend(columns[name].tolist())
        states = outputs.agent_columns(self.engine, months=np.arange(have, done))
        ids = [agent.unique_id for agent in self.member_states]
        values = [states[name] for name in AGENT_REPORTED]
        n = self.n_states
        # The US and Russia have none of these variables: their entries are None, as Mesa's reporters give them.
        others = [(agent.unique_id, *(None,) * len(values)) for agent in (self.united_states, self.russia)]
        for k in range(done - have):
            rows = zip(*(v[k * n : (k + 1) * n].tolist() for v in values), strict=True)
            records = [(have + k, i, *row) for i, row in zip(ids, rows, strict=True)]
            collector._agent_records[have + k] = records + [(have + k, *other) for other in others]


class _MonthlyCollector(mesa.DataCollector):
    """Mesa's DataCollector with one entry per month: ``collect`` fills earlier months from the history first."""

    def collect(self, model: AllianceModel) -> None:
        done = model.engine.steps
        if done == 0:
            return  # nothing has happened yet: the first entry is the first month
        model._fill_collector(done - 1)
        if len(self.model_vars.get(metrics.MODEL_OUTCOMES[0], ())) >= done:
            return  # this month is in already
        super().collect(model)
        # Mesa keys agent records by model.steps (1 for the first month); batch_run reads them by step index.
        records = self._agent_records.pop(model.steps)
        self._agent_records[done - 1] = [(done - 1, *record[1:]) for record in records]


def _agent_reporter(name: str) -> Any:
    def report(agent: mesa.Agent) -> Any:
        return getattr(agent, name, None)

    report.__name__ = name
    return report


def _empty_model_columns() -> dict[str, list]:
    return {"step": [], "date": [], **{name: [] for name in metrics.MODEL_OUTCOMES}}


for _name in metrics.MODEL_OUTCOMES:
    setattr(AllianceModel, _name, property(lambda self, _n=_name: self.outcome(_n), doc=f"Outcome {_name} now."))

# Name every parameter in the constructor's signature, so that Mesa's SolaraViz and batch_run can read them.
_signature = inspect.signature(AllianceModel.__init__)
AllianceModel.__init__.__signature__ = _signature.replace(
    parameters=[
        *(p for p in _signature.parameters.values() if p.kind != inspect.Parameter.VAR_KEYWORD),
        *(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None) for name in params.PARAMETERS),
    ]
)
