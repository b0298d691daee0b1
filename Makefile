# The two commands of the README, plus helpers. Each target sets up its own virtual
# environment on a fresh machine (Python 3.10+, a C compiler, make); nothing else is assumed.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.convkit-installed
SOURCES := pyproject.toml setup.py $(wildcard convkit/_kernels/*.pyx convkit/_kernels/src/*)
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: demo test test-fast test-debug test-asan bench bench-sweep lint docs clean

$(STAMP): $(SOURCES)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[widgets,classroom,test]"
	touch $(STAMP)

## make demo: the main job, the classroom app (Voila on 127.0.0.1; prints its URL)
demo: $(STAMP)
	$(PY) -m convkit.widgets.app

## make test: the whole test suite (derandomised hypothesis when CI is set): unit, Keras
## parity, widgets, doctests; then the notebooks and the real-browser tests (installs
## Debian's chromium when missing)
test: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS) tests convkit widgets README.md --ignore=tests/e2e
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash scripts/test_browser.sh

## make test-fast: the quick subset for the edit-test loop
test-fast: $(STAMP)
	$(PY) -m pytest -q -x -m "not slow" $(PYTEST_ARGS) tests convkit widgets README.md --ignore=tests/e2e

## make test-debug: rebuild the kernels with bounds checks (baseline ISA) and run the kernel
## tests on them; `make test` afterwards rebuilds the optimised kernels
test-debug: $(STAMP)
	$(PY) -m pip install --quiet "Cython>=3.0.10" "setuptools>=77"  # in-place builds need them
	CONVKIT_DEBUG_CYTHON=1 CONVKIT_ISA_VARIANTS=base $(PY) setup.py -q build_ext --inplace --force
	CONVKIT_ISA=base $(PY) -m pytest -q -m "not slow" $(PYTEST_ARGS) tests/test_ops_resample.py \
		tests/test_ops_resample_grad.py \
		$(wildcard tests/test_ops_conv*.py tests/test_ops_depthwise*.py tests/test_ops_pooling*.py)
	$(PY) setup.py -q build_ext --inplace --force
	touch $(STAMP)

## make test-asan: rebuild the kernels with AddressSanitizer and run the array-edge tests on
## every ISA copy this CPU runs (one byte read or written outside an array aborts the run);
## then rebuild the optimised kernels
ASAN_RUN = LD_PRELOAD="$$($(CC) -print-file-name=libasan.so)" ASAN_OPTIONS=detect_leaks=0
test-asan: $(STAMP)
	$(PY) -m pip install --quiet "Cython>=3.0.10" "setuptools>=77"  # in-place builds need them
	CONVKIT_KEEP_DEBUG_INFO=1 CFLAGS="-fsanitize=address -fno-omit-frame-pointer" LDFLAGS="-fsanitize=address" \
		$(PY) setup.py -q build_ext --inplace --force
	status=0; \
	for isa in $$($(ASAN_RUN) $(PY) -c "from convkit import _kernels as k; \
			print(*(v for v in k.built_variants() if k._cpu.supports(v)))"); do \
		echo "AddressSanitizer, $$isa kernels:"; \
		$(ASAN_RUN) CONVKIT_ISA=$$isa $(PY) -m pytest -q -p no:cacheprovider --capture=sys \
			tests/test_kernel_bounds.py || { status=1; break; }; \
	done; \
	$(PY) setup.py -q build_ext --inplace --force && exit $$status  # optimised again, pass or fail
	touch $(STAMP)

## make bench: the whole benchmark suite (forward, training, pooling) against PyTorch CPU and
## Keras on jax, each library alone in its own process, 5 alternating rounds (installs the CPU
## build of torch); pick with BENCH_ARGS, e.g. make bench BENCH_ARGS="--group training --rounds 3"
bench: $(STAMP)
	$(PY) -m pip install --quiet "torch==2.13.0" || echo "torch unavailable: benchmarking without it"
	$(PY) benchmarks/run.py --group all $(BENCH_ARGS)

## make bench-sweep: the shape sweep (benchmarks/sweep.py: 74 layers of ResNet, ResNeXt,
## MobileNetV2, EfficientNet, VGG, U-Net, DCGAN, WaveNet-style and C3D / 3-D U-Net at batch 1
## and a training batch, both data formats, a float64 subset) against PyTorch CPU, same
## protocol, 5 rounds of 9 calls (about 13 min on 2 cores); its table: benchmarks/report.py
bench-sweep: $(STAMP)
	$(PY) -m pip install --quiet "torch==2.13.0" || echo "torch unavailable: benchmarking without it"
	$(PY) benchmarks/run.py --group sweep --rounds 5 --calls 9 --no-keras --no-numpy \
		--json benchmarks/results/sweep.json $(BENCH_ARGS)

## make docs: the documentation site (Sphinx, furo theme) into build/docs/html, warnings as
## errors; installs the docs extra's tools on first use. Offline: no intersphinx, no remote
## assets. The package itself is already installed (editable) by $(STAMP).
DOCS_STAMP := $(VENV)/.convkit-docs-installed
$(DOCS_STAMP): $(STAMP)
	$(PY) docs/extra_requirements.py docs | $(PY) -m pip install --quiet -r /dev/stdin
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	$(PY) -m sphinx -W --keep-going -q -b html docs build/docs/html
	@echo "documentation: $(CURDIR)/build/docs/html/index.html"

lint: $(STAMP)
	$(VENV)/bin/ruff check convkit widgets tests benchmarks notebooks

clean:
	rm -rf build $(VENV) convkit/_kernels/avx512 convkit/_kernels/avx2 convkit/_kernels/base
	find convkit -name '*.so' -delete
