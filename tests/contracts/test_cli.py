"""The command line: bad input is one line on stderr and exit 2; list and validate read the registries."""

from __future__ import annotations

import re

import pytest

from sim import EVENT_TYPES, PARAMETERS
from sim.cli import main
from sim.scenarios.scenario import packaged_scenarios
from tests.helpers import ROOT

GOOD_EVENT = "{date: 2026-01, type: coercion, target: DNK, size: 0.3}"

# (file name, content, field named in the message, a word of what is allowed or what is wrong)
BAD_FILES = [
    ("syntax", "name: x\n  oops: [\n", "line 2", "not valid YAML"),
    ("a_list", "- name: x\n- start: 2025-01\n", "top level", "not keys such as name:"),
    ("empty", "", "top level", "empty"),
    ("duplicate", "name: x\nname: y\n", "line 2", "duplicate key 'name'"),
    (
        "unknown_event",
        "events:\n  - {date: 2026-01, type: coercon, target: DNK, size: 0.3}\n",
        "events[0].type",
        "did you mean 'coercion'",
    ),
    (
        "unknown_iso3",
        "events:\n  - " + GOOD_EVENT + "\n  - {date: 2026-02, type: coercion, target: DNKK, size: 0.3}\n",
        "events[1].target",
        "did you mean 'DNK'",
    ),
    (
        "bad_date",
        "events:\n  - {date: 2026-13, type: coercion, target: DNK, size: 0.3}\n",
        "events[0].date",
        "months run 01 to 12",
    ),
    ("malformed_date", "start: March 2025\n", "start", "YYYY-MM"),
    (
        "outside_horizon",
        "end: 2026-12\nevents:\n  - {date: 2027-01, type: coercion, target: DNK, size: 0.3}\n",
        "events[0].date",
        "outside the run",
    ),
    ("end_before_start", "start: 2030-01\nend: 2029-12\n", "end", "before start"),
    ("zero_replications", "replications: 0\n", "replications", "1 to"),
    ("negative_replications", "replications: -4\n", "replications", "1 to"),
    ("float_replications", "replications: 2.5\n", "replications", "whole number"),
    ("negative_seed", "seed: -1\n", "seed", "a whole number from 0 to"),
    (
        "unknown_parameter",
        "parameters: {confidence_bond: 0.3}\n",
        "parameters.confidence_bond",
        "did you mean 'confidence_bound'",
    ),
    ("out_of_range", "parameters: {confidence_bound: 7}\n", "parameters.confidence_bound", "0.05 to 1"),
    ("wrong_type", "parameters: {confidence_bound: wide}\n", "parameters.confidence_bound", "a number"),
    ("wrong_type_categorical", "parameters: {eu_cfsp_rule: majority}\n", "parameters.eu_cfsp_rule", "unanimity"),
    (
        "event_out_of_range",
        "events:\n  - {date: 2026-01, type: coercion, target: DNK, size: 3}\n",
        "events[0].size",
        "3 is not allowed; use a number above 0, up to 1",
    ),
    ("missing_event_field", "events:\n  - {date: 2026-01, type: coercion, size: 0.3}\n", "events[0].target", "missing"),
    (
        "extra_event_field",
        "events:\n  - {date: 2026-01, type: coercion, target: DNK, size: 0.3, sise: 1}\n",
        "events[0].sise",
        "did you mean 'size'",
    ),
    ("event_not_mapping", "events:\n  - coercion of Denmark\n", "events[0]", "mapping"),
    ("events_not_list", "events: {date: 2026-01}\n", "events", "list of events"),
    ("unknown_top_level_key", "replication: 3\n", "replication", "did you mean 'replications'"),
    ("bad_initial_year", "initial_year: 2023\n", "initial_year", "2022 or 2024"),
    ("bad_name", "name: my scenario\n", "name", "letters"),
    ("unknown_state", "states: {XYZ: {threat: 0.5}}\n", "states.XYZ", "not a state of the model"),
    ("unknown_state_variable", "states: {POL: {threath: 0.5}}\n", "states.POL.threath", "did you mean 'threat'"),
    ("state_value_out_of_range", "states: {POL: {threat: 1.5}}\n", "states.POL.threat", "0 to 1"),
    ("state_not_mapping", "states: {POL: 0.5}\n", "states.POL", "mapping"),
    ("missing_parent", "extends: prelude_2052\n", "extends", "did you mean 'prelude_2025'"),
    (
        "set_unknown_parameter",
        "events:\n  - {date: 2026-01, type: set, parameter: pledge, value: 3}\n",
        ("events[0].parameter", "events[0].pledge"),
        "unknown parameter",
    ),
]


