"""Calibration (cohesion calibrate) and parametric uncertainty in runs (uncertainty: posterior)."""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from sim.analysis import calibration as cal
from sim.inputs import parameters as params
from sim.util.errors import InputError
from tests.helpers import ROOT as REPOSITORY


def test_targets_come_from_the_data_up_to_2024():
    targets = {t.name: t.observed for t in cal.targets()}
    # 2024 NATO figures in member_states.csv: the mean over allies with figures (US excluded) and the count at 2 %.
    assert 2.0 < targets["spending_mean_2024"] < 2.3
    assert targets["at_2pct_2024"] == 17
    assert targets["sanctions_renewals_passed"] == 1.0
    assert all(row["first_tabled"] <= "2025-12" for row in cal.decision_record())
    # The decision record's delays up to 2024: Finland May 2022 -> April 2023, Sweden May 2022 -> March 2024,
    # the Ukraine Facility held two months (December 2023 -> February 2024); the January 2025 renewal is out.
    assert targets["accession_months_fin"] == 11 and targets["accession_months_swe"] == 22
    assert targets["eu_veto_holdup_months"] == 2


def test_poll_targets_read_neither_check_wave_nor_anything_after_2024(monkeypatch):
    """The check waves are kept for the out-of-sample tests: computing the targets and a hindcast's statistics reads
    no row of them (nor the ECFR 2023 column of member_states.csv, the threat check wave), and no wave fielded after
    2024 is a target."""
    from sim.inputs import polls

    checks = {polls.TRUST_CHECK_WAVE, polls.THREAT_CHECK_WAVE} - {None}
    assert checks and checks == cal.CHECK_WAVES
    read = []
    rows = polls.wave_rows

    def watched(wave):
        read.append(wave)
        if wave in checks:
            raise AssertionError(f"a calibration target read the check wave {wave}")
        return rows(wave)

    monkeypatch.setattr(polls, "wave_rows", watched)
    cal._poll_target.cache_clear()
    cal._targets.cache_clear()
    try:
        names = cal.target_names()
        stats = cal.simulate([{}] * 2, [1, 2])
    finally:
        cal._poll_target.cache_clear()
        cal._targets.cache_clear()
    assert polls.THREAT_INITIAL_WAVE in read and not checks & set(read)
    assert stats.shape == (2, len(names)) and np.isfinite(stats).all()
    assert cal.POLL_TARGETS and all(p.name in names for p in cal.POLL_TARGETS)
    for target in cal.POLL_TARGETS:
        assert target.wave not in checks and polls.wave_fieldwork(target.wave)[1] <= "2024-12"
    import inspect

    assert "ecfr" not in inspect.getsource(cal).lower()
    for wave in sorted(checks):
        with pytest.raises(InputError, match="check wave"):
            cal._poll_target(cal.PollTarget("check", wave, "threat"))


def test_poll_threat_target_is_the_rank_correlation_at_the_fieldwork_month():
    """Spearman's rho, over the European allies in the initial threat wave, of the simulated threat at the wave's last
    fieldwork month (May 2022) with the poll: 1 in the poll's order, -1 in the reverse, whatever the other months."""
    from types import SimpleNamespace

    from sim.inputs import polls

    target = next(p for p in cal.POLL_TARGETS if p.column == "threat")
    data = cal._poll_target(target)
    assert target.wave == polls.THREAT_INITIAL_WAVE and data.month == "2022-05" and data.step == 4
    assert data.mask.sum() >= 8 and not data.mask[list(polls.iso3_codes()).index("CAN")]
    n, steps = len(data.mask), cal._months(cal.START, cal.END) + 1
    rng = np.random.default_rng(0)
    threat = rng.random((3, steps, n))
    threat[0, data.step] = np.nan_to_num(data.values)  # the poll's order (its ties kept)
    threat[1, data.step] = -np.nan_to_num(data.values)  # the reverse
    batch = SimpleNamespace(
        n_runs=3, logs=[[], [], []], history={"threat": threat, "spending_pct_gdp": np.zeros((3, steps, n))}
    )
    rho = cal.summaries(batch)[:, cal.target_names().index(target.name)]
    assert rho[0] == pytest.approx(1.0) and rho[1] == pytest.approx(-1.0) and -1.0 < rho[2] < 1.0
    what = next(t.what for t in cal.targets() if t.name == target.name)
    assert "2022-05" in what and "best 1" in what and target.wave in what


