# The two commands: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
SWIFT ?= swift

.PHONY: all deps build run stop test bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

# Starts a local Redis (data under .run/) and every worker in the background; `make stop` ends them.
run: build
	@scripts/run.sh start

stop:
	@scripts/run.sh stop

# The whole suite, against redis-servers the tests start on free ports of their own.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel

# Release build: the projector draining a pre-filled stream (1 and 2 processes, redis-benchmark beside
# them), then wrk on POST /orders beside GET /health/live.
bench:
	@scripts/install-deps.sh
	$(SWIFT) build -c release
	@scripts/bench.sh
	@scripts/bench-http.sh

clean:
	$(SWIFT) package clean