def one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {captured.err!r}"
    assert "Traceback" not in captured.err
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize(("name", "content", "field", "hint"), BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_bad_scenario_file_exits_2_with_one_line_naming_file_and_field(tmp_path, capsys, name, content, field, hint):
    path = tmp_path / f"{name}.yaml"
    path.write_text(content, encoding="utf-8")
    for command in (["validate", str(path)], ["run", str(path), "--out", str(tmp_path / "results")]):
        assert main(command) == 2
        line = one_error_line(capsys)
        fields = field if isinstance(field, tuple) else (field,)
        assert any(f"{path}: {f}: " in line for f in fields), line
        assert hint in line, line
    assert not (tmp_path / "results").exists(), "bad input must not leave a results folder"


def test_missing_file_suggests_a_near_name(tmp_path, capsys):
    (tmp_path / "baseline.yaml").write_text("name: baseline\n")
    missing = tmp_path / "baselin.yaml"
    assert main(["run", str(missing)]) == 2
    line = one_error_line(capsys)
    assert f"{missing}: file: no such file" in line
    assert "did you mean" in line and "baseline.yaml" in line


def test_file_that_is_not_text(tmp_path, capsys):
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00\x81")
    assert main(["validate", str(path)]) == 2
    assert f"{path}: file: is not text" in one_error_line(capsys)


def test_folder_instead_of_file(tmp_path, capsys):
    assert main(["validate", str(tmp_path)]) == 2
    assert "file: is a folder" in one_error_line(capsys)


def test_extends_cycle_names_the_file_that_closes_it(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text("extends: b\n")
    (tmp_path / "b.yaml").write_text("extends: a\n")
    assert main(["validate", str(tmp_path / "a.yaml")]) == 2
    line = one_error_line(capsys)
    assert f"{tmp_path / 'b.yaml'}: extends: " in line and "cycle (a -> b -> a)" in line


def test_self_extension_is_a_cycle(tmp_path, capsys):
    (tmp_path / "me.yaml").write_text("extends: me\n")
    assert main(["validate", str(tmp_path / "me.yaml")]) == 2
    assert "cycle" in one_error_line(capsys)


@pytest.mark.parametrize(
    ("option", "value"), [("--replications", "0"), ("--replications", "-2"), ("--workers", "0"), ("--seed", "-5")]
)
def test_bad_option_values_exit_2_naming_the_option(tmp_path, capsys, option, value):
    assert main(["run", "baseline", option, value, "--out", str(tmp_path)]) == 2
    assert f"{option}: {value} is not allowed" in one_error_line(capsys)
    assert not any(tmp_path.iterdir())


def test_malformed_options_exit_2_on_one_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "baseline", "--replications", "many"])
    assert exit_.value.code == 2
    assert "--replications: invalid int value: 'many'" in one_error_line(capsys)
    with pytest.raises(SystemExit) as exit_:
        main(["frobnicate"])
    assert exit_.value.code == 2
    assert "invalid choice: 'frobnicate'" in one_error_line(capsys)


def test_plot_of_a_folder_that_is_not_results(tmp_path, capsys):
    assert main(["plot", str(tmp_path / "nowhere")]) == 2
    assert "RESULTS_DIR: no such folder" in one_error_line(capsys)
    assert main(["plot", str(tmp_path)]) == 2
    assert "manifest.json: missing" in one_error_line(capsys)
    (tmp_path / "manifest.json").write_text('{"status": "running", "runs_done": 2, "runs_total": 9}')
    assert main(["plot", str(tmp_path)]) == 2
    assert "did not finish (2 of 9 runs)" in one_error_line(capsys)