def test_predictive_check_panels_show_the_observed_value(tmp_path, monkeypatch):
    from sim.reporting.figures import calibration as figures

    drawn = {}
    monkeypatch.setattr(figures, "save_png", lambda fig, path, dpi: drawn.setdefault("fig", fig) and path)
    targets = cal.targets()
    runs = np.tile([t.observed for t in targets], (5, 1))
    figures.predictive_checks_figure(targets, {"default": runs, "posterior": runs}, tmp_path / "checks.png")
    titles = {ax.get_title() for ax in drawn["fig"].axes}
    assert "poll_threat_rank_2022 (observed 1)" in titles
    assert all(f"{t.name} (observed {t.observed:.3g})" in titles for t in targets)


def test_screening_sees_the_exposure_and_trust_coefficients_but_not_the_starting_trust():
    candidates = cal.candidates()
    for name in ("exposure_sea_weight", "threat_affinity_discount", "trust_commitment_weight", "trust_poll_weight"):
        assert name in candidates
    assert "us_trust_initial" not in candidates and "us_commitment_initial" not in candidates


def test_delay_statistics_read_the_log():
    """Accession months count from the request to joining (censored at January 2025); hold-ups from the veto."""
    names = cal.target_names()
    stats = cal.simulate([{}] * 6, list(range(6)))
    fin, swe = stats[:, names.index("accession_months_fin")], stats[:, names.index("accession_months_swe")]
    assert np.all((fin >= 1) & (fin <= 32)) and np.all((swe >= 1) & (swe <= 32))
    # Without linkage no state holds an accession hostage: both join at the first ratification round.
    free = cal.simulate([{"linkage_scale": 0.0}] * 6, list(range(6)))
    assert np.all(free[:, names.index("accession_months_fin")] < fin.mean())
    holdup = stats[:, names.index("eu_veto_holdup_months")]
    assert np.all(holdup >= 0)
    slow = cal.simulate([{"veto_delay_months": 6}] * 6, list(range(6)))[:, names.index("eu_veto_holdup_months")]
    assert slow.mean() > holdup.mean()


def test_summaries_have_one_row_per_run_and_respond_to_a_parameter():
    low = cal.simulate([{"spending_threat_coef": 1.0}] * 4, [1, 2, 3, 4])
    high = cal.simulate([{"spending_threat_coef": 6.0}] * 4, [1, 2, 3, 4])
    assert low.shape == (4, len(cal.targets()))
    mean_2024 = cal.target_names().index("spending_mean_2024")
    assert high[:, mean_2024].mean() > low[:, mean_2024].mean() + 0.3


def test_abc_recovers_known_values_of_identifiable_parameters(tmp_path):
    """Targets simulated from known values: each lies in its 90 % interval, which is at most half the prior range."""
    spec = params.PARAMETERS
    truth = {"spending_threat_coef": 3.6, "threat_distance_floor": 0.3}
    observed = cal.simulate([truth], [99])[0]
    points, weights, generations = cal.infer(
        list(truth), observed, 5, cal.Settings(trajectories=0, keep=2, particles=60, generations=6, pilot=128), tmp_path
    )
    assert len(generations) == 6
    for j, (name, value) in enumerate(truth.items()):
        low, high = cal.interval(points[:, j], weights, 0.9)
        assert low <= value <= high, (name, low, high)
        assert (high - low) <= 0.5 * (spec[name].high - spec[name].low), (name, low, high)


def test_scores_are_the_crps_scaled():
    observed, scales = np.array([0.0, 1.0]), np.array([1.0, 2.0])
    same = np.tile([0.5, 2.0], (10, 1))  # no spread: the score is the absolute error
    assert np.allclose(cal.scaled_scores(same, observed, scales), [0.5, 0.5])
    normal = np.random.default_rng(1).standard_normal((2000, 1)) + [0.0, 1.0]
    # CRPS of a standard normal at its mean: (sqrt(2) - 1) / sqrt(pi) = 0.2337, the second target scaled by 2.
    assert np.allclose(cal.scaled_scores(normal, observed, scales), [0.2337, 0.2337 / 2], atol=0.01)
    # A spread that covers the observation beats a sharp miss, where the mean absolute error says otherwise.
    sharp = np.full((2000, 2), 0.7)
    assert cal.scaled_scores(normal, observed, scales)[0] < cal.scaled_scores(sharp, observed, scales)[0]
    assert cal.scaled_errors(normal, observed, scales)[0] > cal.scaled_errors(sharp, observed, scales)[0]


def test_interval_is_weighted():
    values = np.array([0.0, 1.0, 2.0, 3.0])
    assert cal.interval(values, np.array([0.0, 0.0, 1.0, 0.0])) == (2.0, 2.0)
    low, high = cal.interval(values, np.ones(4), 0.5)
    assert 0.0 <= low <= 1.0 and 2.0 <= high <= 3.0


