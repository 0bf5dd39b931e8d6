"""The Mesa front door beyond the model itself: Mesa's SolaraViz page and the EMA Workbench model.

The browser test serves ``solara run sim.mesa_app`` (as the README says), loads the page in headless
Chromium with every request that leaves this machine refused, steps the model twice and checks that the
month and the chart follow; it is marked slow and skips (fails in CI) where the browser or the viz extra
is missing, as the dashboard's browser test does.
"""

from __future__ import annotations

import inspect
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from browser import browser_or_skip, free_port, local_page

import sim
from sim import AllianceModel
from sim.scenarios.scenario import load
from sim.util.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS = ROOT / "tests" / "artefacts"


def test_the_workbench_model_gives_the_numbers_of_sim_run():
    pytest.importorskip("ema_workbench")
    from ema_workbench import Scenario as Point
    from ema_workbench import perform_experiments

    from sim.analysis.ema import workbench_model

    base = load("baseline").with_overrides(end="2026-01")  # the posterior draws as in 'cohesion run'
    model = workbench_model(base, parameters=["confidence_bound"], outcomes=["cohesion", "blocs"], replications=2)
    assert [u.name for u in model.uncertainties] == ["confidence_bound"]
    points = [Point("low", confidence_bound=0.25), Point("high", confidence_bound=0.4)]
    experiments, outcomes = perform_experiments(model, scenarios=points)
    assert outcomes["cohesion"].shape == (2, 2, 13)  # experiments x replications x months
    for i, value in enumerate(experiments["confidence_bound"]):
        results = sim.run(base.with_overrides(parameters={"confidence_bound": value}), replications=2).model
        for k in range(2):
            run = results[results["replication"] == k]
            for name in ("cohesion", "blocs"):
                np.testing.assert_array_equal(outcomes[name][i, k], run[name].to_numpy(dtype="float64"))
    single = workbench_model("baseline", outcomes=["cohesion"])
    assert type(single).__name__ == "Model"
    with pytest.raises(InputError, match="did you mean 'cohesion'"):
        workbench_model("baseline", outcomes=["cohesoin"])
    with pytest.raises(InputError, match="confidence_bound"):
        workbench_model("baseline", parameters=["confidence_bund"])


def _viz_or_skip(required_in_ci: bool = False) -> None:
    """Skip without the viz extra; in CI the browser test fails instead (CI installs the extra after 'make test')."""
    try:
        import altair  # noqa: F401
        import solara  # noqa: F401
        from mesa.visualization import SolaraViz  # noqa: F401
    except ImportError as error:
        if required_in_ci and os.environ.get("CI"):
            pytest.fail(f"CI needs the viz extra: {error}")
        pytest.skip(f"the viz extra is not installed (pip install '.[viz]'): {error}")


def test_the_mesa_page_is_built_with_controls_the_model_takes():
    _viz_or_skip()
    from sim.dashboard import mesa_page

    controls = mesa_page.model_params()
    accepted = inspect.signature(AllianceModel).parameters
    assert set(controls) <= set(accepted)
    model = AllianceModel(**{name: spec["value"] for name, spec in controls.items()})
    assert model.seed == 1 and model.p["confidence_bound"] == controls["confidence_bound"]["value"]
    for name in mesa_page.PARAMETERS:
        spec = controls[name]
        assert spec["min"] <= spec["value"] <= spec["max"]
    assert mesa_page.page() is not None
    with pytest.raises(ValueError, match="unknown outcome"):
        mesa_page.page(outcomes=["cohesoin"])


@pytest.mark.slow
def test_the_mesa_page_in_headless_chromium_steps_the_model(tmp_path):
    _viz_or_skip(required_in_ci=True)
    browser_or_skip("viz")
    solara = shutil.which("solara", path=str(Path(sys.executable).parent))
    assert solara, "the solara command of this environment"
    port = free_port()
    argv = [solara, "run", "sim.mesa_app", "--host", "127.0.0.1", "--port", str(port), "--production", "--no-open"]
    with local_page(argv, port, tmp_path, {"width": 1400, "height": 1100}) as (page, outside):
        page.goto(f"http://127.0.0.1:{port}/", timeout=120_000)
        page.get_by_text("Start: 2025-01").wait_for(timeout=120_000)
        assert "confidence_bound" in page.inner_text("body")  # the model's own controls, not an empty page
        page.get_by_role("button", name="Step").click()
        page.get_by_text("Month 2025-01 (step 1 of 132)").wait_for(timeout=60_000)
        page.get_by_role("button", name="Step").click()
        page.get_by_text("Month 2025-02 (step 2 of 132)").wait_for(timeout=60_000)
        text = page.inner_text("body")
        assert "cohesion" in text and "Traceback" not in text
        page.locator("img, svg").first.wait_for(timeout=30_000)  # the chart of the outcomes
        # Another seed (the text box gives text) and Reset: a new model from its first month.
        seed = page.get_by_label("seed")
        seed.fill("5")
        seed.press("Enter")
        page.get_by_role("button", name="Reset").click()
        page.get_by_text("Start: 2025-01").wait_for(timeout=60_000)
        page.get_by_role("button", name="Step").click()
        page.get_by_text("Month 2025-01 (step 1 of 132)").wait_for(timeout=60_000)
        assert "Traceback" not in page.inner_text("body")
        ARTEFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / "mesa-page.png"), full_page=True)
    assert not outside, f"the page asked for {outside[:3]}"
