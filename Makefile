# make demo: runs the headline scenarios and prints where their reports and figures are.
# make test: runs the test suite except the tests marked slow (.ci/run runs those too).
# Both create .venv when it is missing and (re)install the package when pyproject.toml changes.

# Tests and demos see what users see: Python writes bytecode (__pycache__ inside the installed package).
unexport PYTHONDONTWRITEBYTECODE

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEMO_SCENARIOS := baseline us_drawdown article5_doubt ceasefire_pressure perfect_storm
DEMO_REPLICATIONS ?= 40
DEMO_WORKERS ?= 2

.PHONY: demo test test-slow lint posterior sensitivity readme-figures

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dask,analysis,ema,calibrate]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	@echo "Running $(words $(DEMO_SCENARIOS)) scenarios x $(DEMO_REPLICATIONS) replications on $(DEMO_WORKERS) workers"
	@echo "(illustrative scenario exploration, not a forecast)"
	@for scenario in $(DEMO_SCENARIOS); do \
		$(BIN)/cohesion run $$scenario --replications $(DEMO_REPLICATIONS) --workers $(DEMO_WORKERS) || exit $$?; \
	done
	@echo
	@echo "Reports (open in any Markdown viewer) and figures:"
	@for scenario in $(DEMO_SCENARIOS); do \
		latest=$$(ls -d results/$$scenario-* | sort | tail -n 1); \
		echo "  $$latest/report.md   $$latest/figures/"; \
	done
	@echo
	@echo "The cohesion command is in $(VENV): 'source $(BIN)/activate' and type 'cohesion --help', or call $(BIN)/cohesion"

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -m "not slow"

test-slow: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -m slow

lint: $(VENV)/.installed-test
	$(BIN)/ruff check sim tests

# make posterior: the shipped calibration posterior (sim/data/posterior.csv and its provenance) and its two
# figures in docs/figures; needs the [calibrate] extra. 400 particles, up to 14 generations, ending after the
# generation that brings the evaluations to 30,000 (13 generations): about 21 minutes on two shared cores.
posterior: $(VENV)/.installed-test
	folder=$$($(BIN)/cohesion calibrate --seed 20240101 --particles 400 --generations 14 --max-simulations 30000 --ship --quiet) && \
	cp $$folder/figures/posterior_pairs.png docs/figures/calibration_pairs.png && \
	cp $$folder/figures/predictive_checks.png docs/figures/calibration_checks.png && echo $$folder

# make sensitivity: the published sensitivity (docs/SENSITIVITY.md and its figure): a Sobol' sweep of every
# numeric parameter on the baseline (6,272 runs), then the total indices for 2030 and 2035. About a minute.
sensitivity: $(VENV)/.installed
	rm -rf results/sobol_all_parameters
	$(BIN)/cohesion sweep experiments/sobol_all_parameters.yaml --out results/sobol_all_parameters --quiet
	$(BIN)/python -m sim.reporting.publish_sensitivity results/sobol_all_parameters docs

# make readme-figures: redraw the figures the README shows, with the cohesion command as the README runs it, and
# record beside each what drew it (tests/test_docs.py fails when the golden outputs or the shipped posterior
# changed since). Under a minute.
readme-figures: $(VENV)/.installed
	$(BIN)/python docs/readme_figures.py
