# The two commands: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
SWIFT ?= swift

.PHONY: all deps build run stop test bench install clean

PREFIX ?= /usr/local
DESTDIR ?=
UNITDIR ?= /etc/systemd/system

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
# them), then wrk on POST /orders beside GET /health/live, then the highly available topology
# (the price of BAEDAL_MIN_REPLICAS, failovers under load, the projector with replicas), then the
# console's weight, load time in headless Chromium and JSON routes on a big stream, then POST /orders
# while the API restarts (socket held vs not), then a burst drained by one worker vs the autoscaler, then the flow's lag at fixed offered loads.
bench:
	@scripts/install-deps.sh
	$(SWIFT) build -c release
	@scripts/bench.sh
	@scripts/bench-http.sh
	@scripts/bench-ha.sh
	@scripts/bench-console.sh
	@scripts/bench-restarts.sh
	@scripts/bench-autoscale.sh
	@scripts/bench-flow.sh

# Release binaries to $(DESTDIR)$(PREFIX)/bin, the systemd units (pointing there) to
# $(DESTDIR)$(UNITDIR), the environment example and Redis include to $(DESTDIR)/etc.
install: deps
	$(SWIFT) build -c release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(UNITDIR) $(DESTDIR)/etc/baedal $(DESTDIR)/etc/redis
	for exe in baedal-api baedal-payment baedal-worker baedalctl baedal-autoscaler; do \
	  install -m 755 .build/release/$$exe $(DESTDIR)$(PREFIX)/bin/$$exe; done
	for unit in ops/systemd/*; do \
	  sed 's|/usr/local/bin/|$(PREFIX)/bin/|g' $$unit > $(DESTDIR)$(UNITDIR)/$$(basename $$unit); \
	  chmod 644 $(DESTDIR)$(UNITDIR)/$$(basename $$unit); done
	install -m 644 ops/baedal.env.example $(DESTDIR)/etc/baedal/baedal.env.example
	install -m 644 ops/redis/baedal.conf $(DESTDIR)/etc/redis/baedal.conf
	@echo "installed under $(DESTDIR)$(PREFIX) and $(DESTDIR)$(UNITDIR); next: cp /etc/baedal/baedal.env.example /etc/baedal/baedal.env, set BAEDAL_JWT_SECRET, systemctl daemon-reload && systemctl start baedal.target"

clean:
	$(SWIFT) package clean
