#!/usr/bin/env bash
# The local cloud without Docker: PostgreSQL, an S3 server that checks signatures (s3s-fs), an
# SQS server (moto), an SMTP catcher with an HTTP API (maildev) and the local Stripe stand-in
# (tools/stripe-standin, built from this workspace), all on 127.0.0.1; `install` also brings
# Debian's chromium, in which the tests render the docs page, and the Lambda tools (cargo-lambda
# with zig, the SAM CLI) that `make lambda`, `make invoke` and the local-invocation test use.
#
#   scripts/local-cloud.sh install   install what is missing (idempotent)
#   scripts/local-cloud.sh up        install, then start what is not already running
#   scripts/local-cloud.sh down      stop only what `up` started
#   scripts/local-cloud.sh status    say what answers
#   scripts/local-cloud.sh install-compose   Debian's docker-compose, to validate the compose file
#   scripts/local-cloud.sh install-wrk       Debian's wrk, the HTTP load tool of the benchmarks
#
# Tools go to $CINEMA_TOOLS_DIR (default .local/tools), state (data, logs, pids) to
# $CINEMA_STATE_DIR (default .local/state); both are git-ignored.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools=${CINEMA_TOOLS_DIR:-$repo/.local/tools}
state=${CINEMA_STATE_DIR:-$repo/.local/state}
pids=$state/pids
logs=$state/logs

S3S_FS_VERSION=0.14.1
MOTO_VERSION=5.2.5
CFN_LINT_VERSION=1.58.0
OPENAPI_VALIDATOR_VERSION=0.9.0
SCHEMATHESIS_VERSION=4.32.5
MAILDEV_VERSION=3.0.0
# The Lambda tools, in a venv of their own (SAM pins its own cfn-lint and boto): cargo-lambda ships
# zig through the ziglang wheel, so it cross-compiles to arm64 with nothing else installed.
CARGO_LAMBDA_VERSION=1.9.2
ZIGLANG_VERSION=0.14.1
SAM_CLI_VERSION=1.170.0

set -a
# shellcheck source=../config/local.env
source "$repo/${ENV_FILE:-config/local.env}"
set +a

say() { printf '[local-cloud] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    say "need root for: $*"; return 1; fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "apt-get install ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_port() {
  local name=$1 port=$2
  for _ in $(seq 1 120); do port_open "$port" && return 0; sleep 0.5; done
  say "$name did not open port $port; see $logs/$name.log"
  return 1
}

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && echo "$dir"
}

install() {
  mkdir -p "$tools"
  # The database server only when none answers already; its client tools in any case.
  apt_install postgresql-client curl
  # The headless browser the docs page's end-to-end test renders the page in.
  apt_install chromium
  if ! port_open 5432 && [ -z "$(pg_bin)" ]; then apt_install postgresql; fi
  if [ ! -x "$tools/bin/s3s-fs" ]; then
    say "installing s3s-fs $S3S_FS_VERSION (a few minutes, once)"
    cargo install s3s-fs --version "$S3S_FS_VERSION" --locked --features binary \
      --root "$tools" --quiet
  fi
  local python_pins="moto[server]==$MOTO_VERSION cfn-lint==$CFN_LINT_VERSION openapi-spec-validator==$OPENAPI_VALIDATOR_VERSION schemathesis==$SCHEMATHESIS_VERSION"
  if [ "$(cat "$tools/venv/.pins" 2>/dev/null)" != "$python_pins" ]; then
    say "installing $python_pins"
    python3 -m venv "$tools/venv"
    # shellcheck disable=SC2086 # the pins are words on purpose
    "$tools/venv/bin/pip" install -q --disable-pip-version-check $python_pins
    echo "$python_pins" >"$tools/venv/.pins"
  fi
  local lambda_pins="cargo-lambda==$CARGO_LAMBDA_VERSION ziglang==$ZIGLANG_VERSION aws-sam-cli==$SAM_CLI_VERSION"
  if [ "$(cat "$tools/lambda-venv/.pins" 2>/dev/null)" != "$lambda_pins" ]; then
    say "installing $lambda_pins"
    python3 -m venv "$tools/lambda-venv"
    # shellcheck disable=SC2086 # the pins are words on purpose
    "$tools/lambda-venv/bin/pip" install -q --disable-pip-version-check $lambda_pins
    echo "$lambda_pins" >"$tools/lambda-venv/.pins"
  fi
  if [ ! -x "$tools/node/node_modules/.bin/maildev" ]; then
    say "installing maildev $MAILDEV_VERSION"
    mkdir -p "$tools/node"
    npm install --prefix "$tools/node" --no-audit --no-fund --silent "maildev@$MAILDEV_VERSION"
  fi
}

