# vipseg: the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
AS_OF ?= $(shell date -u +%F)
SAMPLE ?= data/sample
CUSTOMERS ?= 20000
VIPSEG := $(or $(CARGO_TARGET_DIR),target)/debug/vipseg

.PHONY: run test build bench fmt clippy

build:
	$(CARGO) build --bin vipseg

## make run: generate a sample dataset (if missing) and run the whole pipeline locally.
run: build
	@if [ ! -d $(SAMPLE)/orders ]; then \
		echo "generating $(CUSTOMERS) sample customers into $(SAMPLE) (history up to $(AS_OF))" >&2; \
		$(VIPSEG) generate --customers $(CUSTOMERS) --seed 42 --out $(SAMPLE) --end $(AS_OF) --bad-rows 0.001 > /dev/null; \
	fi
	@$(VIPSEG) run --config vipseg.toml --as-of $(AS_OF) > out-run-results.json; status=$$?; \
	echo "run results: out-run-results.json (exit $$status)"; \
	echo "outputs:     out/<table>/as_of=$(AS_OF)/  (latest commit: out/_vipseg/commits/as_of=$(AS_OF)/)"; \
	exit $$status

## make test: the whole suite (installs the test servers it needs first).
test:
	./scripts/test-setup
	$(CARGO) test --test it -- --test-threads 2

fmt:
	$(CARGO) fmt

clippy:
	$(CARGO) clippy --all-targets -- -D warnings

## make bench: vipseg (release) against DuckDB on the same SQL, the floor query and lifetimes, on two
## datasets (DATASETS="vipseg other") at SIZES="100000 1000000" customers; writes bench/results.{md,json}.
## Knobs (SKIP_BUILD=1, VIPSEG, AS_OF, MEMORY_LIMIT_SIZES, ...): bench/README.md. Not part of make test.
## VIPSEG above is the debug binary: the bench passes on a VIPSEG given on make's command line only.
bench:
	VIPSEG="$(if $(filter command line,$(origin VIPSEG)),$(VIPSEG))" ./bench/run