def test_shipped_posterior_matches_the_registry():
    assert cal.POSTERIOR_FILE.is_file() and cal.PROVENANCE_FILE.is_file()
    assert cal.registry_mismatches() == []
    provenance = json.loads(cal.PROVENANCE_FILE.read_text())
    for key in ("command", "seed", "method", "versions", "code_revision", "targets", "data", "priors"):
        assert key in provenance
    names, points, weights = cal.read_posterior()
    assert set(names) == set(provenance["priors"])
    assert abs(weights.sum() - 1) < 1e-9 and len(points) == len(weights)


def _posterior(tmp_path, names, rows, priors):
    path, prov = tmp_path / "posterior.csv", tmp_path / "prov.json"
    cal.write_posterior(path, names, np.array(rows, dtype=float), np.ones(len(rows)))
    prov.write_text(json.dumps({"priors": priors}))
    return path, prov


def test_registry_check_flags_renamed_and_changed_ranges_and_tolerates_new_parameters(tmp_path):
    good, prov = _posterior(tmp_path, ["spending_threat_coef"], [[2.0], [3.0]], {"spending_threat_coef": [0.0, 6.0]})
    assert cal.registry_mismatches(good, prov) == []  # every other registry parameter is absent: fine
    renamed, prov = _posterior(tmp_path, ["spending_threat_coefficient"], [[2.0]], {})
    assert "renamed or removed" in cal.registry_mismatches(renamed, prov)[0]
    changed, prov = _posterior(tmp_path, ["spending_threat_coef"], [[2.0]], {"spending_threat_coef": [0.0, 5.0]})
    assert "prior range" in cal.registry_mismatches(changed, prov)[0]
    outside, prov = _posterior(tmp_path, ["spending_threat_coef"], [[9.0]], {"spending_threat_coef": [0.0, 6.0]})
    assert "outside" in cal.registry_mismatches(outside, prov)[0]


def test_a_malformed_posterior_is_one_clear_error(tmp_path):
    bad = tmp_path / "p.csv"
    bad.write_text("w,a\n1,2\n")
    with pytest.raises(InputError, match="weight"):
        cal.read_posterior(bad)


def test_draws_depend_on_seed_and_replication_only():
    a = [cal.draw(7, k) for k in range(5)]
    assert a == [cal.draw(7, k) for k in range(5)]
    assert len({json.dumps(d, sort_keys=True) for d in a + [cal.draw(8, k) for k in range(5)]}) > 2
    names, _, _ = cal.read_posterior()
    assert set(a[0]) == set(names)


def test_posterior_is_the_default_parameters_override_the_draw_and_none_leaves_defaults():
    from sim.scenarios import scenario as scenarios

    drawn = scenarios.from_mapping({"name": "x", "replications": 3, "seed": 11})
    assert drawn.uncertainty == "posterior"  # the shipped posterior beats the defaults (test below)
    plain = drawn.with_overrides(uncertainty="none")
    assert plain.run_parameters(0) == {}
    assert drawn.with_overrides(uncertainty="none").run_parameters(0) == {}
    names, _, _ = cal.read_posterior()
    assert set(drawn.run_parameters(1)) == set(names)
    fixed = scenarios.from_mapping(
        {"name": "y", "replications": 3, "seed": 11, "uncertainty": "posterior", "parameters": {names[0]: 0.0}}
    )
    assert fixed.uncertainty == "posterior"
    assert fixed.run_parameters(1)[names[0]] == 0.0
    # Same seed, other content: the same draw (compare pairs replication k on the same parameters).
    assert {k: v for k, v in fixed.run_parameters(1).items() if k != names[0]} == {
        k: v for k, v in drawn.run_parameters(1).items() if k != names[0]
    }
    with pytest.raises(InputError, match="uncertainty"):
        scenarios.from_mapping({"name": "z", "uncertainty": "maybe"})


def test_posterior_runs_spread_wider_than_chance_alone():
    from sim.runs.replications import run_scenario
    from sim.scenarios import scenario as scenarios

    s = scenarios.from_mapping({"name": "w", "replications": 12, "seed": 3, "end": "2027-12"})
    none = run_scenario(s, uncertainty="none").model
    post = run_scenario(s, uncertainty="posterior").model
    last = none["date"].max()
    column = "spending_pct_gdp"
    spread_none = none.loc[none["date"] == last, column].std()
    spread_post = post.loc[post["date"] == last, column].std()
    assert spread_post > spread_none


