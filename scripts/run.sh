#!/usr/bin/env bash
# `make run` / `make stop`: a local Redis with its data under .run/, the payment gateway stand-in,
# the API, one fixed instance of every policy but those in AUTOSCALED, and baedal-autoscaler
# (process launcher) running 1 to 4 instances of each of those, in the background. Pids and logs
# live in .run/. `scripts/run.sh plan` prints how each policy is started.
# HA=1: instead of one Redis, a primary and two replicas (ports REDIS_PORT, +1, +2) and three
# Sentinels (SENTINEL_PORT, +1, +2; quorum 2, failover after 1 s), every process on
# redis-sentinel://; their data and configurations (which Redis and Sentinel rewrite) in .run/ha/.
# CLUSTER=1: instead of one Redis, a Redis Cluster of three primaries and three replicas (ports
# REDIS_PORT … +5, cluster bus ports +10000, ops/redis/baedal-cluster.conf), created on the first
# start and reused afterwards, every process on redis-cluster://; data and nodes.conf in .run/cluster/.
# ACL=1 (one Redis only): loads `baedalctl acl`'s users (ops/redis/users.acl, placeholder passwords)
# with ACL SETUSER and runs every process under its own user (redis://baedal-api:…@…); every policy
# is then a fixed worker and baedal-autoscaler is not started, since the instances it starts would
# run under its own user. The default user stays, for redis-cli and the commands printed.
# TLS=1 (one Redis only): Redis listens on TLS alone (tls-port REDIS_PORT, port 0, client
# certificates required) with a CA, a server and a client certificate made once with openssl in
# .run/tls/; every process on rediss:// with BAEDAL_REDIS_TLS_CA/CERT/KEY, redis-cli with --tls.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN="$PWD/.run"
PORT="${REDIS_PORT:-6379}"
HA="${HA:-0}"
CLUSTER="${CLUSTER:-0}"
ACL="${ACL:-0}"
TLS="${TLS:-0}"
TLS_DIR="$RUN/tls"
CLUSTER_NODES=6
SENTINEL_PORT="${SENTINEL_PORT:-26379}"
BIN="${BIN:-$PWD/.build/debug}"
POLICIES=(store-inbox payment-refund delivery-dispatch notification projector)
if [ "$HA" = 1 ] && [ "$CLUSTER" = 1 ]; then
  echo "HA=1 and CLUSTER=1 are two different topologies (Sentinel, or a Redis Cluster, which fails over by itself): choose one" >&2
  exit 2
fi
if [ "$CLUSTER" = 1 ] && [ $((PORT + CLUSTER_NODES - 1 + 10000)) -gt 65535 ]; then
  echo "REDIS_PORT=$PORT: a cluster node's bus port is its port + 10000, so the six nodes need REDIS_PORT <= $((65535 - 10000 - CLUSTER_NODES + 1))" >&2
  exit 2
fi
if [ "$ACL" = 1 ] && { [ "$HA" = 1 ] || [ "$CLUSTER" = 1 ]; }; then
  echo "ACL=1 runs on one Redis only for now (the users would have to be loaded on every node and Sentinel)" >&2
  exit 2
fi
if [ "$TLS" = 1 ] && { [ "$HA" = 1 ] || [ "$CLUSTER" = 1 ]; }; then
  echo "TLS=1 runs on one Redis only for now (the Sentinels' and the cluster bus's TLS are not set up here)" >&2
  exit 2
fi
SCHEME=redis
REDIS_CLI_TLS=()
if [ "$TLS" = 1 ]; then
  SCHEME=rediss
  # Always .run/tls's: the Redis make run starts trusts that CA and presents that certificate.
  export BAEDAL_REDIS_TLS_CA="$TLS_DIR/ca.crt" BAEDAL_REDIS_TLS_CERT="$TLS_DIR/client.crt" BAEDAL_REDIS_TLS_KEY="$TLS_DIR/client.key"
  REDIS_CLI_TLS=(--tls --cacert "$BAEDAL_REDIS_TLS_CA" --cert "$BAEDAL_REDIS_TLS_CERT" --key "$BAEDAL_REDIS_TLS_KEY")
