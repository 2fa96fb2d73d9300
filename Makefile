# The README's two commands are `make demo` and `make test`; both run the set-up first.
.PHONY: bootstrap demo test lint typecheck unit integration reliability stack-down lock bench

VENV := .venv/bin

bootstrap:
	@deploy/local/bootstrap.sh

## The main job: the whole pipeline on a local stack of its own, a live view, the reconciliation report.
demo: bootstrap
	$(VENV)/supplystream demo

## Every test, lint (ruff, the import layers) and type check; TEST_WORKERS pytest-xdist workers (tests on
## the shared stack stay in one of them: tests/conftest.py).
TEST_WORKERS ?= 3
test: bootstrap lint typecheck
	$(VENV)/pytest -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder

lint: bootstrap
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/lint-imports

typecheck: bootstrap
	$(VENV)/mypy

unit: bootstrap
	$(VENV)/pytest -m "not integration"

integration: bootstrap
	$(VENV)/pytest -m integration

## The reliability suite alone (a demo-sized run with faults, then the reconciliation; ~6-9 min).
reliability: bootstrap
	$(VENV)/pytest -m reliability -s

stack-down: bootstrap
	$(VENV)/supplystream stack down

## Re-pin constraints.txt from what .venv holds now (after changing pyproject.toml).
lock:
	$(VENV)/python -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

## Every benchmark, one report: bench/RESULTS.md (needs the local stack; `make bench BENCH_ARGS=--quick`
## for reduced sizes).
BENCH_ARGS ?=
bench: bootstrap
	$(VENV)/supplystream stack up
	$(VENV)/python -m bench.run_all $(BENCH_ARGS)
