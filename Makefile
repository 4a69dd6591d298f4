# collabsim: two commands do all the set-up on a fresh machine (Python 3.11 and make).
#   make demo   creates .venv, installs collabsim, runs the main job (Hartford vs Louisville vs baseline)
#   make test   creates .venv, installs collabsim with every extra, runs every test
#   make app    serves the trainers' app on http://127.0.0.1:8765 (offline)
#   make replicate-quick / make replicate   the six published patterns, PASS/FAIL report
#   make calibrate-quick / make calibrate   parameter recovery / ABC-SMC of the free weights
#   make notebooks   opens JupyterLab on notebooks/ (installs the 'notebooks' extra once)
#   make wheel   builds dist/collabsim-*.whl (scenarios and configs inside)
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Results are add-only: benchmark files are named by UTC time and commit.
TAG     = $(shell date -u +%Y%m%d-%H%M%S)-$(shell git rev-parse --short HEAD 2>/dev/null || echo nogit)

.PHONY: demo test lint format docs coverage clean-cache bench bench-sweep bench-memory reliability app clean-venv \
	replicate replicate-quick calibrate calibrate-quick bench-replication notebooks wheel load-test app-screenshots

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,app,dask,cluster,research,calibration]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/collabsim compare baseline hartford louisville --reps 20 --seed 2025 --out results/demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests experiments benchmarks notebooks
	$(BIN)/ruff format --check src tests experiments benchmarks notebooks

format: $(STAMP)
	$(BIN)/ruff format src tests experiments benchmarks notebooks
	$(BIN)/ruff check --fix src tests experiments benchmarks notebooks

app: $(STAMP)
	$(BIN)/collabsim app

# Workshop mode under load (docs/trainers.md): 40 participant sessions (38 over the app's
# websocket protocol, 2 chromium pages, plus the facilitator's page) stepping once a second for
# three minutes; figures written to results/app/ (CI runs the same test with 8 sessions, 20 s).
load-test: $(STAMP)
	@mkdir -p results/app
	COLLABSIM_LOAD_FULL=1 COLLABSIM_LOAD_JSON=results/app/load-$(TAG).json \
		$(BIN)/python -m pytest -q -s tests/test_app_load.py

# The screenshots of docs/trainers.md, taken by the browser tests at 1280 x 720.
app-screenshots: $(STAMP)
	COLLABSIM_SCREENSHOTS=docs/img $(BIN)/python -m pytest -q tests/test_app_browser.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_model.py

bench-sweep: $(STAMP)
	$(BIN)/python benchmarks/bench_sweep.py --json results/bench/sweep-$(TAG).json

replicate: $(STAMP)
	$(BIN)/collabsim replicate

replicate-quick: $(STAMP)
	$(BIN)/collabsim replicate --quick

# Calibration as inference (docs/calibration.md): ABC-SMC of the free weights (about 30 minutes
# on 2 cores), and the parameter-recovery check that CI runs (minutes).
calibrate: $(STAMP)
	$(BIN)/collabsim calibrate

calibrate-quick: $(STAMP)
	$(BIN)/collabsim calibrate --quick

bench-replication: $(STAMP)
	$(BIN)/python benchmarks/bench_replication.py

bench-memory: $(STAMP)
	$(BIN)/python benchmarks/bench_memory.py --json results/bench/memory-$(TAG).json

# Fuzzing and fault injection at scale (docs/reliability.md); CI runs the same tests smaller.
reliability: $(STAMP)
	COLLABSIM_FUZZ_SCALE=20 COLLABSIM_FAULT_TRIALS=10 $(BIN)/python -m pytest -q tests/test_reliability_*.py
	$(BIN)/python experiments/fault_injection.py --run-kills 100 --run-interrupts 50 --sweep-kills 100 \
		--json results/reliability/faults-$(TAG).json

# Coverage of the model's code with numba's JIT disabled (compiled submodels run as Python).
MODEL_CODE = src/collabsim/mechanisms/*,src/collabsim/state.py,src/collabsim/model.py,src/collabsim/outcomes.py,src/collabsim/params.py,src/collabsim/network.py,src/collabsim/agents.py
coverage: $(STAMP)
	NUMBA_DISABLE_JIT=1 $(BIN)/python -m coverage run -m pytest -q -p no:cacheprovider \
		tests/test_golden.py tests/test_state.py tests/test_dialogue.py tests/test_trust.py \
		tests/test_turnover.py tests/test_effort.py tests/test_community.py tests/test_stat_meeting.py \
		tests/test_entry_point.py tests/test_governance.py tests/test_projects.py tests/test_triangle.py \
		tests/test_perish.py tests/test_model.py tests/test_outcomes.py tests/test_network.py
	$(BIN)/python -m coverage report --include='$(MODEL_CODE)'

# The ODD's parameter and outcome tables, regenerated from the declarations.
docs: $(STAMP)
	$(BIN)/python -m collabsim._docgen docs/ODD.md

# numba's cache misses edits to compiled functions called from another file: clear it after such edits.
clean-cache:
	find src -name '*.nbi' -delete -o -name '*.nbc' -delete

$(VENV)/.notebooks: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[notebooks]'
	@touch $@

# The notebooks are jupytext .py files: in JupyterLab, right-click one and
# Open With > Jupytext Notebook (or Notebook); outputs are not stored in git.
notebooks: $(VENV)/.notebooks
	cd notebooks && ../$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

# (build/ is removed first: setuptools would otherwise keep files deleted from src/)
wheel: $(STAMP)
	rm -rf build
	$(BIN)/python -m pip wheel . --no-deps --no-build-isolation --no-index -w dist

clean-venv:
	rm -rf $(VENV)
