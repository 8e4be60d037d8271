# Two environments (see README, "Environments"):
#   .venv       newest brian2 for Python 3.11 (2.9.0): the full test suite, studies, benchmarks
#   .venv-genn  brian2 2.5.4 + brian2genn 1.7 (GeNN's only interface): the device-compatibility subset
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
VENV_GENN := .venv-genn
# Lock files (every package with its version and hashes, Python 3.11 on x86-64 Linux), made by
# `make lock` from setup.cfg; the environments are installed from them (README, "Environments").
LOCK := requirements/venv.txt
LOCK_GENN := requirements/venv-genn.txt
EXTRAS := test,exact,sweep,reference,mnist,export
EXTRAS_GENN := test,genn,exact
UV_VERSION := 0.13.8
PIP_FLAGS := --quiet --disable-pip-version-check
# Both cores (pytest-xdist; tests/conftest.py groups the tests that share a study's quick run or
# a file's fixtures onto one worker) and the 25 slowest tests listed at the end of every run.
JOBS ?= 2
PYTEST_FLAGS ?= -q -rs -n $(JOBS) --dist loadgroup --durations=25 --durations-min=10
export PYTHONWARNINGS := ignore::DeprecationWarning

.PHONY: demo test lint test-full test-compat test-genn bench gpu-bundle figures readme-tables venv venv-genn venv-bindsnet lock clean

demo: venv
	$(VENV)/bin/neuromodels run cuba-coba

test: lint test-full test-compat

# ruff (config in pyproject.toml: pyflakes, pycodestyle, lines <= 100 characters)
lint: venv
	$(VENV)/bin/ruff check .

test-full: venv
	$(VENV)/bin/python -m pytest $(PYTEST_FLAGS) tests

test-compat: venv-genn
	$(VENV_GENN)/bin/python -m pytest $(PYTEST_FLAGS) -m compat tests

# GeNN tests only (they skip, with the reason, where GeNN is not installed; see README, "GeNN")
test-genn: venv-genn
	$(VENV_GENN)/bin/python -m pytest $(PYTEST_FLAGS) -k genn tests

# The bench extra (snnTorch, torch 2.13.0 CPU build) is not locked: torch's CPU wheel is a
# local file whose hash is not the index's for that version (the index's wheel pulls in the
# CUDA libraries). It goes on top of the locked environment with the lock's pins as
# constraints (without hashes, which pip would apply to every package), so no locked
# package changes.
# BindsNET 0.3.4 (bench_stdp's peer) in its own environment. It declares torch >= 2.14, whose
# only wheel on the registry is the CUDA build (2.7 GB with its nvidia wheels); it runs on
# torch 2.13.0's CPU build (installed without BindsNET's pins: pip warns of the conflict, the
# worker runs). torchvision's compiled operators do not load (it is linked against CUDA);
# BindsNET uses them only for its data sets, the worker skips their registration.
VENV_BINDSNET := .venv-bindsnet
BINDSNET_REQUIRES := 'numpy>=2,<3' 'scipy>=1,<2' 'matplotlib>=3,<4' 'pandas>=3,<4' 'tqdm>=4,<5' \
	'scikit-learn>=1,<2' 'scikit-image<1' 'tensorboardX>=2.6.4,<3' 'opencv-python>=4.14,<6' \
	'gymnasium>=1,<2' 'ale-py<1'
venv-bindsnet: $(VENV_BINDSNET)/.installed
$(VENV_BINDSNET)/.installed:
	rm -rf $(VENV_BINDSNET)
	$(PYTHON) -m venv $(VENV_BINDSNET)
	$(VENV_BINDSNET)/bin/pip install $(PIP_FLAGS) 'torch==2.13.0+cpu' 'torchvision==0.28.0'
	$(VENV_BINDSNET)/bin/pip install $(PIP_FLAGS) --no-deps bindsnet==0.3.4
	$(VENV_BINDSNET)/bin/pip install $(PIP_FLAGS) $(BINDSNET_REQUIRES)
	touch $@