fi
# rcli ARGS...: redis-cli to the single Redis, over TLS with TLS=1.
rcli() { timeout 5 redis-cli "${REDIS_CLI_TLS[@]}" "$@"; }
# answers PORT: whether the Redis there answers PING within a second (in this run's mode).
answers() { timeout 1 redis-cli "${REDIS_CLI_TLS[@]}" -p "$1" ping >/dev/null 2>&1; }
# The redis-cli line people are shown (with TLS=1 its flags).
RCLI_HINT="redis-cli${REDIS_CLI_TLS[*]:+ ${REDIS_CLI_TLS[*]}}"
cluster_ports() { local offset; for offset in $(seq 0 $((CLUSTER_NODES - 1))); do echo $((PORT + offset)); done; }
if [ "$CLUSTER" = 1 ]; then
  export BAEDAL_REDIS_URL="${BAEDAL_REDIS_URL:-redis-cluster://$(cluster_ports | sed 's/^/127.0.0.1:/' | paste -sd, -)}"
elif [ "$HA" = 1 ]; then
  export BAEDAL_REDIS_URL="${BAEDAL_REDIS_URL:-redis-sentinel://127.0.0.1:$SENTINEL_PORT,127.0.0.1:$((SENTINEL_PORT + 1)),127.0.0.1:$((SENTINEL_PORT + 2))/baedal}"
else
  export BAEDAL_REDIS_URL="${BAEDAL_REDIS_URL:-$SCHEME://127.0.0.1:$PORT}"
fi
# Sized to their lag by baedal-autoscaler (MIN:MAX below) instead of one fixed worker each.
AUTOSCALED=(notification projector)
if [ "$ACL" = 1 ]; then AUTOSCALED=(); fi
BOUNDS="1:4"
export BAEDAL_PREFIX="${BAEDAL_PREFIX:-baedal}"
# The logs in .run/ are for people: text (the units and log pipelines use json).
export BAEDAL_LOG_FORMAT="${BAEDAL_LOG_FORMAT:-text}"
export BAEDAL_API_PORT="${BAEDAL_API_PORT:-8080}"
export BAEDAL_PAYMENT_PORT="${BAEDAL_PAYMENT_PORT:-8081}"
export BAEDAL_PAYMENT_URL="${BAEDAL_PAYMENT_URL:-http://127.0.0.1:$BAEDAL_PAYMENT_PORT}"
AUTOSCALER_PORT="${BAEDAL_AUTOSCALER_PORT:-8082}"
DEV_SECRET=0
if [ -z "${BAEDAL_JWT_SECRET:-}" ]; then
  export BAEDAL_JWT_SECRET="baedal-development-secret-not-for-production"
  DEV_SECRET=1
fi

# The partition count the deployment recorded (BAEDAL_PARTITIONS, or its default on a cluster).
partitions() { rcli -c -p "$PORT" get "$BAEDAL_PREFIX:partitions" 2>/dev/null || true; }

# The line that shows the order stream as a log: one partition's on a cluster.
xrange_hint() {
  if [ "$CLUSTER" = 1 ]; then echo "redis-cli -c -p $PORT XRANGE '$BAEDAL_PREFIX:{0}:events:order' - +   # partition 0's; {1} … for the others"
  else echo "$RCLI_HINT -p $PORT XRANGE $BAEDAL_PREFIX:events:order - +"; fi
}

# The demo stores (into the shared catalogue: its {catalog} slot on a cluster).
seed() { "$BIN/baedalctl" seed | sed 's/^/seed                   /'; }

