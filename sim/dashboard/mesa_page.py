"""The model in Mesa's own browser view (SolaraViz): step it month by month, watch its outcomes.

Needs the ``viz`` extra (``pip install 'alliance-cohesion[viz]'``: Solara, Altair and NetworkX, which Mesa's
visualisation imports). Serve it with::

    solara run sim.mesa_app

(:mod:`sim.mesa_app` holds ``Page = page()``: the baseline, with the seed, the scenario and three parameters to
change); in a notebook, ``sim.dashboard.mesa_page.page()`` (or ``sim.mesa_page.page()``) shows it in the cell's
output. Only Mesa's public visualisation API is used: :func:`mesa.visualization.SolaraViz` with plot components
of the model's DataCollector.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sim.model import AllianceModel
from sim.util.calendar import format_month

__all__ = ["OUTCOMES", "model_params", "page"]

# The outcomes drawn by default: the cohesion index, its credibility side, and the US commitment behind it.
OUTCOMES = ("cohesion", "article5_credibility", "us_commitment")
PARAMETERS = ("confidence_bound", "trust_rate", "us_commitment_target")


def model_params(seed: int = 1, based_on: str = "baseline") -> dict[str, Any]:
    """SolaraViz's ``model_params``: the seed, the packaged scenario and three parameters over their ranges.

    The sliders start at the registry's values and span each parameter's allowed range
    (:data:`sim.inputs.parameters.PARAMETERS`); ``Reset`` builds a new :class:`AllianceModel` from them.
    """
    from sim.inputs import parameters as params
    from sim.scenarios.scenario import packaged_scenarios

    controls: dict[str, Any] = {
        "seed": {"type": "InputText", "value": seed, "label": "seed"},
        "based_on": {"type": "Select", "value": based_on, "values": sorted(packaged_scenarios()), "label": "scenario"},
    }
    for name in PARAMETERS:
        spec = params.PARAMETERS[name]
        low, high = spec.low, spec.high
        controls[name] = {
            "type": "SliderFloat",
            "value": float(spec.default),
            "min": float(low),
            "max": float(high),
            "step": round((high - low) / 100, 6),
            "label": name,
        }
    return controls


def _month_card(model: AllianceModel) -> Any:
    import solara
    from mesa.visualization.utils import update_counter

    update_counter.get()  # drawn again after every step
    if not model.engine.steps:
        text = f"Start: {format_month(model.start_month)}; step to run the first month."
    else:
        values = ", ".join(f"{name} {model.outcome(name):.3f}" for name in OUTCOMES)
        text = f"Month {format_month(model.month)} (step {model.engine.steps} of {model.n_steps}): {values}"
    if not model.running:
        text += " The run is over: Reset to start again."
    return solara.Markdown(text, style={"font-size": "1.05em"}).key("month-card")


def page(model: AllianceModel | None = None, outcomes: Sequence[str] = OUTCOMES) -> Any:
    """Mesa's SolaraViz page of ``model`` (default: ``AllianceModel(seed=1)``, the baseline).

    ``outcomes`` are model outcome names (:data:`sim.rules.outcomes.MODEL_OUTCOMES`), drawn in one chart
    month by month; a card names the month and the outcomes' values. Returns the Solara component
    (display it in a notebook, or assign it to ``Page`` for ``solara run``). Raises ImportError
    naming the ``viz`` extra when Mesa's visualisation cannot be imported.
    """
    from sim.rules.outcomes import MODEL_OUTCOMES

    unknown = [name for name in outcomes if name not in MODEL_OUTCOMES]
    if unknown:
        raise ValueError(f"unknown outcome {unknown[0]!r}; 'cohesion list outcomes' lists them")
    try:
        import solara  # noqa: F401
        from mesa.visualization import SolaraViz, make_plot_component
    except ImportError as error:
        raise ImportError(
            f"Mesa's visualisation needs the viz extra: pip install 'alliance-cohesion[viz]' ({error})"
        ) from None
    model = model if model is not None else AllianceModel(seed=1)
    components = [(_month_card, 0), make_plot_component(list(outcomes))]
    return SolaraViz(model, components=components, model_params=model_params(), name="Alliance cohesion")
