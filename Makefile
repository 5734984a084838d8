# The two commands a newcomer needs: `make dev` and `make test`. Both install what they
# need into .venv (and tests/node/node_modules for the test oracles) by themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := tests/node/node_modules/.installed
GRAPHIQL := router/graphiql
GRAPHIQL_STAMP := $(GRAPHIQL)/assets/.installed

.PHONY: dev test lint prereqs schema install compose check node graphiql bench bench-live bench-defer bench-soak bench-composition bench-planner supergraph-schema clean attack

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

$(NODE_STAMP): tests/node/package.json tests/node/package-lock.json
	cd tests/node && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# GraphiQL's browser bundles from the npm registry, served by the router itself (git-ignored;
# without them the router's GraphiQL page loads the same versions from a CDN).
$(GRAPHIQL_STAMP): $(GRAPHIQL)/package.json $(GRAPHIQL)/package-lock.json $(GRAPHIQL)/install-assets.sh
	$(GRAPHIQL)/install-assets.sh
	@touch $@

# `router` and `supergraph` land in .venv/bin: `source .venv/bin/activate` puts them on PATH.
install: $(STAMP) $(GRAPHIQL_STAMP)
	@echo "installed: router and supergraph are in $(VENV)/bin; run \`source $(VENV)/bin/activate\` to put them on PATH"

# The supergraph from the checked-in subgraph SDLs (without regenerating them from the code).
compose: $(STAMP)
	$(VENV)/bin/supergraph compose --config supergraph/supergraph.yaml --output schema/supergraph.graphql

# Schema check of the working tree against the last commit, with the shop's client operations.
CHECK_BASELINE ?= git:HEAD:schema/supergraph.graphql
check: $(STAMP)
	$(VENV)/bin/supergraph check --baseline $(CHECK_BASELINE) --schema schema/supergraph.graphql \
	  --operations 'schema/operations/**/*.graphql' --ack schema/acknowledged-breaking-changes.txt

graphiql: $(GRAPHIQL_STAMP)

node: $(NODE_STAMP)

dev: $(STAMP) $(GRAPHIQL_STAMP)
	$(PY) -m devstack.dev

# What the machine must have for the tests (installed when root + apt-get can, else named).
prereqs:
	@PYTHON=$(PYTHON) devstack/prereqs.sh

# ruff and mypy --strict (settings in pyproject.toml); the first step of `make test`, seconds long.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: prereqs $(STAMP) lint $(NODE_STAMP) $(GRAPHIQL_STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# Subgraph SDLs from the code, then the supergraph composed from them (CI checks both).
schema: $(STAMP)
	$(PY) -m devstack.schema
	$(PY) -m supergraph compose --config supergraph/supergraph.yaml --output schema/supergraph.graphql
	$(PY) -m devstack.deploy

supergraph-schema: schema

# Live benchmark: 1,000 and 10,000 subscribers to one order stream over WebSocket and SSE, our
# router beside Hive Gateway on the same subgraphs and events: mutation-to-delivery p50/p99,
# RSS per open subscription, CPU per delivered event (bench/live/run.py; BENCH_ARGS=--help).
bench-live: $(STAMP)
	cd bench && (test -d node_modules/@graphql-hive/gateway || npm ci --no-audit --no-fund --loglevel=error)
	ulimit -n $$(ulimit -Hn); $(PY) -m bench.live.run $(BENCH_ARGS)

# Composition benchmark: a generated 50-subgraph, 2,000-type federation, ours beside @apollo/composition.
bench-composition: $(STAMP) $(NODE_STAMP)
	$(PY) -m bench.composition.run $(BENCH_ARGS)

# Planner benchmark: cold planning time (p50/p99) for the bench query, the router corpus, the
# federation corpus and a generated 50-subgraph, 2,000-type supergraph; query-graph build
# time and memory; beside Hive Router's Rust planner (npm addon) in the same run.
# @defer: time to the first payload against the whole answer, one slow subgraph (small, seconds).
bench-defer: $(STAMP) $(NODE_STAMP)
	$(PY) -m bench.defer $(BENCH_ARGS)

bench-planner: $(STAMP)
	cd bench && (test -d node_modules/@graphql-hive/router-query-planner || npm ci --no-audit --no-fund --loglevel=error)
	$(PY) -m bench.planner.run $(BENCH_ARGS)

# Side-by-side gateway benchmark (see bench/README.md): our router vs Apollo Gateway, Hive
# Gateway (with and without the Rust planner) and Grafbase's Rust engine, same supergraph and
# subgraphs, wrk, UNIQUE=1, for each operation shape in OPERATIONS (bench = BenchQuery).
# Override e.g. GATEWAYS='router router-2w apollo-gateway' OPERATIONS=bench ROUNDS=2 WARMUP=15 DURATION=20.
GATEWAYS ?= router apollo-gateway hive-gateway hive-gateway-rr grafbase-dev
OPERATIONS ?= bench one-fetch sequential catalog
bench: $(STAMP)
	cd bench && (test -d node_modules/@graphql-hive/gateway || npm ci --no-audit --no-fund --loglevel=error)
	RUN=$(CURDIR)/bench/results/$$(date +%Y%m%d-%H%M%S); \
	for op in $(OPERATIONS); do \
	  OUT=$$RUN/$$op OPERATION=$$op WARMUP=$${WARMUP:-10} DURATION=$${DURATION:-15} \
	  UNIQUE=$${UNIQUE:-1} BASELINE=$${BASELINE:-apollo-gateway} bench/run.sh $(GATEWAYS) || exit 1; \
	done; \
	for op in $(OPERATIONS); do echo; echo "## $$op"; python3 bench/ratios.py "$$RUN/$$op"; done

# Memory under load: the router under the bench load for SOAK_ARGS (default 10 minutes), RSS
# every 30 s and its slope (bench/soak.py; a benchmark, not a test). SOAK_DISTINCT=N cycles
# through N generated operations instead (more than the plan and document caches hold).
SOAK_DISTINCT ?= 0
bench-soak: $(STAMP)
	cd bench && (test -d node_modules/@apollo/subgraph || npm ci --no-audit --no-fund --loglevel=error)
	$(PY) -m bench.soak --distinct $(SOAK_DISTINCT) $(SOAK_ARGS)

# The hostile traffic replayed against a fresh shop (bounded: about a minute), then a
# table: attack, result, status counts, router RSS before/after; exit 1 when one got through.
attack: $(STAMP)
	$(PY) -m tests.attack.run

clean:
	rm -rf $(VENV) tests/node/node_modules .pytest_cache $(GRAPHIQL)/node_modules $(GRAPHIQL)/assets
