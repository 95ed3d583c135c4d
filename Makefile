# rai-audit: `make demo` and `make test` each set up .venv first (idempotent).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# torch first, from the CPU wheel; otherwise pip resolves a multi-GB CUDA build.
TORCH  := torch==2.13.0

.PHONY: setup demo lint test test-fast bench clean browser-deps

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet $(TORCH)
	$(PIP) install --quiet -e ".[dev]"
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(VENV)/bin/rai-audit run examples/adult/audit.toml --out runs/adult-demo-$$(date -u +%Y%m%dT%H%M%SZ) || test $$? -eq 1

browser-deps:
	@bash .ci/browser-deps.sh

# ruff (style and bug patterns) and mypy (types; strict on the core packages): configured in pyproject.toml
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: setup browser-deps lint
	$(PY) -m pytest -q --durations=25

test-fast: setup
	$(PY) -m pytest -q -m "not slow and not browser and not spark"

bench: setup
	$(PY) benchmarks/bench_fairness.py
	$(PY) benchmarks/bench_explain.py
	$(PY) benchmarks/bench_privacy.py
	$(PY) benchmarks/bench_tasks.py --quick
	$(PY) benchmarks/bench_bootstrap.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
