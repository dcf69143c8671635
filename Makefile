# course_lib — make demo | make test | make lab | make bench | make release
#
# Every target creates .venv when it is missing and installs torch first from TORCH_SPEC
# (default: the range in pyproject.toml), then the project with its dev extra.
# CI runs `make test TORCH_SPEC=torch==2.13.0` (a CPU wheel that installs in seconds).

PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
TORCH_SPEC  ?= $(shell sed -n 's/^ *"\(torch[^"]*\)",*$$/\1/p' pyproject.toml | head -n 1)
STAMP       := $(VENV)/.installed

.PHONY: demo test lab bench release verify lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m course_lib.demo
	$(PY) -m autograder demo

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

lab: $(STAMP)
	$(PY) -m autograder student-mode
	$(VENV)/bin/jupyter lab --notebook-dir=labs

bench: $(STAMP)
	$(PY) -m benchmarks

release: $(STAMP)
	$(PY) -m autograder release

verify: $(STAMP)
	$(PY) -m autograder verify

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) grading_work demo_out bench_out .pytest_cache .ruff_cache .hypothesis