# start NAME PORT COMMAND...: runs COMMAND in the background unless PORT already answers.
start() {
  local name=$1 port=$2
  shift 2
  if port_open "$port"; then
    say "$name: already answering on $port"
    return 0
  fi
  mkdir -p "$pids" "$logs"
  setsid "$@" >"$logs/$name.log" 2>&1 < /dev/null &
  echo $! >"$pids/$name.pid"
  wait_for_port "$name" "$port"
  say "$name: started on $port"
}

start_postgres() {
  if port_open 5432; then
    say "postgres: already answering on 5432"
  else
    local bin data=$state/postgres
    bin=$(pg_bin)
    mkdir -p "$state" "$logs"
    if [ ! -s "$data/PG_VERSION" ]; then
      say "postgres: creating a private cluster in $data"
      run_as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust >"$logs/postgres-init.log"
    fi
    run_as_owner "$bin/pg_ctl" -D "$data" -l "$logs/postgres.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p 5432 -k $data" start >/dev/null
    touch "$state/postgres.started"
    say "postgres: started on 5432"
  fi
  local exists
  exists=$(psql "postgres://postgres@127.0.0.1:5432/postgres" -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'cinema'")
  [ "$exists" = 1 ] || psql "postgres://postgres@127.0.0.1:5432/postgres" -qc "CREATE DATABASE cinema"
}

# PostgreSQL refuses to run as root: a private cluster is owned by the `postgres` user then.
run_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown -R postgres "$state/postgres" 2>/dev/null || { mkdir -p "$state/postgres"; chown postgres "$state/postgres"; }
    chown postgres "$logs"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# The Stripe stand-in is a member of this workspace: built (incrementally) into the same target
# directory the Makefile uses, then started like the other servers.
start_stripe_standin() {
  if port_open 12111; then
    say "stripe-standin: already answering on 12111"
    return 0
  fi
  local target=${CARGO_TARGET_DIR:-$HOME/.cache/cinema/target}
  say "stripe-standin: building"
  (cd "$repo" && CARGO_TARGET_DIR=$target cargo build -p stripe-standin --quiet)
  start stripe-standin 12111 env STANDIN_ADDR=127.0.0.1:12111 "$target/debug/stripe-standin"
}

up() {
  install
  start_postgres
  mkdir -p "$state/s3"
  start s3s-fs 9002 "$tools/bin/s3s-fs" --host 127.0.0.1 --port 9002 \
    --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" "$state/s3"
  start moto 4566 "$tools/venv/bin/moto_server" -H 127.0.0.1 -p 4566
  start maildev 8025 "$tools/node/node_modules/.bin/maildev" --ip 127.0.0.1 --web-ip 127.0.0.1 \
    -s 1025 -w 8025
  wait_for_port maildev-smtp 1025
  start_stripe_standin
}

down() {
  if [ -d "$pids" ]; then
    for pidfile in "$pids"/*.pid; do
      [ -e "$pidfile" ] || continue
      local pid
      pid=$(cat "$pidfile")
      # Each service leads its own session (setsid): stop the whole group.
      kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
      rm -f "$pidfile"
      say "stopped $(basename "$pidfile" .pid)"
    done
  fi
  if [ -e "$state/postgres.started" ]; then
    run_as_owner "$(pg_bin)/pg_ctl" -D "$state/postgres" -m fast stop >/dev/null || true
    rm -f "$state/postgres.started"
    say "stopped postgres"
  fi
}

status() {
  for entry in postgres:5432 s3s-fs:9002 moto:4566 maildev-smtp:1025 maildev-api:8025 stripe-standin:12111; do
    if port_open "${entry#*:}"; then say "${entry%%:*}: up"; else say "${entry%%:*}: down"; fi
  done
}

case "${1:-}" in
  install) install ;;
  install-compose) apt_install docker-compose ;;
  install-wrk) apt_install wrk ;;
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 install|up|down|status" >&2; exit 2 ;;
esac
