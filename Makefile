# tinygrad_la: the two commands a newcomer runs are `make demo` and `make test`.
# Everything installs into .venv; stamp files in .venv record which extras are in,
# and are redone whenever pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
OUT    ?= out

# Demo modules run in this order by `make demo`, each as `python -m MODULE --out $(OUT)`.
# `demos` runs them all in one process (chapter, regression, xor, sine, figures, digits, graphs)
# and lists the figures; `make demo DEMOS="demos.xor demos.sine"` runs just those.
DEMOS ?= demos

# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-k matmul -x"`.
PYTEST_ARGS ?=

.PHONY: all venv demos-venv bench-venv docs-venv graphviz browser test test-torch sdist-check typecheck demo docs bench soak fuzz fixtures clean

all: test

# --- virtual environment ------------------------------------------------------

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "tinygrad_la needs Python 3.10 or newer; $(PYTHON) is " + sys.version.split()[0] + ": run make PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }

# No PyTorch here: the tests that compare with it answer from recordings (tests/oracle.py).
$(VENV)/.stamp-dev: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# PyTorch as a live oracle, for make test-torch, make fixtures and make fuzz only: it is a large
# download wherever the local CPU wheel does not fit.
$(VENV)/.stamp-oracle: $(VENV)/.stamp-dev
	$(PY) -m pip install -q -e '.[oracle]'
	touch $@

$(VENV)/.stamp-demos: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[demos,viz]'
	touch $@

$(VENV)/.stamp-docs: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[docs,demos,viz]'
	touch $@

$(VENV)/.stamp-bench: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev,bench]'
	touch $@

venv: $(VENV)/.stamp-dev
demos-venv: $(VENV)/.stamp-demos
bench-venv: $(VENV)/.stamp-bench
docs-venv: $(VENV)/.stamp-docs

# --- system programs: graphviz's `dot` (tinygrad_la.viz) and a browser (viz.explain's page test) --
# Installed with apt-get when missing (.ci/system-package). If one is still missing, CI (CI=true)
# fails here; on a developer's machine it is only a warning and the tests that need it skip.

graphviz:
	@.ci/system-package dot graphviz "graph-drawing tests and figures are"

browser:
	@.ci/system-package chromium chromium "the browser test of viz.explain's page is"

# --- the commands ---------------------------------------------------------------

test: $(VENV)/.stamp-dev graphviz browser
	$(PY) -m pytest -q $(PYTEST_ARGS)

# The tests marked `torch` against PyTorch itself (installed first).
test-torch: $(VENV)/.stamp-oracle graphviz
	CI=true $(PY) -m pytest -q -m "torch and not soak and not fuzz" $(PYTEST_ARGS)

# The sdist, built and unpacked, passes its own tests (the unpacked package first on the path).
sdist-check: $(VENV)/.stamp-dev graphviz
	rm -rf $(OUT)/sdist && mkdir -p $(OUT)/sdist
	$(PY) -m build --sdist -o $(OUT)/sdist .
	tar -xzf $(OUT)/sdist/tinygrad_la-*.tar.gz -C $(OUT)/sdist
	cd $(OUT)/sdist/tinygrad_la-*/ && PYTHONPATH=. $(abspath $(PY)) -m pytest -q -p no:cacheprovider -x $(PYTEST_ARGS)

# The docs site in site/: the chapter's figures drawn into docs/figures by the demos, then
# mkdocs build --strict (a broken link, a missing page or a failing docstring reference is an error).
docs: $(VENV)/.stamp-docs graphviz
	@mkdir -p $(OUT)
	$(PY) -m demos --out docs/figures > $(OUT)/docs-figures.log 2>&1 || { cat $(OUT)/docs-figures.log; exit 1; }
	$(PY) -m mkdocs build --strict --site-dir site
	@echo "docs: open site/index.html"

# mypy --strict on the package and on a user's program (make test runs the same, in tests/test_typing.py).
typecheck: $(VENV)/.stamp-dev
	$(PY) -m mypy --strict tinygrad_la
	$(PY) -m mypy --strict tests/typing/user_program.py

demo: $(VENV)/.stamp-demos graphviz
	@mkdir -p $(OUT)
	@for m in $(DEMOS); do \
	  echo "== $$m"; \
	  $(PY) -m $$m --out $(OUT) || exit 1; \
	done

# Benchmarks (writes benchmarks/RESULTS.md and benchmarks/scaling.png); BENCH_ARGS="--quick" for a short run.
# The runner pins BLAS to one thread with threadpoolctl. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which
# some machines set for older OpenBLAS builds, slow a current NumPy: they are unset for this command
# alone (RESULTS.md says which kernel OpenBLAS then chose); the tests keep the machine's settings.
BENCH_ARGS ?=
bench: $(VENV)/.stamp-bench
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
	  BENCH_COMMAND="make bench$(if $(BENCH_ARGS), BENCH_ARGS='$(BENCH_ARGS)') (env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(strip $(PY) -m benchmarks $(BENCH_ARGS)))" \
	  $(PY) -m benchmarks $(BENCH_ARGS)

# pyproject's addopts deselect soak tests with -m 'not soak'; the -m here comes
# later on the command line, and pytest keeps the last -m.
soak: $(VENV)/.stamp-dev graphviz
	$(PY) -m pytest -q -m soak $(PYTEST_ARGS)

# The random differential tests with large budgets (against live PyTorch, and compile vs eager).
fuzz: $(VENV)/.stamp-oracle graphviz
	$(PY) -m pytest -q -m fuzz $(PYTEST_ARGS)

# PyTorch's recorded answers (tests/fixtures/): the differential programs, the teaching programs
# and the graphs' node names, which the suite compares against where PyTorch is not installed.
fixtures: $(VENV)/.stamp-oracle
	$(PY) tests/record_pytorch_programs.py
	$(PY) tests/record_teaching_programs.py
	$(PY) tests/record_pytorch_graphs.py
	@# the answers tests ask through the `pytorch` fixture (tests/oracle.py), from live PyTorch
	TINYGRAD_LA_RECORD=1 $(PY) -m pytest -q -m "torch and not soak and not fuzz" -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(OUT) site docs/figures .pytest_cache .hypothesis build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
