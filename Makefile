# dae-edge: plain venv + pip. `make demo` and `make test` work on a fresh machine with
# Python 3.11 and make; everything else is installed into .venv from constraints.txt.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check --quiet
# pip compiles every installed module to bytecode one file at a time (half of a 72 s install); compileall
# does it on every core. Its exit status is ignored as pip's is: some packages ship files that are not
# Python 3 (templates, test data), which neither imports.
COMPILE = -m compileall -q -j 0
STAMP  := $(VENV)/.installed
PIP_VERSION := 26.3
# Test workers (pytest-xdist): one per core, at most 4 (each full-suite worker loads TensorFlow).
JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; echo $$n)
# xdist's default (load) scheduling hands the tests out in collection order as workers free up, and the
# slow tests are collected first (tests/conftest.py), so the run ends on quick ones. (worksteal splits the
# list in halves up front: one worker got every slow test, and the run ended on a minute-long one.)
PARALLEL := -n $(JOBS)

.PHONY: install demo test test-all test-full-install test-runtime-only test-old-python pi-check lint model ship bench arm-cost peers \
    constraints clean model-unet model-blind model-lowres model-lowres2

install: $(STAMP)

$(STAMP): constraints.txt pyproject.toml runtime/pyproject.toml train/pyproject.toml export/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install "pip==$(PIP_VERSION)"
	$(PIP) install --no-compile -c constraints.txt -e ./runtime -e ./train -e ./export --group dev
	$(PIP) install --no-compile -c constraints.txt --no-deps --group peers
	@$(BIN)/python $(COMPILE) $(VENV)/lib >/dev/null 2>&1 || true
	@touch $@
	@echo "Installed dae-edge into $(VENV); the command line is $(BIN)/dae"

demo: install
	$(BIN)/dae demo

# Lint first (seconds), then the full suite in .venv, then the runtime tests where only the runtime is
# installed, under the oldest Python a Pi has.
test:
	@# the two venvs at once (pip unpacks on one core), then lint, the suite in the full install, the runtime alone
	$(MAKE) --no-print-directory -j 2 install $(RT_STAMP)
	$(MAKE) --no-print-directory lint test-full-install test-runtime-only

# Every test, in the full install.
test-all: install
	$(BIN)/python -m pytest $(PARALLEL)

# What `make test` runs in the full install: every test but those test-runtime-only runs (marked runtime_suite:
# tests/runtime and the runtime-only fault tests), apart from the slow one and the one that needs the builtin
# digits, so that each test runs once, the runtime's where a Pi would run them (issue 27: 557 tests ran twice).
test-full-install: install
	$(BIN)/python -m pytest $(PARALLEL) -m 'not runtime_suite or slow or full_install'

# The runtime alone, as a Raspberry Pi gets it: a regular install of ./runtime (no TensorFlow, no train or
# export) under Debian's own python3.11, 3.11.2, Raspberry Pi OS bookworm's, older than tarfile's extraction
# filters (3.11.4), so code that needs a newer patch release or a package the runtime does not declare fails
# here and not on a Pi (apt-get install python3.11-venv). One venv proves both: a second runtime-only run
# under the newest 3.11 added nothing but minutes (issue 27). test-old-python is the same target.
OLD_PYTHON ?= /usr/bin/python3.11
RT_VENV := .venv-py3112
RT_STAMP := $(RT_VENV)/.installed

$(RT_STAMP): constraints.txt pyproject.toml runtime/pyproject.toml
	@test -x $(OLD_PYTHON) || { echo "no $(OLD_PYTHON): apt-get install python3.11-venv (Debian 12's Python 3.11.2)"; exit 2; }
	@$(OLD_PYTHON) -c 'import sys; sys.exit(sys.version_info[:3] >= (3, 11, 4))' \
		|| { echo "$(OLD_PYTHON) is newer than 3.11.3; set OLD_PYTHON to a Python 3.11.0-3.11.3"; exit 2; }
	@test -x $(RT_VENV)/bin/python || $(OLD_PYTHON) -m venv $(RT_VENV)
	$(RT_VENV)/bin/python -m pip --disable-pip-version-check --quiet install "pip==$(PIP_VERSION)"
	$(RT_VENV)/bin/python -m pip --disable-pip-version-check --quiet install --no-compile -c constraints.txt ./runtime \
		--group test
	@$(RT_VENV)/bin/python $(COMPILE) $(RT_VENV)/lib >/dev/null 2>&1 || true
	@touch $@

