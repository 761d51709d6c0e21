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
# HA=1: a primary, two replicas and three Sentinels instead; CLUSTER=1: a Redis Cluster of three
# primaries and three replicas (.run/cluster/), every process on redis-cluster://.
run: build
	@scripts/run.sh start

stop:
	@scripts/run.sh stop

# The whole suite, against redis-servers the tests start on free ports of their own.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) package describe --type json > .build/package-description.json
	$(SWIFT) test --skip-build --no-parallel

# Release build: the projector draining a pre-filled stream (1 and 2 processes, redis-benchmark beside
# them), then wrk on POST /orders beside GET /health/live, then the highly available topology
# (the price of BAEDAL_MIN_REPLICAS, failovers under load, the projector with replicas), then the
# console's weight, load time in headless Chromium and JSON routes on a big stream, then POST /orders
# while the API restarts (socket held vs not), then a burst drained by one worker vs the autoscaler, then the flow's lag at fixed offered loads,
# then what a whole order life and a placement cost Redis at 8 and 48 concurrent customers (BENCH_OLD_BIN=DIR: old beside new),
# then the same stack on one Redis with 1 and 16 partitions and on a three-primary cluster, then a token's verification per algorithm,
# then orders' deadlines (a backlog told by one worker, and how late each is told under a steady flow nobody answers),
# then the price of traces (orders/s, p99 and the projector's drain with tracing off, every trace exported, 1% of them),
# then the Lua scripts of an order's life replayed one call at a time on an idle Redis (BENCH_OLD_BIN + BENCH_OLD_REV: old beside new),
# then the whole stack on redis:// and on rediss:// of one server, alternated (orders/s, p99, Redis CPU per order, the drain).
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
	@scripts/bench-cost.sh
	@scripts/bench-cluster.sh
	@scripts/bench-tokens.sh
	@scripts/bench-deadlines.sh
	@scripts/bench-tracing.sh
	@scripts/bench-replay.sh
	@scripts/bench-tls.sh

# Release binaries to $(DESTDIR)$(PREFIX)/bin with their man pages (argument-parser's generate-manual
# plugin, dated by the last commit; the sed drops the hidden `help` subcommand it lists, and the
# SYNOPSIS's `subcommand` of a command that has none) and bash, zsh and fish completions under
# $(DESTDIR)$(PREFIX)/share,
# the systemd units (pointing there) to $(DESTDIR)$(UNITDIR), the environment example and Redis
# include to $(DESTDIR)/etc.
EXECUTABLES := baedal-api baedal-payment baedal-worker baedalctl baedal-autoscaler
MANUALS := .build/plugins/GenerateManual/outputs
SHARE = $(DESTDIR)$(PREFIX)/share
install: deps
	$(SWIFT) build -c release
	$(SWIFT) package plugin generate-manual --date $$(git log -1 --format=%cs 2>/dev/null || date -u +%F)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(UNITDIR) $(DESTDIR)/etc/baedal $(DESTDIR)/etc/redis $(SHARE)/man/man1 \
	  $(SHARE)/bash-completion/completions $(SHARE)/zsh/site-functions $(SHARE)/fish/vendor_completions.d
	for exe in $(EXECUTABLES); do \
	  install -m 755 .build/release/$$exe $(DESTDIR)$(PREFIX)/bin/$$exe && \
	  sed '/^\.It Em help$$/,/^\.El$$/d' $(MANUALS)/$$exe/$$exe.1 > $(SHARE)/man/man1/$$exe.1 && \
	  { grep -q '^\.It Em ' $(SHARE)/man/man1/$$exe.1 || sed -i '/^\.Ar subcommand$$/d' $(SHARE)/man/man1/$$exe.1; } && \
	  chmod 644 $(SHARE)/man/man1/$$exe.1 && \
	  .build/release/$$exe --generate-completion-script bash > $(SHARE)/bash-completion/completions/$$exe && \
	  .build/release/$$exe --generate-completion-script zsh > $(SHARE)/zsh/site-functions/_$$exe && \
	  .build/release/$$exe --generate-completion-script fish > $(SHARE)/fish/vendor_completions.d/$$exe.fish || exit 1; done
	for unit in ops/systemd/*; do [ -f $$unit ] || continue; \
	  sed 's|/usr/local/bin/|$(PREFIX)/bin/|g' $$unit > $(DESTDIR)$(UNITDIR)/$$(basename $$unit); \
	  chmod 644 $(DESTDIR)$(UNITDIR)/$$(basename $$unit); done
	# The drop-ins that take each daemon's Redis password as a credential: for deployments with ACL
	# users (docs/operations.md), copied beside the units by hand with the password files.
	for dropin in ops/systemd/*.d/*.conf; do d=$(SHARE)/baedal/systemd/$$(basename $$(dirname $$dropin)); install -d $$d && \
	  sed 's|/usr/local/bin/|$(PREFIX)/bin/|g' $$dropin > $$d/$$(basename $$dropin) && chmod 644 $$d/$$(basename $$dropin) || exit 1; done
	install -m 644 ops/baedal.env.example $(DESTDIR)/etc/baedal/baedal.env.example
	install -m 644 ops/redis/baedal.conf $(DESTDIR)/etc/redis/baedal.conf
	@echo "installed under $(DESTDIR)$(PREFIX) and $(DESTDIR)$(UNITDIR); next: cp /etc/baedal/baedal.env.example /etc/baedal/baedal.env, set BAEDAL_JWT_SECRET, systemctl daemon-reload && systemctl start baedal.target"

clean:
	$(SWIFT) package clean