def test_validate_accepts_every_packaged_scenario(capsys):
    files = [str(path) for path in packaged_scenarios().values()]
    assert main(["validate", *files]) == 0
    out = capsys.readouterr().out
    assert out.count("ok: ") == len(files)
    assert "extends prelude_2025" in out


def test_validate_reports_each_bad_file_and_still_checks_the_rest(tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text("seed: -1\n")
    assert main(["validate", str(tmp_path / "bad.yaml"), str(packaged_scenarios()["baseline"])]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "ok: " in captured.out


def test_a_packaged_scenario_runs_by_name_or_path(capsys):
    assert main(["validate", "baseline"]) == 0
    assert "ok: baseline: baseline" in capsys.readouterr().out


def test_list_shows_every_scenario_event_field_and_parameter(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in packaged_scenarios():
        assert f"  {name}  " in out or f"  {name} " in out
    for kind, cls in EVENT_TYPES.items():
        assert f"  {kind}: {cls.summary}" in out
        for field in cls.model_fields:
            if field != "type":
                assert f"      {field}: " in out
    for name, spec in PARAMETERS.items():
        assert f"    {name}: " in out
        assert spec.justification in out


def test_list_shows_every_packaged_experiment_with_its_description(capsys):
    import yaml

    from sim.util.resources import packaged_experiments

    shipped = packaged_experiments()
    assert shipped
    for argv in (["list", "experiments"], ["list"]):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "Experiments (" in out
        for name, path in shipped.items():
            description = yaml.safe_load(path.read_text(encoding="utf-8"))["description"]
            assert re.search(rf"^  {name} +{re.escape(description)}$", out, flags=re.MULTILINE), name
    assert main(["list", "experiments"]) == 0
    assert "Scenarios (" not in capsys.readouterr().out
    assert main(["list", "experiments", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert all(f"| `{name}` |" in out for name in shipped)


def test_list_markdown_sections(capsys):
    assert main(["list", "events", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "| field | allowed | default | meaning |" in out
    assert "**`coercion`**" in out and "Parameters" not in out


def test_readme_event_reference_is_generated_from_the_registry():

    from sim.scenarios import catalogue

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- events:start -->\n", 1)[1].split("<!-- events:end -->", 1)[0]
    assert section == catalogue.markdown("events"), "regenerate with: cohesion list events --markdown"


def test_an_out_folder_that_cannot_be_made_is_bad_input(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    assert main(["run", "baseline", "--replications", "1", "--out", str(blocker / "results")]) == 2
    assert "--out: cannot make a results folder" in one_error_line(capsys)


# ---------------------------------------------------------------- signals at the first moments
def test_the_command_line_imports_nothing_heavy_before_its_signal_handlers_exist():
    """`import sim.cli` stays light, so that a Ctrl-C during the first second (the imports) reaches the handler."""
    import subprocess
    import sys

    code = (
        "import sys, sim.cli; print(' '.join(m for m in ('numpy', 'pandas', 'mesa', 'matplotlib') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "", f"imported before the command's handlers: {loaded}"


def test_the_compare_analyze_and_calibrate_commands_import_nothing_heavy_until_they_run():
    """Building the parser (``cohesion --help``) imports the modules of these commands: they load numpy, pandas,
    matplotlib and the model only inside the functions that run a command."""
    import subprocess
    import sys

    code = (
        "import sys, sim.cli.analysis, sim.cli.calibrate; "
        "print(' '.join(m for m in ('numpy', 'pandas', 'mesa', 'matplotlib', 'scipy') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "", f"imported by the command modules: {loaded}"


def test_help_does_not_import_the_sweep_machinery():
    """`cohesion --help` builds every subcommand's parser, the sweep's too, without importing the sweep's modules
    (the model, its Arrow tables, the executors): they load when a sweep runs."""
    import subprocess
    import sys

    code = (
        "import contextlib, sys\n"
        "from sim.cli import main\n"
        "with contextlib.redirect_stdout(None), contextlib.suppress(SystemExit):\n"
        "    main(['sweep', '--help'])\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith(('sim.cli.sweep', 'sim.runs.sweep', 'mesa')))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == ["sim.cli.sweep"], loaded


def test_the_sweep_help_names_the_largest_automatic_chunk(capsys):
    from sim.cli import sweep as command
    from sim.runs.sweep import run

    assert command.MAX_CHUNK_RUNS == run.MAX_CHUNK_RUNS
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    assert f"at most {run.MAX_CHUNK_RUNS})" in " ".join(capsys.readouterr().out.split())


def test_ctrl_c_during_the_imports_is_one_line_and_exit_1(tmp_path):
    """SIGINT as soon as the command's handler is installed, while it still imports the model: 'interrupted'."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    process = subprocess.Popen(
        [sys.executable, "-m", "sim", "validate", "baseline"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    status = Path(f"/proc/{process.pid}/status")
    began = time.monotonic()
    while process.poll() is None and time.monotonic() - began < 60:
        caught = next((line.split()[1] for line in status.read_text().splitlines() if line.startswith("SigCgt:")), "0")
        if int(caught, 16) & (
            1 << (signal.SIGTERM - 1)
        ):  # the command's own handler (SIGINT is Python's from the start)
            break
        time.sleep(0.001)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1 and err.splitlines() == ["interrupted"], (process.returncode, err[-2000:])


@pytest.mark.parametrize("moment", ["new_manifest", "FolderLock.acquire", "ResultsFolder.save_manifest"])
def test_a_signal_while_the_results_folder_is_made_leaves_no_folder_without_a_manifest(
    tmp_path, capsys, monkeypatch, moment
):
    """SIGTERM reaches `cohesion run` while it makes its folder: no folder is left, or one whose manifest says so."""
    import json
    import os
    import signal

    from sim.runs import folder as store

    real = {
        "new_manifest": store.new_manifest,
        "FolderLock.acquire": store.FolderLock.acquire,
        "ResultsFolder.save_manifest": store.ResultsFolder.save_manifest,
    }[moment]

    def signalled(*args):
        os.kill(os.getpid(), signal.SIGTERM)  # handled at once, in the middle of the step
        return real(*args)

    if moment == "new_manifest":
        monkeypatch.setattr(store, "new_manifest", signalled)
    elif moment == "FolderLock.acquire":
        monkeypatch.setattr(store.FolderLock, "acquire", classmethod(lambda cls, path: signalled(path)))
    else:
        monkeypatch.setattr(store.ResultsFolder, "save_manifest", signalled)
    assert main(["run", "baseline", "--replications", "1", "--workers", "1", "--quiet", "--out", str(tmp_path)]) == 1
    assert "interrupted" in capsys.readouterr().err
    for folder in tmp_path.iterdir():
        manifest = folder / "manifest.json"
        assert manifest.is_file(), f"{folder.name} holds {sorted(p.name for p in folder.iterdir())} and no manifest"
        assert json.loads(manifest.read_text())["status"] == "interrupted"


_SIGNAL_DURING_IMPORT = """
import os, runpy, signal, sys

script, module = sys.argv[1:3]

class SignalOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == module:
            os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C does while the command is still importing its modules
        return None

sys.meta_path.insert(0, SignalOnImport())
sys.argv = [script, "list"]
runpy.run_path(script, run_name="__main__")
"""


@pytest.mark.parametrize("module", ["sim.cli.command", "sim.util.processes", "sim.util.errors"])
def test_ctrl_c_while_the_command_imports_its_modules_is_one_line(module):
    import shutil
    import signal
    import subprocess
    import sys
    from pathlib import Path

    script = shutil.which("cohesion", path=str(Path(sys.executable).parent))
    assert script is not None
    done = subprocess.run(
        [sys.executable, "-c", _SIGNAL_DURING_IMPORT, script, module],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal, not a background job
    )
    assert (done.returncode, done.stderr) == (1, "interrupted\n")


def test_a_sweep_interrupted_before_its_folder_exists_does_not_offer_to_resume(tmp_path, monkeypatch, capsys):
    from sim.runs import sweep

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep.SweepFolder, "claim", interrupted)
    out = tmp_path / "sw"
    assert main(["sweep", "drawdown_vs_doubt", "--out", str(out), "--quiet"]) == 1
    assert capsys.readouterr().err == "interrupted\n"
    assert not out.exists()


def test_a_sweep_interrupted_after_its_first_write_offers_to_resume(tmp_path, monkeypatch, capsys):
    from sim.runs import sweep

    def interrupted(self, result):
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep.SweepFolder, "commit", interrupted)
    out = tmp_path / "sw"
    assert main(["sweep", "drawdown_vs_doubt", "--out", str(out), "--quiet", "--chunk-runs", "1"]) == 1
    assert capsys.readouterr().err == "interrupted; run the same command again to resume\n"
    assert (out / sweep.MANIFEST).is_file()


def test_list_outcomes_shows_every_outcome_of_the_registry_with_its_label_and_scale(capsys):
    from sim.rules.outcomes import OUTCOMES

    assert main(["list", "outcomes"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Outcomes (") and "Parameters (" not in out
    for name, record in OUTCOMES.items():
        assert f"  {name}: {record.one_line()} [{record.scale}] — {record.definition}\n" in out
    assert main(["list"]) == 0
    assert "  war_fatigue: War fatigue (0-1) [0-1]" in capsys.readouterr().out
    assert main(["list", "outcomes", "--markdown"]) == 0
    table = capsys.readouterr().out
    assert table.count("\n| `") == len(OUTCOMES)
    assert "| `blocs` | Blocs (clusters of positions) | count | count |" in table


def test_help_and_import_sim_load_no_model_or_plotting_library():
    """`cohesion --help` (and each command's --help) and `import sim` stay light: Mesa, matplotlib, SciPy, numba
    and NumPy load only when a command runs or a name of the model is used."""
    import subprocess
    import sys

    heavy = ("mesa", "matplotlib", "scipy", "numba", "numpy")
    code = (
        "import contextlib, io, sys\n"
        "import sim\n"
        "sim.__version__, sim.DISCLAIMER\n"
        f"after_import = [m for m in {heavy!r} if m in sys.modules]\n"
        "from sim.cli import main\n"
        "for argv in (['--help'], *([c, '--help'] for c in ('run', 'validate', 'list', 'plot', 'sweep', 'compare',\n"
        "        'analyze', 'dashboard', 'calibrate'))):\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "        main(argv)\n"
        f"print(' '.join(after_import) + '|' + ' '.join(m for m in {heavy!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    after_import, after_help = done.stdout.strip().split("|")
    assert (after_import, after_help) == ("", ""), done.stdout


def test_a_run_interrupted_after_its_own_runs_says_what_did_not_finish(tmp_path, monkeypatch, capsys):
    """Stopped while the runs stored beside the scenario's were made: the line says the scenario's runs were done
    and those were not, rather than 'incomplete (2 of 2 runs)'; plot refuses the folder in the same words."""
    import yaml

    import sim.api

    def interrupted(scenario, workers=1):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.api, "run_behind", interrupted)
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump({"name": "tiny", "extends": "prelude_2025", "end": "2026-01"}))
    out = tmp_path / "results"
    assert main(["run", str(path), "--replications", "2", "--workers", "1", "--quiet", "--out", str(out)]) == 1
    (folder,) = out.iterdir()
    said = "its 2 runs done, not the runs stored beside them for its figures"
    assert capsys.readouterr().err == f"interrupted: {folder} is incomplete ({said}; manifest status 'interrupted')\n"
    assert main(["plot", str(folder)]) == 2
    assert f"is 'interrupted': this run did not finish ({said})" in one_error_line(capsys)