# The fault suite's runtime-only parts (hostile files, archives and manifests, odd names and sizes, killed
# recordings): each file is marked runtime_suite too (the others import train or export).
RUNTIME_FAULTS := $(addprefix tests/faults/,test_hostile_files.py test_hostile_archives.py test_hostile_manifests.py \
	test_odd_names.py test_odd_sizes.py test_live_kill.py)

test-runtime-only test-old-python: $(RT_STAMP)
	@# a regular (not editable) install, as a device gets it: refresh it from the current source
	$(RT_VENV)/bin/python -m pip --disable-pip-version-check --quiet install --no-deps --force-reinstall ./runtime
	@for m in tensorflow keras tf2onnx dae_train dae_export; do \
		! $(RT_VENV)/bin/python -c "import $$m" 2>/dev/null || { echo "$$m leaked into the runtime-only venv"; exit 1; }; \
	done
	@# The tests marked runtime_suite: all of tests/runtime (tests/conftest.py marks them) and the fault suite's
	@# runtime-only parts, but the slow one (a 20000x20000 image, about a minute), which test-full-install runs.
	$(RT_VENV)/bin/python -m pytest -q -p no:cacheprovider $(PARALLEL) -m 'runtime_suite and not slow' tests/runtime $(RUNTIME_FAULTS)

# The Pi bundle on an emulated Raspberry Pi OS 64-bit (arm64 bookworm root, qemu-user; as root, not in
# `make test`): see benchmarks/pi/pi_check.py. Report: benchmarks/results/pi_check.json.
pi-check: install
	$(BIN)/python benchmarks/pi/pi_check.py

lint: install
	$(BIN)/ruff check runtime train export tests benchmarks
	$(BIN)/ruff format --check runtime train export tests benchmarks
	$(BIN)/mypy

# The recipe of the model the project ships (models/seed): builtin digits, about 10 minutes on 2 cores;
# then its export, and a copy of the fp32 and int8 ONNX models into the runtime package.
model: install
	$(BIN)/dae train --data builtin --out models/seed --overwrite
	$(MAKE) ship

ship: install
	$(BIN)/dae export --model models/seed/model.keras --out models/seed/export --int8 --tflite --target rpi
	$(BIN)/python -m dae_export.ship models/seed/export runtime/src/dae_runtime/models/seed

# Zoo recipes (issue 14; benchmarks/README.md "Model zoo"): train and export into models/<name>/.
# Shorter than the seed's 150 epochs so each stays within about 30 minutes on 2 cores.
model-unet: install
	$(BIN)/dae train --data builtin --arch unet --epochs 40 --out models/unet --overwrite
	$(BIN)/dae export --model models/unet/model.keras --out models/unet/export --int8 --tflite --target rpi

# The zoo's quality model at 2x the seed's cost: 240 epochs, about 25 minutes on 2 cores.
model-lowres: install
	$(BIN)/dae train --data builtin --arch lowres-unet --epochs 240 --out models/lowres-unet --overwrite
	$(BIN)/dae export --model models/lowres-unet/model.keras --out models/lowres-unet/export --int8 --tflite \
		--target rpi
	$(BIN)/python -m dae_export.ship models/lowres-unet/export runtime/src/dae_runtime/models/lowres-unet