def test_calibrate_refuses_bad_options(capsys):
    from sim.cli import main

    assert main(["calibrate", "--workers", "0"]) == 2
    assert "--workers" in capsys.readouterr().err
    assert main(["calibrate", "--max-simulations", "0"]) == 2
    assert "--max-simulations" in capsys.readouterr().err


def test_quick_calibration_writes_a_complete_folder(tmp_path, monkeypatch, capsys):
    """The command end to end, shrunk to seconds: posterior, screening, report with every target, figures."""
    from sim.cli import calibrate as calibrate_cli
    from sim.cli import main

    quick = cal.Settings(trajectories=1, keep=2, particles=cal.MIN_PARTICLES, generations=2, replicates=2, pilot=32)
    monkeypatch.setattr(cal, "QUICK", quick)
    monkeypatch.setattr(calibrate_cli, "PREDICTIVE_DRAWS", 8)
    assert main(["calibrate", "--quick", "--quiet", "--out", str(tmp_path), "--seed", "3"]) == 0
    (folder,) = list(tmp_path.iterdir())
    for name in ("posterior.csv", "screening.csv", "report.md", "provenance.json", "figures/posterior_pairs.png"):
        assert (folder / name).is_file(), name
    report = (folder / "report.md").read_text()
    for target in cal.targets():  # each predictive check names the target, says what it is, and its observed value
        assert f"| {target.name} ({target.what}) | {target.observed:.3g} |" in report
    assert "cannot identify" in report
    names, points, weights = cal.read_posterior(folder / "posterior.csv")
    # The 2 best by screening, and each target's own most influential parameter besides.
    provenance = json.loads((folder / "provenance.json").read_text())
    assert names == list(provenance["priors"]) and len(names) >= 2 and points.shape == (cal.MIN_PARTICLES, len(names))
    assert set(provenance["most_influential_per_target"].values()) <= set(names)
    assert "## Fit against the defaults" in report
    assert set(provenance["fit"]["error_posterior"]) == set(cal.target_names())
    assert {"polls.csv", "exposure.csv", "administration_alignment.csv"} <= set(provenance["data"])
    # The effective sample size is reported, and below the smallest sensible size the report and the command
    # say that the intervals are too narrow to trust.
    ess = cal.effective_sample_size(weights)
    assert provenance["effective_sample_size"] == pytest.approx(ess) and "Effective sample size" in report
    assert ("too narrow" in report) == (ess < cal.MIN_PARTICLES)
    assert ("too narrow to trust" in capsys.readouterr().err) == (ess < cal.MIN_PARTICLES)
    # The provenance records the posterior's sha256, so that a shipped copy (--ship) passes the checks of its use.
    assert cal.check_posterior(folder / "posterior.csv", folder / "provenance.json")[0] == names
    shutil.rmtree(folder)


def test_same_seed_same_posterior_with_one_worker(tmp_path):
    settings = cal.Settings(trajectories=0, keep=1, particles=15, generations=2, replicates=1, pilot=16)
    observed = cal.simulate([{"spending_threat_coef": 3.0}], [1])[0]
    runs = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        runs.append(cal.infer(["spending_threat_coef"], observed, 4, settings, tmp_path / name))
    assert np.array_equal(runs[0][0], runs[1][0]) and np.array_equal(runs[0][1], runs[1][1])


def test_compare_pairs_only_runs_with_the_same_draws(tmp_path, capsys, monkeypatch):
    import sim.reporting.figures.run
    from sim.cli import main

    monkeypatch.setattr(sim.reporting.figures.run, "draw_all", lambda *args, **kwargs: [])
    scenario = tmp_path / "short.yaml"
    scenario.write_text("end: 2025-12\nreplications: 2\n")
    folders = []
    for mode in ("posterior", "posterior", "none"):
        out = tmp_path / f"r{len(folders)}"
        assert main(["run", str(scenario), "--uncertainty", mode, "--out", str(out), "--quiet", "--workers", "1"]) == 0
        (folder,) = out.iterdir()
        folders.append(str(folder))
    capsys.readouterr()
    assert main(["compare", folders[0], folders[1], "--out", str(tmp_path / "c1")]) == 0
    assert main(["compare", folders[0], folders[2], "--out", str(tmp_path / "c2")]) == 2
    assert "uncertainty" in capsys.readouterr().err