data_directory() {
  if [ "$CLUSTER" = 1 ]; then echo .run/cluster; elif [ "$HA" = 1 ]; then echo .run/ha; else echo .run/redis; fi
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# ACL=1: every user of `baedalctl acl` into the running Redis (ACL SETUSER as the default user).
load_users() {
  "$BIN/baedalctl" acl --prefix "$BAEDAL_PREFIX" >"$RUN/users.acl"
  local words
  while read -r -a words; do
    rcli -p "$PORT" ACL SETUSER "${words[@]:1}" >/dev/null
  done <"$RUN/users.acl"
  echo "acl                    $(grep -c '^user ' "$RUN/users.acl") users loaded (.run/users.acl); every process runs under its own"
}

# as_user USER COMMAND...: runs it with BAEDAL_REDIS_URL naming USER and its password (ACL=1), or as it is.
as_user() {
  local user=$1; shift
  if [ "$ACL" != 1 ]; then "$@"; return; fi
  local password
  password=$(grep "^user $user " "$RUN/users.acl" | tr ' ' '\n' | sed -n 's/^>//p')
  BAEDAL_REDIS_URL="$SCHEME://$user:$password@127.0.0.1:$PORT" "$@"
}

autoscaled() { local policy; for policy in "${AUTOSCALED[@]}"; do [ "$policy" = "$1" ] && return 0; done; return 1; }

# One line per policy: "NAME fixed" or "NAME autoscaled MIN:MAX".
plan() {
  local policy
  for policy in "${POLICIES[@]}"; do
    if autoscaled "$policy"; then echo "$policy autoscaled $BOUNDS"; else echo "$policy fixed"; fi
  done
}

# daemon NAME COMMAND...: starts it unless its pid file names a live process.
daemon() {
  local name=$1; shift
  local pidfile="$RUN/$name.pid"
  if alive "$pidfile"; then
    printf '%-22s already running (pid %s)\n' "$name" "$(cat "$pidfile")"
    return
  fi
  nohup "$@" >>"$RUN/$name.log" 2>&1 &
  echo $! >"$pidfile"
  printf '%-22s started (pid %s), log .run/%s.log\n' "$name" "$!" "$name"
}

wait_ready() {
  for _ in $(seq 100); do curl -fs "$1/health/ready" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "$2 did not become ready; see .run/$2.log" >&2
  return 1
}

# The highly available topology: nodes first (replicas online), then the Sentinels.
start_ha() {
  local ha="$RUN/ha" node port
  mkdir -p "$ha"
  # The Sentinels keep what they learnt in their configurations: they belong to one set of ports.
  if [ -f "$ha/ports" ] && [ "$(cat "$ha/ports")" != "$PORT $SENTINEL_PORT" ]; then
    echo "$ha was made for REDIS_PORT SENTINEL_PORT = $(cat "$ha/ports"), not $PORT $SENTINEL_PORT:" \
      "run with those, or make stop and remove $ha to start afresh" >&2
    exit 1
  fi
  echo "$PORT $SENTINEL_PORT" >"$ha/ports"
  for offset in 0 1 2; do
    port=$((PORT + offset)); node="$ha/node-$port"
    mkdir -p "$node"
    # Written once: afterwards Sentinel keeps each node's role in it (CONFIG REWRITE on failover).
    if [ ! -f "$node.conf" ]; then
      { echo "include $PWD/ops/redis/baedal.conf"; echo "include $PWD/ops/redis/baedal-ha.conf"
        echo "port $port"; echo "bind 127.0.0.1"; echo "dir $node"; echo "supervised no"
        [ "$offset" != 0 ] && echo "replicaof 127.0.0.1 $PORT"; } >"$node.conf"
    fi
    if alive "$node.pid"; then
      printf '%-22s already running (pid %s) on 127.0.0.1:%s\n' "redis-$port" "$(cat "$node.pid")" "$port"
    else
      redis-server "$node.conf" --daemonize yes --pidfile "$node.pid" --logfile "$node.log"
      for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
      printf '%-22s started on 127.0.0.1:%s (%s), data in .run/ha/node-%s\n' "redis-$port" "$port" \
        "$(redis-cli -p "$port" role 2>/dev/null | head -1)" "$port"
    fi
  done
  for _ in $(seq 100); do
    [ "$(redis-cli -p "$PORT" info replication 2>/dev/null | grep -c 'state=online')" -ge 2 ] && break
    local primary; primary=$(redis-cli -p "$SENTINEL_PORT" sentinel get-master-addr-by-name baedal 2>/dev/null | tail -1)
    [ -n "$primary" ] && [ "$(redis-cli -p "$primary" info replication 2>/dev/null | grep -c 'state=online')" -ge 2 ] && break
    sleep 0.1
  done
  for offset in 0 1 2; do
    port=$((SENTINEL_PORT + offset)); node="$ha/sentinel-$port"
    if [ ! -f "$node.conf" ]; then
      { echo "port $port"; echo "bind 127.0.0.1"; echo "dir $ha"
        echo "sentinel monitor baedal 127.0.0.1 $PORT 2"
        echo "sentinel down-after-milliseconds baedal 1000"
        echo "sentinel failover-timeout baedal 5000"
        echo "sentinel parallel-syncs baedal 1"; } >"$node.conf"
    fi
    if alive "$node.pid"; then
      printf '%-22s already running (pid %s) on 127.0.0.1:%s\n' "sentinel-$port" "$(cat "$node.pid")" "$port"
    else
      redis-server "$node.conf" --sentinel --daemonize yes --pidfile "$node.pid" --logfile "$node.log"
      for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
      printf '%-22s started on 127.0.0.1:%s, watching the group baedal\n' "sentinel-$port" "$port"
    fi
  done
}

# cluster_field PORT NAME: a field of CLUSTER INFO on that node (empty when it does not answer).
cluster_field() { redis-cli -p "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"; }

# The Redis Cluster: six nodes, formed once (three primaries, a replica each), then waited for
# until every node says cluster_state:ok with all 16384 slots served.
start_cluster() {
  local cluster="$RUN/cluster" node port ports=() created
  mkdir -p "$cluster"
  # nodes.conf names the ports of every node: a cluster belongs to one set of ports.
  if [ -f "$cluster/ports" ] && [ "$(cat "$cluster/ports")" != "$PORT" ]; then
    echo "$cluster was made for REDIS_PORT=$(cat "$cluster/ports"), not $PORT:" \
      "run with that, or make stop and remove $cluster to start afresh" >&2
    exit 1
  fi
  echo "$PORT" >"$cluster/ports"
  while read -r port; do
    ports+=("$port"); node="$cluster/node-$port"
    mkdir -p "$node"
    if [ ! -f "$node.conf" ]; then
      { echo "include $PWD/ops/redis/baedal.conf"; echo "include $PWD/ops/redis/baedal-cluster.conf"
        echo "port $port"; echo "bind 127.0.0.1"; echo "dir $node"; echo "supervised no"
        echo "# Locally: a failover in about three seconds rather than seven."
        echo "cluster-node-timeout 2000"; } >"$node.conf"
    fi
    if alive "$node.pid"; then
      printf '%-22s already running (pid %s) on 127.0.0.1:%s\n' "redis-$port" "$(cat "$node.pid")" "$port"
      continue
    fi
    if redis-cli -p "$port" ping >/dev/null 2>&1; then
      echo "a Redis that make run did not start answers on 127.0.0.1:$port: stop it, or choose another REDIS_PORT" >&2
      exit 1
    fi
    redis-server "$node.conf" --daemonize yes --pidfile "$node.pid" --logfile "$node.log"
    for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    redis-cli -p "$port" ping >/dev/null || { echo "redis-$port did not start; see $node.log" >&2; exit 1; }
    printf '%-22s started on 127.0.0.1:%s (cluster bus :%s), data in .run/cluster/node-%s\n' "redis-$port" "$port" "$((port + 10000))" "$port"
  done < <(cluster_ports)
  # Formed once: afterwards every node finds the others from its nodes.conf.
  if [ "$(cluster_field "$PORT" cluster_slots_assigned)" = 0 ] && [ "$(cluster_field "$PORT" cluster_known_nodes)" = 1 ]; then
    created=$(redis-cli --cluster create $(printf '127.0.0.1:%s ' "${ports[@]}") --cluster-replicas 1 --cluster-yes 2>&1) || {
      echo "$created" >"$cluster/create.log"
      echo "redis-cli --cluster create failed; see $cluster/create.log" >&2; exit 1; }
    echo "$created" >"$cluster/create.log"
    echo "cluster                created: 3 primaries, a replica each (redis-cli --cluster create; output in .run/cluster/create.log)"
  fi
  # Ready: every node sees the whole cluster, every slot served, and every replica in step.
  local ready=0
  for _ in $(seq 300); do
    ready=1
    for port in "${ports[@]}"; do
      [ "$(cluster_field "$port" cluster_state)" = ok ] && [ "$(cluster_field "$port" cluster_slots_ok)" = 16384 ] \
        && [ "$(cluster_field "$port" cluster_known_nodes)" = "$CLUSTER_NODES" ] || { ready=0; break; }
      if redis-cli -p "$port" role 2>/dev/null | head -1 | grep -q slave; then
        redis-cli -p "$port" info replication 2>/dev/null | tr -d '\r' | grep -q '^master_link_status:up' || { ready=0; break; }
      fi
    done
    [ "$ready" = 1 ] && break
    sleep 0.1
  done
  [ "$ready" = 1 ] || { echo "the cluster did not reach cluster_state:ok with all 16384 slots served; see $cluster/node-*.log" >&2; exit 1; }
  echo "cluster                ok: 16384 slots served by $(redis-cli -p "$PORT" cluster nodes | grep -c master) primaries, $(redis-cli -p "$PORT" cluster nodes | grep -c slave) replicas"
}

# TLS=1: a CA, Redis's certificate (127.0.0.1 and localhost) and a client certificate, P-256,
# made once in .run/tls/ (keys readable by their owner only) and reused afterwards.
certificates_usable() {
  local name
  for name in ca.crt ca.key server.crt server.key client.crt client.key; do [ -s "$TLS_DIR/$name" ] || return 1; done
  openssl verify -CAfile "$TLS_DIR/ca.crt" "$TLS_DIR/server.crt" "$TLS_DIR/client.crt" >/dev/null 2>&1 || return 1
  openssl x509 -checkend 86400 -noout -in "$TLS_DIR/server.crt" >/dev/null 2>&1 \
    && openssl x509 -checkend 86400 -noout -in "$TLS_DIR/client.crt" >/dev/null 2>&1
}
make_certificates() {
  certificates_usable && return
  if alive "$RUN/redis.pid" && [ "$(cut -d' ' -f1 "$RUN/redis.mode" 2>/dev/null)" = tls ]; then
    echo "the certificates in .run/tls/ are missing, damaged or about to expire, and the Redis make run started still uses them: make stop, then make run TLS=1 again (it makes new ones)" >&2
    exit 1
  fi
  rm -rf "$TLS_DIR"
  command -v openssl >/dev/null || { echo "TLS=1 needs the openssl command (make deps installs it)" >&2; exit 1; }
  mkdir -p "$TLS_DIR"; chmod 700 "$TLS_DIR"
  local log="$TLS_DIR/openssl.log" name
  : >"$log"
  {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TLS_DIR/ca.key"
    openssl req -x509 -new -key "$TLS_DIR/ca.key" -subj "/CN=baedal make run CA" -days 825 -out "$TLS_DIR/ca.crt" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    for name in server client; do
      openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TLS_DIR/$name.key"
      if [ "$name" = server ]; then
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >"$TLS_DIR/$name.ext"
      else
        printf 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' >"$TLS_DIR/$name.ext"
      fi
      openssl req -new -key "$TLS_DIR/$name.key" -subj "/CN=baedal-$name" -out "$TLS_DIR/$name.csr"
      openssl x509 -req -in "$TLS_DIR/$name.csr" -CA "$TLS_DIR/ca.crt" -CAkey "$TLS_DIR/ca.key" -CAcreateserial \
        -days 825 -extfile "$TLS_DIR/$name.ext" -out "$TLS_DIR/$name.crt"
    done
  } >>"$log" 2>&1 || { echo "making the TLS certificates failed; see $log" >&2; exit 1; }
  chmod 600 "$TLS_DIR"/*.key
  echo "tls                    a CA, Redis's and a client certificate made in .run/tls/ (P-256, 825 days)"
}

# The single Redis: plain, or on TLS alone with TLS=1. A running one must be the kind asked for
# (.run/redis.mode says which make run started).
start_redis() {
  local mode=plain listen=(--port "$PORT")
  if [ "$TLS" = 1 ]; then
    make_certificates
    mode=tls
    listen=(--port 0 --tls-port "$PORT" --tls-cert-file "$TLS_DIR/server.crt" --tls-key-file "$TLS_DIR/server.key"
            --tls-ca-cert-file "$TLS_DIR/ca.crt" --tls-auth-clients yes)
  fi
  if alive "$RUN/redis.pid"; then
    local running="" running_port=""
    read -r running running_port _ 2>/dev/null <"$RUN/redis.mode" || true
    if [ "$running" != "$mode" ] || [ "$running_port" != "$PORT" ]; then
      local how="in a way .run/redis.mode does not record"
      [ "$running" = tls ] && how="on TLS, port $running_port"
      [ "$running" = plain ] && how="without TLS, port $running_port"
      echo "the Redis make run started earlier (pid $(cat "$RUN/redis.pid")) runs $how;" \
        "make stop first to start it $([ "$mode" = tls ] && echo "on TLS (TLS=1)" || echo "without TLS") on port $PORT" >&2
      exit 1
    fi
    echo "redis                  already running (pid $(cat "$RUN/redis.pid")) on 127.0.0.1:$PORT$([ "$mode" = tls ] && echo ", TLS")"
  elif answers "$PORT"; then
    echo "redis                  a Redis that make run did not start answers on 127.0.0.1:$PORT; using it (its data is not under .run/)"
  else
    redis-server "$PWD/ops/redis/baedal.conf" "${listen[@]}" --bind 127.0.0.1 --dir "$RUN/redis" \
      --daemonize yes --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log" --supervised no
    echo "$mode $PORT" >"$RUN/redis.mode"
    for _ in $(seq 50); do answers "$PORT" && break; alive "$RUN/redis.pid" || sleep 0.2; alive "$RUN/redis.pid" || break; sleep 0.1; done
    answers "$PORT" || { echo "redis did not start on 127.0.0.1:$PORT$([ "$mode" = tls ] && echo " (is another Redis, one without TLS, on that port?)"); see $RUN/redis.log" >&2; exit 1; }
    echo "redis                  started on 127.0.0.1:$PORT$([ "$mode" = tls ] && echo " (TLS only, client certificates required)"), data in .run/redis (AOF on), log .run/redis.log"
  fi
}

start() {
  mkdir -p "$RUN/redis"
  if [ "$CLUSTER" = 1 ]; then
    start_cluster
  elif [ "$HA" = 1 ]; then
    start_ha
  else
    start_redis
  fi
  if [ "$ACL" = 1 ]; then load_users; fi
  as_user baedalctl seed
  as_user baedal-payment daemon baedal-payment "$BIN/baedal-payment"
  as_user baedal-api daemon baedal-api "$BIN/baedal-api"
  local scaled=()
  while read -r policy how bounds; do
    if [ "$how" = fixed ]; then
      BAEDAL_CONSUMER="${BAEDAL_CONSUMER:-$(hostname)-$policy-1}" as_user "baedal-$policy" daemon "worker-$policy" "$BIN/baedal-worker" "$policy"
    else
      scaled+=(--policy "$policy:$bounds")
    fi
  done < <(plan)
  # Its children log to .run/worker-NAME-K.log and stop with it.
  if [ "${#scaled[@]}" -gt 0 ]; then
    as_user baedal-autoscaler daemon baedal-autoscaler "$BIN/baedal-autoscaler" --launcher process "${scaled[@]}" --interval 2 --cool-down 30 \
      --log-directory "$RUN" --metrics-port "$AUTOSCALER_PORT"
  fi
  wait_ready "http://127.0.0.1:$BAEDAL_PAYMENT_PORT" baedal-payment
  wait_ready "http://127.0.0.1:$BAEDAL_API_PORT" baedal-api
  local api="http://127.0.0.1:$BAEDAL_API_PORT"
  local ctl="$BIN/baedalctl"
  # With TLS=1, baedalctl needs Redis's URL and the TLS files too (the lines are in "Try it").
  local TLS_EXPORT=""
  [ "$TLS" = 1 ] && TLS_EXPORT="
  export BAEDAL_REDIS_URL='$BAEDAL_REDIS_URL' BAEDAL_REDIS_TLS_CA='$BAEDAL_REDIS_TLS_CA' \\
    BAEDAL_REDIS_TLS_CERT='$BAEDAL_REDIS_TLS_CERT' BAEDAL_REDIS_TLS_KEY='$BAEDAL_REDIS_TLS_KEY'   # for baedalctl"
  [ "$DEV_SECRET" = 1 ] && echo && echo "BAEDAL_JWT_SECRET was not set: using a development secret (export your own for anything real)."
  cat <<EOT

Baedal is running: the API on $api, the payment gateway on $BAEDAL_PAYMENT_URL, Redis $BAEDAL_REDIS_URL.
Try it (tokens come from baedalctl with the same secret):

  export BAEDAL_JWT_SECRET='$BAEDAL_JWT_SECRET'$TLS_EXPORT
  C=\$($ctl token --role customer --sub c1)
  O=\$($ctl token --role owner --sub u1 --store s-gangnam-chicken)
  R=\$($ctl token --role rider --sub r1)
  curl -s $api/stores
  curl -s $api/stores/s-gangnam-chicken/menu
  curl -s -XPOST $api/orders -H "Authorization: Bearer \$C" -H 'Idempotency-Key: first' \\
    -d '{"storeId":"s-gangnam-chicken","items":[{"foodId":"fried-chicken","qty":2}],"region":"gangnam","address":"서울 강남구 테헤란로 1"}'
  curl -s -XPOST $api/orders/ORDER_ID/accept -H "Authorization: Bearer \$O"      # then start-cooking, finish-cooking
  curl -s "$api/deliveries?region=gangnam" -H "Authorization: Bearer \$R"        # then /deliveries/ORDER_ID/pick, /deliver
  curl -s $api/customers/me/notifications -H "Authorization: Bearer \$C"
  $(xrange_hint)
  $ctl status                                   # per policy: instances running, what the autoscaler wants
  curl -s http://127.0.0.1:$AUTOSCALER_PORT/metrics | grep baedal_autoscaler

The operator console (a fresh operator token in the link): $(BAEDAL_JWT_SECRET="$BAEDAL_JWT_SECRET" "$ctl" console)

make stop stops it all (Redis keeps its data in $(data_directory)).
EOT
  if [ "$CLUSTER" = 1 ]; then
    cat <<EOT
A Redis Cluster: $(redis-cli -p "$PORT" cluster nodes | grep -c master) primaries and their replicas on 127.0.0.1:$PORT…$((PORT + CLUSTER_NODES - 1)), data in .run/cluster/.
An order lives in partition CRC16(orderId) mod $(partitions), its keys under $BAEDAL_PREFIX:{K}: (docs/cluster.md). Look at it:
  redis-cli -p $PORT cluster nodes                     # who is primary, who replicates whom, which slots
  redis-cli -p $PORT cluster keyslot '{0}'             # the slot of partition 0
  redis-cli -c -p $PORT XRANGE '$BAEDAL_PREFIX:{0}:events:order' - +   # -c follows MOVED to the slot's primary
  $ctl status --partitions                  # each partition's slot, node and backlogs; the nodes
  $ctl tail order                           # every partition's newest events, in time order
Try a failover: kill -KILL \$(cat .run/cluster/node-PORT.pid) (PORT: a primary's); its replica takes its slots
in a few seconds; start it again with make run CLUSTER=1: it rejoins as a replica.
EOT
  fi
  if [ "$TLS" = 1 ]; then
    cat <<EOT
Redis listens on TLS only (127.0.0.1:$PORT, its certificate from the CA in .run/tls/ca.crt, client
certificates required): every process runs on rediss:// with BAEDAL_REDIS_TLS_CA, _CERT and _KEY set
to .run/tls/; redis-cli needs the same flags, baedalctl the exports above. Unset those exports
before a make run without TLS=1 from the same shell.
EOT
  fi
  if [ "$HA" = 1 ]; then
    cat <<EOT
Highly available: the primary is whatever the Sentinels say (redis-cli -p $SENTINEL_PORT SENTINEL get-master-addr-by-name baedal);
$ctl status shows the topology. Try a failover: freeze the primary with kill -STOP \$(cat .run/ha/node-PORT.pid)
(PORT: the primary's), watch $ctl status name another, then kill -CONT it: Sentinel makes it a replica.
EOT
  fi
}

stop_pid() {
  local pidfile=$1
  if alive "$pidfile"; then
    local pid; pid=$(cat "$pidfile")
    kill -TERM "$pid"
    for _ in $(seq 350); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "stopped $(basename "$pidfile" .pid) (pid $pid)"
  fi
  rm -f "$pidfile"
}

stop() {
  # The autoscaler first: it stops its own workers (SIGTERM) and waits for them.
  for pidfile in "$RUN"/baedal-autoscaler.pid "$RUN"/worker-*.pid "$RUN"/baedal-api.pid "$RUN"/baedal-payment.pid; do
    [ -e "$pidfile" ] && stop_pid "$pidfile"
  done
  for pidfile in "$RUN"/ha/sentinel-*.pid "$RUN"/ha/node-*.pid "$RUN"/cluster/node-*.pid; do
    [ -e "$pidfile" ] && stop_pid "$pidfile"
  done
  if alive "$RUN/redis.pid"; then
    # SHUTDOWN to the port and in the mode it was started with (make stop is usually run without
    # TLS=1 or REDIS_PORT); if it is still there after that, SIGTERM (Redis saves and exits on it).
    local pid mode="" port="" flags=()
    pid=$(cat "$RUN/redis.pid")
    read -r mode port _ 2>/dev/null <"$RUN/redis.mode" || true
    [ "$mode" = tls ] && flags=(--tls --cacert "$TLS_DIR/ca.crt" --cert "$TLS_DIR/client.crt" --key "$TLS_DIR/client.key")
    timeout 5 redis-cli "${flags[@]}" -p "${port:-$PORT}" shutdown >/dev/null 2>&1 || true
    for _ in $(seq 50); do alive "$RUN/redis.pid" || break; sleep 0.1; done
    if alive "$RUN/redis.pid"; then
      kill -TERM "$pid"
      for _ in $(seq 100); do alive "$RUN/redis.pid" || break; sleep 0.1; done
    fi
    if alive "$RUN/redis.pid"; then
      echo "redis (pid $pid) did not stop on SHUTDOWN nor SIGTERM; it is still running" >&2
      return 1
    fi
    echo "stopped redis (pid $pid; data kept in .run/redis)"
  fi
  rm -f "$RUN/redis.pid" "$RUN/redis.mode"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  plan) plan ;;
  *) echo "usage: $0 start|stop|plan" >&2; exit 2 ;;
esac