# lowres-unet with one more conv at 14x14, trained with BatchNormalization (folded into the saved convs): the zoo's 21 dB model, 240 epochs.
model-lowres2: install
	$(BIN)/dae train --data builtin --arch lowres-unet2 --batchnorm --epochs 240 --out models/lowres-unet2 --overwrite
	$(BIN)/dae export --model models/lowres-unet2/model.keras --out models/lowres-unet2/export --int8 --tflite \
		--target rpi
	$(BIN)/python -m dae_export.ship models/lowres-unet2/export runtime/src/dae_runtime/models/lowres-unet2

model-blind: install
	$(BIN)/dae train --data builtin --arch seed-skip --noise 0.1:0.7 --epochs 50 --out models/seed-skip-blind --overwrite
	$(BIN)/dae export --model models/seed-skip-blind/model.keras --out models/seed-skip-blind/export --int8 --tflite \
		--target rpi
	$(BIN)/python -m dae_export.ship models/seed-skip-blind/export runtime/src/dae_runtime/models/seed-skip-blind

# Benchmarks (not tests): a short fresh training on the builtin digits, its export, every engine side
# by side, the runtime's footprint and live FPS, then the gate on ratios. Results: benchmarks/results/.
BENCH := runs/bench
RESULTS := benchmarks/results
bench: install
	$(BIN)/dae train --data builtin --epochs 10 --batch-size 64 --out $(BENCH)/train --overwrite
	$(BIN)/dae export --model $(BENCH)/train/model.keras --out $(BENCH)/export --int8 --tflite
	$(BIN)/dae compare --keras $(BENCH)/train/model.keras --models $(BENCH)/export --batch 1,64,256 \
		--json $(RESULTS)/compare.json --markdown $(RESULTS)/compare.md --plot $(RESULTS)/compare.png \
		--github-benchmark $(RESULTS)/github-benchmark.json
	$(BIN)/python benchmarks/footprint.py
	$(BIN)/python benchmarks/live_fps.py
	$(BIN)/python benchmarks/live_serve.py
	$(BIN)/python benchmarks/digit_finder.py
	$(BIN)/python benchmarks/gate.py $(RESULTS)/compare.json

# A benchmark, not a test (as root): instructions per inference of the Pi bundle the current code writes, its
# LiteRT peers and the engines a Pi user would pick instead (ncnn, MNN), on emulated Cortex-A72 (Pi 4) and
# Cortex-A76 (Pi 5), counted by a QEMU TCG plugin: first a fresh export of the shipped seed with every peer into
# runs/arm-cost (models/seed/export stays as shipped). The first run builds QEMU 7.2 with plugins into
# /var/cache/dae-edge (minutes) and shares make pi-check's arm64 root. Then the live loop (issue 24): instructions
# per frame of the real `dae live` session (serve with one viewer, and out) by stage, seed and lowres-unet2.
ARM_COST_EXPORT := runs/arm-cost
arm-cost: install
	$(BIN)/dae export --model models/seed/model.keras --out $(ARM_COST_EXPORT) --int8 --tflite --ncnn --mnn \
		--target rpi -q
	$(PYTHON) benchmarks/arm_cost/run.py --models $(ARM_COST_EXPORT)
	$(BIN)/python benchmarks/arm_cost/live_loop.py

# ncnn int8 by ncnn's own C++ tools (KL divergence) instead of the export's PyPI-only min-max one (issue 26):
# ncnn2table and ncnn2int8, built from ncnn's source (not on PyPI or in Debian 12), passed as NCNN_TOOLS=DIR.
# Writes runs/peers/model.int8.ncnn.param/.bin; count them with run.py --peers runs/peers. benchmarks/README.md.
peers: install
	$(BIN)/python benchmarks/peers/convert.py --out runs/peers --ncnn-tools $(NCNN_TOOLS)

# Re-pin constraints.txt to what .venv holds now (after deliberately upgrading something).
constraints: install
	(echo "# Exact versions tested together (Python 3.11, x86_64). Regenerate: make constraints"; \
	 $(BIN)/python -m pip freeze --exclude-editable --all | grep -v -E "^(dae-edge|wheel)") > constraints.txt

clean:
	rm -rf $(VENV) $(RT_VENV) .venv-runtime .pytest_cache