def test_plot_and_save_redraw_the_chance_section_of_a_posterior_run(tmp_path, monkeypatch, capsys):
    """`cohesion plot` on a posterior run's folder (and Results.save) keep the chance-vs-parameters section."""
    import sim
    import sim.reporting.figures.run
    from sim.cli import main

    monkeypatch.setattr(sim.reporting.figures.run, "draw_all", lambda *args, **kwargs: [])
    scenario = tmp_path / "short.yaml"
    scenario.write_text("end: 2025-12\nreplications: 3\n")
    folders = {}
    for mode in ("posterior", "none"):
        out = tmp_path / mode
        assert main(["run", str(scenario), "--uncertainty", mode, "--out", str(out), "--quiet"]) == 0
        (folders[mode],) = out.iterdir()
    posterior = folders["posterior"]
    figure = posterior / "figures" / "chance_and_parameters.png"
    written = (posterior / "report.md").read_text()
    assert "## Chance and parameters" in written and figure.is_file()
    (posterior / "report.md").unlink()
    figure.unlink()
    assert main(["plot", str(posterior)]) == 0
    redrawn = (posterior / "report.md").read_text()
    assert "## Chance and parameters" in redrawn and figure.is_file()
    # The same bands: the chance-only runs are the same replications at the defaults, drawn again.
    assert redrawn[redrawn.index("## Chance and parameters") :] == written[written.index("## Chance and parameters") :]
    assert main(["plot", str(folders["none"])]) == 0
    assert "## Chance and parameters" not in (folders["none"] / "report.md").read_text()
    saved = sim.load_results(posterior).save(tmp_path / "saved")
    assert "## Chance and parameters" in (saved / "report.md").read_text()
    assert (saved / "figures" / "chance_and_parameters.png").is_file()


def test_shipped_posterior_fits_the_record_better_than_the_defaults():
    """The shipped posterior beats the defaults on the aggregate scaled distance, and no headline target is
    clearly worse (posterior predictive runs and default runs on the same seeds; docs/CALIBRATION.md)."""
    fit = cal.shipped_fit(draws=96)
    recorded = json.loads(cal.PROVENANCE_FILE.read_text())["distance_scales"]
    keys = fit["scored"]
    # Targets added since the posterior was made have no recorded scale: left out and named, until it is regenerated.
    assert keys == [k for k in cal.target_names() if k in recorded]
    assert fit["unscored"] == [k for k in cal.target_names() if k not in recorded]
    errors = zip(keys, fit["error_posterior"], fit["error_default"], strict=True)
    table = {k: (round(a, 3), round(b, 3)) for k, a, b in errors}
    assert fit["aggregate_posterior"] < fit["aggregate_default"], table
    assert fit["worse"] == [], table


def test_chance_section_and_figure_read_as_the_other_figures_do(tmp_path) -> None:
    """Outcomes by their labels, 0-1 outcomes on 0-1 axes, the disclaimer, and the parameters it cannot see."""
    import matplotlib.pyplot as plt

    from sim import DISCLAIMER
    from sim.reporting.figures.chance import figure as chance_figure
    from sim.reporting.figures.run import LABELS
    from sim.reporting.reports.run import chance_section
    from sim.rules.outcomes import HEADLINE_OUTCOMES, ZERO_ONE_OUTCOMES

    rng = np.random.default_rng(3)
    dates = pd.date_range("2025-01-01", periods=6, freq="MS").date
    rows = [
        {"run": r, "date": d, **{o: 0.5 + 0.01 * r + rng.normal(0, 0.01) for o in HEADLINE_OUTCOMES}}
        for r in range(8)
        for d in dates
    ]
    full = pd.DataFrame(rows)
    chance = full.assign(**{o: full[o] * 0.99 for o in HEADLINE_OUTCOMES})
    text = chance_section(full, chance, "figures/x.png")
    assert LABELS["article5_credibility"].replace("\n", " ") in text
    assert "| article5_credibility |" not in text
    # The section names the parameters the published sensitivity finds Article 5 credibility rests on most.
    table = pd.read_csv(REPOSITORY / "docs" / "figures" / "sensitivity_total.csv")
    credibility = table[(table["outcome"] == "article5_credibility") & (table["year"] == table["year"].max())]
    leading = credibility.nlargest(3, "ST")["factor"]
    assert all(f"`{name}`" in text for name in leading), list(leading)
    assert "docs/SENSITIVITY.md" in text
    drawn = {}
    saved = plt.Figure.savefig

    def keep(self, *args, **kwargs):
        drawn["figure"] = self
        return saved(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plt.Figure, "savefig", keep)
        chance_figure(full, chance, "s", tmp_path / "x.png")
    figure = drawn["figure"]
    assert any(DISCLAIMER in t.get_text() for t in figure.texts)
    titled = {ax.get_title(): ax for ax in figure.axes if ax.get_title()}
    zero_one = [o for o in HEADLINE_OUTCOMES if o in ZERO_ONE_OUTCOMES]
    assert zero_one and all(titled[LABELS[o]].get_ylim() == (0.0, 1.0) for o in zero_one)


