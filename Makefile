# Two environments (see README, "Environments"):
#   .venv       newest brian2 for Python 3.11 (2.9.0): the full test suite, studies, benchmarks
#   .venv-genn  brian2 2.5.4 + brian2genn 1.7 (GeNN's only interface): the device-compatibility subset
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
VENV_GENN := .venv-genn
PIP_FLAGS := --quiet --disable-pip-version-check
PYTEST_FLAGS ?= -q -rs
export PYTHONWARNINGS := ignore::DeprecationWarning

.PHONY: demo test test-full test-compat test-genn bench figures venv venv-genn clean

demo: venv
	$(VENV)/bin/neuromodels run cuba-coba

test: test-full test-compat

test-full: venv
	$(VENV)/bin/python -m pytest $(PYTEST_FLAGS) tests

test-compat: venv-genn
	$(VENV_GENN)/bin/python -m pytest $(PYTEST_FLAGS) -m compat tests

# GeNN tests only (they skip, with the reason, where GeNN is not installed; see README, "GeNN")
test-genn: venv-genn
	$(VENV_GENN)/bin/python -m pytest $(PYTEST_FLAGS) -k genn tests

bench: venv
	$(VENV)/bin/python tests/benchmarks/bench_cuba.py
	$(VENV)/bin/python tests/benchmarks/bench_exact.py
	$(VENV)/bin/python tests/benchmarks/bench_ndl.py
	@if [ -x $(VENV_GENN)/bin/python ]; then $(VENV_GENN)/bin/python tests/benchmarks/bench_cuba.py --devices genn; fi

figures: venv
	$(VENV)/bin/neuromodels figures

venv: $(VENV)/.installed
venv-genn: $(VENV_GENN)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_FLAGS) --upgrade pip
	$(VENV)/bin/pip install $(PIP_FLAGS) -e '.[test,exact,reference]'
	touch $@

$(VENV_GENN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV_GENN)
	$(VENV_GENN)/bin/pip install $(PIP_FLAGS) -e '.[test,genn,exact]'
	touch $@

clean:
	rm -rf $(VENV) $(VENV_GENN) build *.egg-info