bench: venv venv-bindsnet
	grep -E '^[A-Za-z0-9][^ ]*==' $(LOCK) | sed 's/ .*//' > $(VENV)/lock-constraints.txt
	$(VENV)/bin/pip install $(PIP_FLAGS) --no-build-isolation -c $(VENV)/lock-constraints.txt -e '.[bench]'
	$(VENV)/bin/python tests/benchmarks/bench_cuba.py
	$(VENV)/bin/python tests/benchmarks/bench_exact.py
	$(VENV)/bin/python tests/benchmarks/bench_ndl.py
	$(VENV)/bin/python tests/benchmarks/bench_learning.py
	$(VENV)/bin/python tests/benchmarks/bench_learning.py --memory
	$(VENV)/bin/python tests/benchmarks/bench_quick.py
	$(VENV)/bin/python tests/benchmarks/bench_sweep.py
	$(VENV)/bin/python tests/benchmarks/bench_stdp.py  # Brian2's example: $$BRIAN2_EXAMPLES, else skipped
	$(VENV)/bin/python tests/benchmarks/bench_stdp_accuracy.py  # vs BindsNET: ~15 min per seed
	@if [ -x $(VENV_GENN)/bin/python ]; then $(VENV_GENN)/bin/python tests/benchmarks/bench_cuba.py --devices genn; fi

# What the GPU benchmark needs on a GPU machine without network (README, "GPU"): wheels,
# brian2 2.5.4's sdist (and a cp312 wheel built from it where a Python 3.12 is found) and
# GeNN 4.9.0's sources, into the git-ignored .gpu-bundle/ (checked to stay under 64 MiB).
# GENN_SOURCE: a GeNN git checkout (tag 4.9.0) or an unpacked 4.9.0 release.
GENN_SOURCE ?= $(GENN_PATH)
gpu-bundle: venv
	$(VENV)/bin/python tests/benchmarks/gpu_bundle.py --genn-source "$(GENN_SOURCE)"

figures: venv
	$(VENV)/bin/neuromodels figures

# the README's results blocks, re-made from the files in data/ (tests/test_readme_results.py
# checks them)
readme-tables: venv
	$(VENV)/bin/neuromodels results --readme README.md && $(VENV)/bin/neuromodels validate --from data/validation.h5 --readme README.md

venv: $(VENV)/.installed
venv-genn: $(VENV_GENN)/.installed

# An environment is exactly its lock file: re-created when the lock changes, every package
# checked against its hash, then the package itself (editable, no dependencies of its own).
# The copy of the lock in the environment is what results files record (store.provenance).
$(VENV)/.installed: $(LOCK) setup.cfg setup.py pyproject.toml
	$(PYTHON) -m venv --clear $(VENV)
	$(VENV)/bin/pip install $(PIP_FLAGS) --require-hashes -r $(LOCK)
	$(VENV)/bin/pip install $(PIP_FLAGS) --no-deps --no-build-isolation -e .
	cp $(LOCK) $(VENV)/neuromodels-lock.txt
	touch $@

$(VENV_GENN)/.installed: $(LOCK_GENN) setup.cfg setup.py pyproject.toml
	$(PYTHON) -m venv --clear $(VENV_GENN)
	$(VENV_GENN)/bin/pip install $(PIP_FLAGS) --require-hashes -r $(LOCK_GENN)
	$(VENV_GENN)/bin/pip install $(PIP_FLAGS) --no-deps --no-build-isolation -e .
	cp $(LOCK_GENN) $(VENV_GENN)/neuromodels-lock.txt
	touch $@

# Re-make both lock files from setup.cfg with uv (kept in .venv-lock). Pins that still satisfy
# setup.cfg are kept; `make lock UPGRADE=1` moves every package to its newest allowed version.
UV_COMPILE = .venv-lock/bin/uv pip compile setup.cfg --generate-hashes --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 --quiet $(if $(UPGRADE),--upgrade)
lock:
	@test -x .venv-lock/bin/uv || { $(PYTHON) -m venv .venv-lock && \
		.venv-lock/bin/pip install $(PIP_FLAGS) uv==$(UV_VERSION); }
	$(UV_COMPILE) $(foreach e,$(subst $(comma), ,$(EXTRAS)),--extra $(e)) -o $(LOCK)
	$(UV_COMPILE) $(foreach e,$(subst $(comma), ,$(EXTRAS_GENN)),--extra $(e)) -o $(LOCK_GENN)

comma := ,

clean:
	rm -rf $(VENV) $(VENV_GENN) .venv-lock build *.egg-info