def test_the_recorded_command_leaves_out_the_output_folder() -> None:
    from sim.cli.calibrate import recorded_arguments

    typed = ["calibrate", "--seed", "3", "--out", "/home/someone/runs", "--ship", "--out=elsewhere", "--quiet"]
    assert recorded_arguments(typed) == ["calibrate", "--seed", "3", "--ship", "--quiet"]


# ---------------------------------------------------------------- calibration that cannot mislead

TINY = cal.Settings(trajectories=1, keep=1, particles=cal.MIN_PARTICLES, generations=2, replicates=1, pilot=16)


def _tiny(monkeypatch, fast: bool = False) -> None:
    from sim.cli import calibrate as calibrate_cli

    monkeypatch.setattr(cal, "QUICK", TINY)
    monkeypatch.setattr(calibrate_cli, "PREDICTIVE_DRAWS", 4)
    if fast:
        monkeypatch.setattr(cal, "simulate", _stand_in)


def _stand_in(parameter_sets, seeds):
    """A stand-in for the hindcast, a thousand times faster: every target moves with every parameter (each
    scaled to its range) and with noise from the run's seed. The calibration's bookkeeping is what is tested."""
    observed = np.array([t.observed for t in cal.targets()])
    out = np.empty((len(seeds), len(observed)))
    for r, (parameters, seed) in enumerate(zip(parameter_sets, seeds, strict=True)):
        spec = params.PARAMETERS
        shift = sum((v - spec[n].low) / (spec[n].high - spec[n].low) - 0.5 for n, v in parameters.items())
        noise = np.random.default_rng(int(seed)).normal(0.0, 0.1, len(observed))
        out[r] = observed * (1.0 + 0.2 * shift) + noise
    return out


