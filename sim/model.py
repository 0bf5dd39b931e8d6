"""AllianceModel: the Mesa model over an engine of one run.

The numbers live in a batch of one run (:mod:`sim.engine`); ``step`` advances
it one month through the processes of ODD section 3
(:func:`sim.engine.step.step` reads as that list, one line per process). The
agents are views into that run's row, so a Mesa user talks to states, the US
and Russia one at a time while the engine moves them all at once.
"""

from __future__ import annotations

import functools
import inspect
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim.agents import MemberState, Russia, UnitedStates
from sim.engine import outputs
from sim.engine import step as engine_step
from sim.engine.hooks import RowHooks
from sim.engine.setup import STATE_OVERRIDES, RunSpec, build_batch, spawn_streams
from sim.engine.state import AGENT_COLUMNS, STATE_VARIABLES, STREAMS
from sim.inputs import parameters as params
from sim.rules import outcomes as metrics
from sim.rules.events import Event
from sim.util.calendar import format_month, parse_month
from sim.util.errors import InputError, shown

__all__ = [
    "AGENT_COLUMNS",
    "STATE_OVERRIDES",
    "STREAMS",
    "AllianceModel",
    "IdenticalRunsWarning",
    "SeedReplacedWarning",
]
DEFAULT_SCENARIO = "baseline"
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

    ``AllianceModel()`` is one run of the baseline scenario (the packaged
    ``baseline``: the record of 2025, then no further shock) at the registry's
    parameter values. ``AllianceModel(seed=s)`` is the same world with seed
    ``s``; with the seed of replication ``k`` of the baseline
    (:func:`sim.scenarios.scenario.replication_seed`) it gives the numbers of that
    replication under ``uncertainty: none``. Replication ``k`` of any scenario
    as ``cohesion run`` runs it (parameters drawn from the posterior, the
    scenario's own seed) is ``AllianceModel.from_scenario(Scenario.load(name), k)``.

    Args:
        seed: one whole number from 0 to 2**63 - 1 fixes every random stream (incidents,
            elections, votes, shocks); its digits as text (``"7"``, as a form's text box gives it)
            are taken too; ``None`` draws one from the operating system (the run cannot then be
            repeated unless ``model.seed`` is kept).
        start, end: first and last month, ``YYYY-MM``; by default the scenario's
            (the baseline's: 2025-01 to 2035-12; without a scenario, the same).
        initial_year: 2022 or 2024, which data columns give the initial state; by default
            the scenario's, else 2022 for runs starting before 2024 and 2024 after.
        events: scenario events (``Event`` objects or mappings with ``type`` and ``date``);
            ``None`` (the default) takes the events of ``based_on`` that fall inside
            ``start`` to ``end``; a list (``[]`` for none) replaces them.
        states: per-state overrides, ``{ISO3: {variable: value}}``, on top of the scenario's.
        parameters: parameter overrides by name, on top of the scenario's.
        based_on: the scenario whose horizon, events, state overrides and parameters are
            the defaults: a packaged scenario (a name), a scenario file (a path) or a
            :class:`~sim.scenarios.scenario.Scenario`; ``None`` for none (no events, the registry's
            values). Its seed, replications and posterior draws are not used: a model is
            one run whose parameters are its constructor's arguments. (Not ``scenario``:
            Mesa 3.5's ``Model`` has a ``scenario`` of its own, which SolaraViz fills.)
        every parameter of the registry (:mod:`sim.inputs.parameters`), by name: an override
            (``None`` keeps the default), so that ``mesa.batch_run`` and Mesa's
            visualisation can vary it.

    Raises:
        InputError: a bad setting, parameter, state override, event or scenario, naming the field.

    Warns:
        IdenticalRunsWarning: built by ``mesa.batch_run`` for a run whose parameters and
            fixed seed repeat those of another run of the same batch (identical runs).
        SeedReplacedWarning: built by ``mesa.batch_run`` of Mesa 3.4 or later, which replaced
            the seeds given in its parameters by its ``rng`` argument.
    """

    def __init__(
        self,
        seed: int | None = None,
        start: str | None = None,
        end: str | None = None,
        initial_year: int | None = None,
        events: Iterable[Event | Mapping[str, Any]] | None = None,
        states: Mapping[str, Mapping[str, Any]] | None = None,
        parameters: Mapping[str, Any] | None = None,
        based_on: Any = DEFAULT_SCENARIO,
        **overrides: Any,
    ) -> None:
        seed = _whole_seed(seed)
        _check_batch_run(seed)
        self.seed = int(np.random.SeedSequence(seed).entropy) if seed is None else seed
        super().__init__(rng=np.random.default_rng(spawn_streams(self.seed)[-1]))
        chosen = {name: value for name, value in overrides.items() if value is not None}
        base, base_events, base_states, base_parameters = _scenario_defaults(based_on)
        start = start if start is not None else base.get("start", "2025-01")
        end = end if end is not None else base.get("end", "2035-12")
        initial_year = initial_year if initial_year is not None else base.get("initial_year")
        if events is None:
            first, last = parse_month(start, "start"), parse_month(end, "end")
            events = [event for event in base_events if first <= event.month <= last]
        merged_states = {code: dict(values) for code, values in base_states.items()}
        for code, values in (states or {}).items():
            merged_states[code] = {**merged_states.get(code, {}), **dict(values)}
        spec = RunSpec(
            self.seed,
            start,
            end,
            initial_year,
            list(events),
            merged_states or None,
            {**base_parameters, **(parameters or {}), **chosen},
        )
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
    @classmethod
    def from_scenario(cls, scenario: Any, replication: int) -> AllianceModel:
        """Replication ``k`` of a scenario as ``cohesion run`` and ``sim.run`` run it, ready to run.

        Its seed, horizon, events, state overrides and parameters are those of
        ``scenario.run_spec(k)`` (:class:`sim.scenarios.scenario.Scenario`): the posterior draw of
        replication ``k`` unless the scenario's ``uncertainty`` is ``none``, then the scenario's own
        parameters; ``model.run()`` gives the numbers of replication ``k`` in ``sim.run(scenario)``.
        InputError naming the field for a setting the model refuses.
        """
        spec = scenario.run_spec(replication)
        return cls(
            seed=spec.seed,
            start=spec.start,
            end=spec.end,
            initial_year=spec.initial_year,
            events=list(spec.events),
            states=spec.states,
            parameters=spec.parameters,
            based_on=None,
        )

    def step(self) -> None:
        """One month: the processes of ODD section 3, in order (:func:`sim.engine.step.step`).

        Raises:
            RuntimeError: the run is over (its last month, ``end``, is done); ``model.running``
                is False from then on. Build a model with a later ``end`` to run further.
        """
        if self.engine.steps >= self.n_steps:
            last = format_month(self.end_month)
            raise RuntimeError(
                f"the run is over: its last month, {last}, is done ({self.n_steps} steps); "
                f"model.running is False at the end; build AllianceModel(end=...) with a later end to run further"
            )
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
        would multiply the time of a run many times over): reading
        ``datacollector`` records the months run so far that it lacks, each
        through Mesa's own ``DataCollector.collect``, given that month as the
        model (its outcomes, its agents' variables, and ``steps`` and ``time``
        equal to the month's step index, 0 for the first month). So
        ``mesa.batch_run`` and ``get_model_vars_dataframe()`` /
        ``get_agent_vars_dataframe()`` see every month, with the ``step`` of
        :meth:`model_dataframe`. ``datacollector.collect(model)`` (the classic
        Mesa loop: step, collect) records the months not yet recorded and
        never one month twice. Model reporters are the outcomes' names; agent
        reporters are ``state_<variable>`` (``state_iso3``, ``state_threat``,
        ...): three outcomes share a state variable's name, and
        ``mesa.batch_run`` puts model and agent values in one row. The US and
        Russia have none of these variables: their entries are None.
        """
        if self._collector is None:
            self._collector = _MonthlyCollector(
                model_reporters={name: name for name in metrics.MODEL_OUTCOMES},
                agent_reporters={f"state_{name}": _agent_reporter(name) for name in AGENT_REPORTED},
            )
        self._fill_collector(self.engine.steps)
        return self._collector

    def _fill_collector(self, done: int) -> None:
        """Record months up to ``done`` (exclusive) that the collector lacks, each through ``collect``."""
        collector = self._collector
        have = len(collector.get_model_vars_dataframe())
        if have >= done:
            return
        columns = outputs.model_columns(self.engine, first=have, done=done)
        states = outputs.agent_columns(self.engine, months=np.arange(have, done))
        n = self.n_states
        for k in range(done - have):
            month = _Month(have + k)
            for name in metrics.MODEL_OUTCOMES:
                setattr(month, name, columns[name][k].item())
            variables = {name: states[name][k * n : (k + 1) * n].tolist() for name in AGENT_REPORTED}
            month.agents = [
                _MonthAgent(month, agent.unique_id, {name: variables[name][i] for name in AGENT_REPORTED})
                for i, agent in enumerate(self.member_states)
            ]
            month.agents += [_MonthAgent(month, agent.unique_id, {}) for agent in (self.united_states, self.russia)]
            mesa.DataCollector.collect(collector, month)


class _Month:
    """One month of a run as ``DataCollector.collect`` reads a model: outcomes, agents, ``steps`` and ``time``."""

    def __init__(self, index: int) -> None:
        self.steps = self.time = index
        self.agents: list[_MonthAgent] = []


class _MonthAgent:
    """One agent in one month: its ``unique_id``, its ``model`` (the month) and its variables."""

    def __init__(self, month: _Month, unique_id: int, variables: dict[str, Any]) -> None:
        self.model, self.unique_id = month, unique_id
        self.__dict__.update(variables)


class _MonthlyCollector(mesa.DataCollector):
    """Mesa's DataCollector with one entry per month: ``collect`` records the months it lacks, each once."""

    def collect(self, model: AllianceModel) -> None:
        """Record every month run so far that is not recorded yet (a month is never recorded twice)."""
        model._fill_collector(model.engine.steps)


def _agent_reporter(name: str) -> Any:
    def report(agent: mesa.Agent) -> Any:
        return getattr(agent, name, None)

    report.__name__ = name
    return report


MAX_SEED = 2**63 - 1


def _whole_seed(seed: Any) -> int | None:
    """The seed as a whole number (text of digits accepted); InputError for anything else."""
    if seed is None:
        return None
    value = seed.strip() if isinstance(seed, str) else seed
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= int(value) <= MAX_SEED:
        raise InputError("seed", f"{shown(seed)} is not allowed; use a whole number from 0 to {MAX_SEED}")
    return int(value)


def _defaults_of(loaded: Any) -> tuple[dict, tuple[Event, ...], dict, dict]:
    horizon = {"start": loaded.start, "end": loaded.end, "initial_year": loaded.initial_year}
    return horizon, loaded.events, loaded.states, loaded.parameters


@functools.lru_cache(maxsize=32)
def _named_scenario_defaults(reference: str) -> tuple[dict, tuple[Event, ...], dict, dict]:
    from sim.scenarios.scenario import load

    return _defaults_of(load(reference))


def _scenario_defaults(scenario: Any) -> tuple[dict, tuple[Event, ...], dict, dict]:
    """(horizon, events, states, parameters) of ``scenario``: a name or path (read once), a Scenario, or None."""
    if scenario is None:
        return {}, (), {}, {}
    if isinstance(scenario, str):
        return _named_scenario_defaults(scenario)
    from sim.scenarios.scenario import Scenario

    if isinstance(scenario, Scenario):
        return _defaults_of(scenario)
    if hasattr(scenario, "__fspath__"):
        return _named_scenario_defaults(str(scenario))
    raise InputError("based_on", f"{shown(scenario)} is not allowed; use a scenario name or file, a Scenario or None")


class IdenticalRunsWarning(UserWarning):
    """``mesa.batch_run`` was asked for runs that repeat another run's parameters and fixed seed."""


class SeedReplacedWarning(UserWarning):
    """``mesa.batch_run`` (Mesa 3.4 and later) replaced the seeds given in its parameters by its ``rng``."""


def _batch_run_frames(depth: int) -> tuple[Any, dict | None, int] | None:
    """(this run, the locals of Mesa's ``batch_run`` frame or None, the stack level of the line to blame).

    None unless the model being built was built by Mesa's ``batch_run`` (``_model_run_func``),
    possibly through subclasses' constructors. ``depth`` is the frame of that constructor.
    """
    frame = sys._getframe(depth + 1)
    depth += 1
    while frame is not None and frame.f_code.co_name == "__init__":  # a subclass's constructor
        depth, frame = depth + 1, frame.f_back
    if frame is None or frame.f_code.co_name != "_model_run_func":
        return None  # not a model built by mesa.batch_run (e.g. a scenario checked while one is built)
    if frame.f_globals.get("__name__") != "mesa.batchrunner":
        return None
    run, level, batch = frame.f_locals.get("run"), depth, None  # in a worker: Mesa's line that builds it
    while frame is not None:
        if frame.f_code.co_name == "batch_run" and frame.f_globals.get("__name__") == "mesa.batchrunner":
            batch, level = dict(frame.f_locals), depth + 1  # the caller's call of batch_run
            break
        depth, frame = depth + 1, frame.f_back
    return run, batch, level


def _check_batch_run(seed: int | None) -> None:
    """Warn when ``mesa.batch_run`` builds runs that are not what its caller meant. Never raises otherwise.

    - :class:`IdenticalRunsWarning`: runs with the same parameters and the same fixed seed
      (Mesa 3.3's ``iterations=n`` with a ``seed`` in the parameters; ``rng=[7, 7]``).
    - :class:`SeedReplacedWarning`: Mesa 3.4 and later set every run's ``seed`` from ``rng``
      (``None`` by default), so seeds given in the parameters are silently dropped.

    The batch's run list and parameters are read from Mesa's ``batch_run`` frame when this
    process runs it (``number_processes=1``), by the batch's first model only. With worker
    processes, under Mesa 3.3, a run of a later iteration that has a seed warns in its worker.
    """
    try:
        found = _batch_run_frames(2)
        if found is None:
            return
        run, batch, level = found
        if batch is not None:
            runs = batch.get("runs_list") or []
            if not runs or run is None or run[0] != runs[0][0]:
                return  # only the batch's first model looks at the whole batch
            given = batch.get("parameters")
            seeds_given = isinstance(given, Mapping) and given.get("seed") is not None
            if seeds_given and not _MESA_ITERATIONS_REPEAT and all(kwargs.get("seed") is None for *_, kwargs in runs):
                warnings.warn(
                    "mesa.batch_run: Mesa 3.4 and later set each run's seed from its rng argument and drop "
                    "the seeds given in parameters, so these runs drew fresh seeds; pass the seeds as "
                    "rng=[seed1, seed2, ...] instead",
                    SeedReplacedWarning,
                    stacklevel=level,
                )
                return
            seen: dict[str, int] = {}
            for _, _, kwargs in runs:
                if kwargs.get("seed") is not None:
                    key = repr(sorted(kwargs.items(), key=lambda item: item[0]))
                    seen[key] = seen.get(key, 0) + 1
            repeated = max(seen.values(), default=1)
            if repeated < 2:
                return
        elif seed is not None and run is not None and run[1] > 0 and _MESA_ITERATIONS_REPEAT:
            repeated = run[1] + 1
        else:
            return
        warnings.warn(
            f"mesa.batch_run: {repeated} runs have the same parameters and the same fixed seed ({seed}), so they "
            "are identical; give each run its own seed: "
            + (
                "parameters={'seed': range(n), ...} without iterations"
                if _MESA_ITERATIONS_REPEAT
                else "rng=[seed1, seed2, ...] with different seeds"
            )
            + ", or leave the seed out (each run then draws one)",
            IdenticalRunsWarning,
            stacklevel=level,
        )
    except (IdenticalRunsWarning, SeedReplacedWarning):
        raise  # warnings turned into errors by the caller's filter
    except Exception:  # noqa: BLE001 - a look at Mesa's frames must never break a run
        return


# Mesa before 3.4: batch_run's iterations repeat the same arguments (3.4 and later give each iteration a seed).
_MESA_ITERATIONS_REPEAT = "rng" not in inspect.signature(mesa.batch_run).parameters


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