def test_calibrate_refuses_a_sample_too_small_for_its_report(tmp_path, monkeypatch, capsys):
    """One particle would give zero-width intervals that read as perfect identification: refused, one line."""
    from sim.cli import main

    _tiny(monkeypatch)
    for particles in ("1", str(cal.MIN_PARTICLES - 1)):
        assert main(["calibrate", "--quick", "--quiet", "--particles", particles, "--out", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "--particles" in err and f"at least {cal.MIN_PARTICLES}" in err
    assert not any(tmp_path.iterdir())  # nothing was started


def test_effective_sample_size_counts_equal_and_lopsided_weights():
    assert cal.effective_sample_size(np.ones(50)) == pytest.approx(50)
    assert cal.effective_sample_size(np.array([1.0, 0, 0, 0])) == pytest.approx(1)


@pytest.mark.parametrize("particles", [cal.MIN_PARTICLES, 37, 100])
def test_equal_weights_are_exactly_that_many_effective_particles_and_shown_so(particles):
    # 40 normalised equal weights sum to 39.99999999999999 in floating point: the warning said
    # "40 effective particles (fewer than 40)".
    ess = cal.effective_sample_size(np.full(particles, 1 / particles))
    assert ess == particles
    assert (ess < cal.MIN_PARTICLES) == (particles < cal.MIN_PARTICLES)
    assert cal.shown_sample_size(ess) == str(particles)


def test_a_size_just_below_the_threshold_is_not_shown_as_the_threshold():
    weights = np.array([1.0] * (cal.MIN_PARTICLES - 1) + [0.9])
    ess = cal.effective_sample_size(weights)
    assert cal.MIN_PARTICLES - 1 < ess < cal.MIN_PARTICLES
    shown = cal.shown_sample_size(ess)
    assert float(shown) < cal.MIN_PARTICLES and shown == f"{cal.MIN_PARTICLES - 1}.9"


class _FixedClock:
    """datetime with now() fixed: two calibrations started in the same second."""

    @staticmethod
    def now(tz=None):
        import datetime as dt

        return dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=tz)


def test_an_interrupted_calibration_is_kept_and_resumes_to_the_same_posterior(tmp_path, monkeypatch, capsys):
    """Interrupted after its first generation, the calibration keeps its folder; resumed (with --resume, or by
    the same command) it gives exactly the posterior of a calibration never interrupted (one worker, same
    seed). Calibrations started in the same second get folders of their own."""
    from sim.cli import calibrate as calibrate_cli
    from sim.cli import main

    _tiny(monkeypatch, fast=True)
    monkeypatch.setattr(calibrate_cli, "datetime", _FixedClock)
    # The report and its figures are tested above; here they would only take time.
    monkeypatch.setattr(calibrate_cli, "_report", lambda folder, *args: (folder / "report.md").write_text("-"))
    command = ["calibrate", "--quick", "--quiet", "--seed", "5", "--out", str(tmp_path)]
    assert main(command) == 0
    whole = tmp_path / "calibration-20300102T030405Z"
    assert capsys.readouterr().out.strip() == str(whole)
    assert json.loads((whole / "calibration.json").read_text())["status"] == "complete"
    assert not (whole / "abc.db").exists()

    real_infer = cal.infer

    def interrupted_infer(*args, **kwargs):
        folder = args[4]

        def simulator(parameter_sets, seeds):
            if cal.generations_done(folder) >= 1:  # Ctrl-C in the second generation
                raise KeyboardInterrupt
            return _stand_in(parameter_sets, seeds)

        return real_infer(*args, simulator=simulator, **kwargs)

    for how in ("--resume", "same command"):
        monkeypatch.setattr(cal, "infer", interrupted_infer)
        assert main(command) == 1
        err = capsys.readouterr().err
        (folder,) = [f for f in tmp_path.iterdir() if f != whole]  # the same second: a folder of its own
        assert folder.name.startswith(whole.name + "-")
        assert "--resume" in err and str(folder) in err and "1 of 2 generations" in err
        state = json.loads((folder / "calibration.json").read_text())
        assert state["status"] == "interrupted" and "screening" in state and "scales" in state
        assert cal.generations_done(folder) == 1 and not (folder / "posterior.csv").exists()
        monkeypatch.setattr(cal, "infer", real_infer)
        resume = ["calibrate", "--quiet", "--resume", str(folder)] if how == "--resume" else command
        assert main(resume) == 0
        assert capsys.readouterr().out.strip() == str(folder)
        assert (folder / "posterior.csv").read_bytes() == (whole / "posterior.csv").read_bytes(), how
        provenance = json.loads((folder / "provenance.json").read_text())
        assert provenance["resumed"] and json.loads((folder / "calibration.json").read_text())["status"] == "complete"
        shutil.rmtree(folder)


def test_resume_refuses_what_it_cannot_resume(tmp_path, capsys):
    from sim.cli import main

    state = {"kind": "calibration", "status": "interrupted", "seed": 5, "mode": "quick"}
    folder = tmp_path / "calibration-x"
    folder.mkdir()
    (folder / "calibration.json").write_text(json.dumps({**state, "settings": dataclasses.asdict(TINY)}))
    damaged = tmp_path / "calibration-y"
    damaged.mkdir()
    (damaged / "calibration.json").write_text(json.dumps(state))  # no settings
    cases = [
        (["--resume", str(damaged)], "lacks the seed, mode or settings"),
        (["--resume", str(tmp_path / "missing")], "is not a folder"),
        (["--resume", str(tmp_path)], "holds no calibration.json"),
        (["--resume", str(folder), "--seed", "6"], "started with 5"),
    ]
    for extra, expected in cases:
        assert main(["calibrate", "--quiet", *extra]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and expected in err, err
    (folder / "calibration.json").write_text(
        json.dumps({**state, "status": "complete", "settings": dataclasses.asdict(TINY)})
    )
    assert main(["calibrate", "--quiet", "--resume", str(folder)]) == 2
    assert "complete" in capsys.readouterr().err


def test_a_resumed_abc_run_continues_exactly(tmp_path):
    """The library alone: a run cut after one generation and resumed equals a run never cut (same seed)."""
    settings = cal.Settings(trajectories=0, keep=1, particles=10, generations=2, replicates=1, pilot=8)
    observed = cal.simulate([{"spending_threat_coef": 3.0}], [1])[0]
    scales = np.ones(len(observed))
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    whole.mkdir(), cut.mkdir()
    expected = cal.infer(["spending_threat_coef"], observed, 4, settings, whole, scales=scales)

    def simulator(parameter_sets, seeds):
        if cal.generations_done(cut) >= 1:
            raise KeyboardInterrupt
        return cal.simulate(parameter_sets, seeds)

    state = np.random.get_state()
    with pytest.raises(KeyboardInterrupt):
        cal.infer(["spending_threat_coef"], observed, 4, settings, cut, simulator=simulator, scales=scales)
    assert np.array_equal(np.random.get_state()[1], state[1])  # the caller's global stream is left as it was
    resumed = cal.infer(["spending_threat_coef"], observed, 4, settings, cut, scales=scales, resume=True)
    assert np.array_equal(expected[0], resumed[0]) and np.array_equal(expected[1], resumed[1])
    assert expected[2] == resumed[2]


def _damaged_copy(tmp_path, edit, reseal=True):
    """A copy of the shipped posterior edited by ``edit(text) -> text``; its provenance's sha256 made to match
    the edit when ``reseal`` (so that the other checks are reached)."""
    path, provenance = tmp_path / "posterior.csv", tmp_path / "posterior_provenance.json"
    path.write_text(edit(cal.POSTERIOR_FILE.read_text()))
    recorded = json.loads(cal.PROVENANCE_FILE.read_text())
    if reseal:
        recorded["posterior_sha256"] = cal.file_sha256(path)
    provenance.write_text(json.dumps(recorded))
    return path, provenance


def _out_of_range(text):
    lines = text.splitlines(keepends=True)
    cells = lines[1].split(",")
    cells[1] = "99"  # spending_threat_coef, whose range is 0 to 6
    return "".join([lines[0], ",".join(cells), *lines[2:]])


DAMAGE = {
    "out of range": (_out_of_range, True, "outside the registry range"),
    "truncated": (lambda text: text[: len(text) // 2], True, "cut short"),
    "renamed column": (lambda text: text.replace("threat_rate", "threat_speed", 1), True, "renamed or removed"),
    "edited": (lambda text: text.replace("0.0", "0.1", 1), False, "sha256"),
    "no checksum": (lambda text: text, None, "posterior_sha256"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_posterior_is_one_line_naming_the_file(tmp_path, damage):
    edit, reseal, expected = DAMAGE[damage]
    path, provenance = _damaged_copy(tmp_path, edit, bool(reseal))
    if reseal is None:
        recorded = json.loads(provenance.read_text())
        del recorded["posterior_sha256"]
        provenance.write_text(json.dumps(recorded))
    with pytest.raises(InputError) as caught:
        cal.check_posterior(path, provenance)
    line = caught.value.one_line()
    assert str(path) in line and expected in line and "\n" not in line


def test_the_shipped_posterior_passes_its_checks_and_records_its_checksum():
    names, points, weights = cal.check_posterior()
    provenance = json.loads(cal.PROVENANCE_FILE.read_text())
    assert provenance["posterior_sha256"] == cal.file_sha256(cal.POSTERIOR_FILE)
    assert len(names) == points.shape[1] and len(weights) == len(points)


@pytest.mark.parametrize("damage", ["out of range", "truncated", "renamed column", "edited"])
def test_run_with_a_damaged_posterior_exits_2_with_one_line(tmp_path, monkeypatch, capsys, damage):
    """`cohesion run` drawing from a damaged posterior: one line naming the file, exit 2, no folder."""
    from sim.cli import main

    edit, reseal, expected = DAMAGE[damage]
    path, provenance = _damaged_copy(tmp_path, edit, bool(reseal))
    from sim.inputs import posterior

    monkeypatch.setattr(posterior, "POSTERIOR_FILE", path)
    monkeypatch.setattr(posterior, "PROVENANCE_FILE", provenance)
    scenario = tmp_path / "short.yaml"
    scenario.write_text("end: 2025-06\nreplications: 2\n")
    out = tmp_path / "out"
    code = main(["run", str(scenario), "--uncertainty", "posterior", "--out", str(out), "--quiet", "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and str(path) in err and expected in err, err
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.slow
def test_sigterm_to_a_real_calibration_keeps_it_resumable(tmp_path):
    """The command as users run it: SIGTERM in the second generation, then --resume finishes the calibration."""
    import os
    import signal
    import subprocess
    import sys
    import time

    command = [sys.executable, "-m", "sim", "calibrate", "--quick", "--quiet", "--particles", "40"]
    command += ["--generations", "2", "--out", str(tmp_path)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and process.poll() is None:
        folders = list(tmp_path.glob("calibration-*"))
        if folders and cal.generations_done(folders[0]) >= 1:
            process.send_signal(signal.SIGTERM)
            break
        time.sleep(0.2)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    (folder,) = tmp_path.iterdir()
    assert err.strip().splitlines()[-1].endswith(f"resume with: cohesion calibrate --resume {folder}")
    assert json.loads((folder / "calibration.json").read_text())["status"] == "interrupted"
    assert cal.generations_done(folder) >= 1
    done = subprocess.run(
        [sys.executable, "-m", "sim", "calibrate", "--quiet", "--resume", str(folder)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(folder) and (folder / "report.md").is_file()
