#!/usr/bin/env bash
# Outages under load. The release gateway runs over servers of this script's own (a private
# PostgreSQL cluster on its own port, its own s3s-fs and moto), never the machine's. wrk drives
# the catalog the whole time while bench/fault_probe.py records every answer of a list, a login
# and a sign-up loop. Timeline (seconds): 10 PostgreSQL stopped hard (-m immediate), 20 started,
# 35 S3 and SQS stopped, 45 started, 60 end. Then the database is checked for half-done writes.
#
#   bench/faults.sh            report: $CARGO_TARGET_DIR/bench/faults-<time>.md (notes: bench/FAULTS.md)
set -euo pipefail
cd "$(dirname "$0")/.."
set -a
# shellcheck disable=SC1091
source config/local.env
set +a
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/cinema/target}
tools=${CINEMA_TOOLS_DIR:-.local/tools}
REL=$CARGO_TARGET_DIR/release
WORK=$(mktemp -d /tmp/cinema-faults.XXXXXX)
PG_PORT=55432 S3_PORT=9102 SQS_PORT=4666 API_PORT=3400
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PIDS=()

log() { printf '== %s\n' "$*" >&2; }
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_start() { as_owner "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $WORK -c fsync=off" start >/dev/null; }
pg_stop() { as_owner "$PG_BIN/pg_ctl" -D "$WORK/pg" -m immediate -w stop >/dev/null; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }
s3_start() { "$tools/bin/s3s-fs" --host 127.0.0.1 --port $S3_PORT --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" "$WORK/s3" >"$WORK/s3.log" 2>&1 & echo $! >"$WORK/s3.pid"; wait_port $S3_PORT; }
sqs_start() { "$tools/venv/bin/moto_server" -H 127.0.0.1 -p $SQS_PORT >"$WORK/sqs.log" 2>&1 & echo $! >"$WORK/sqs.pid"; wait_port $SQS_PORT; }
cleanup() {
  kill "${PIDS[@]}" "$(cat "$WORK/s3.pid" 2>/dev/null)" "$(cat "$WORK/sqs.pid" 2>/dev/null)" 2>/dev/null || true
  pg_stop 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

log "release build"
command -v wrk >/dev/null || scripts/local-cloud.sh install-wrk
cargo build --release --quiet -p cinema-gateway -p cinema-cli

log "private servers in $WORK"
mkdir -p "$WORK/pg" "$WORK/s3"
[ "$(id -u)" = 0 ] && chown -R postgres "$WORK"
as_owner "$PG_BIN/initdb" -D "$WORK/pg" -U postgres --auth=trust --no-sync >/dev/null
pg_start
psql -q "postgres://postgres@127.0.0.1:$PG_PORT/postgres" -c "CREATE DATABASE cinema"
s3_start
sqs_start
export DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/cinema
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$S3_PORT AWS_ENDPOINT_URL_SQS=http://127.0.0.1:$SQS_PORT
export MAIL_QUEUE_URL=http://127.0.0.1:$SQS_PORT/123456789012/cinema-mail
export DATABASE_ACQUIRE_TIMEOUT_SECS=2 DATABASE_MAX_CONNECTIONS=4
export LOGIN_LIMIT_PER_EMAIL=1000000 LOGIN_LIMIT_PER_CLIENT=1000000 EMAIL_LIMIT_PER_CLIENT=1000000
export JANITOR_INTERVAL_SECS=5 GATEWAY_ADDR=127.0.0.1:$API_PORT RUST_LOG=warn
"$REL/cinema" migrate
"$REL/cinema" provision
"$REL/cinema" seed-demo >/dev/null
"$REL/cinema-gateway" >"$WORK/gateway.log" 2>&1 &
PIDS+=($!)
wait_port $API_PORT

log "60 s under load: PostgreSQL down 10-20 s, S3 and SQS down 35-45 s"
BASE=http://127.0.0.1:$API_PORT/api/v1
wrk -t1 -c8 -d60s "$BASE/movies?per_page=20" >"$WORK/wrk.txt" 2>&1 &
PIDS+=($!)
python3 bench/fault_probe.py --base "$BASE" --seconds 60 --events "$WORK/events" --out "$WORK/probe.json" &
probe=$!
started=$(date +%s.%N)
at() { python3 -c "import sys, time; time.sleep(max(0, float(sys.argv[1]) - (time.time() - float(sys.argv[2]))))" "$1" "$started"; }
mark() { date +"%s.%N $1" >>"$WORK/events"; }
at 10; mark "postgres-down"; pg_stop
at 20; pg_start; mark "postgres-back"
at 35; mark "s3-sqs-down"; kill "$(cat "$WORK/s3.pid")" "$(cat "$WORK/sqs.pid")"
at 45; s3_start; sqs_start; mark "s3-sqs-back"
# moto keeps its queues in memory: a restarted one must get its queue back, as AWS's never loses it.
"$REL/cinema" provision >/dev/null
wait $probe

log "half-done writes"
signed_up=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['signed_up']))" "$WORK/probe.json")
sql() { psql -qtA "$DATABASE_URL" -c "$1"; }
missing=$(python3 -c "import json,sys; print(','.join(\"'\" + e + \"'\" for e in json.load(open(sys.argv[1]))['signed_up']) or \"''\")" "$WORK/probe.json")
answered_not_stored=$(sql "SELECT $signed_up - count(*) FROM users WHERE email IN ($missing)")
without_token=$(sql "SELECT count(*) FROM users u WHERE NOT is_active AND NOT EXISTS (SELECT 1 FROM account_tokens t WHERE t.user_id = u.id AND t.purpose = 'activation')")
# The janitor (every 5 s here) relays what waited 60 s or more: give it the time.
for _ in $(seq 1 45); do
  waiting=$(sql "SELECT count(*) FROM email_outbox")
  [ "$waiting" = 0 ] && break
  sleep 2
done

mkdir -p "$CARGO_TARGET_DIR/bench"
out=$CARGO_TARGET_DIR/bench/faults-$(date -u +%Y%m%dT%H%M%SZ).md
python3 - "$WORK/probe.json" "$WORK/wrk.txt" >"$out" <<PY
import json, sys
data = json.load(open(sys.argv[1]))
print("| phase | requests | answers | statuses | 503 problem+json | p50 ms | max ms | first success after (s) |")
print("|---|---|---:|---|---:|---:|---:|---:|")
for p in data["phases"]:
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(p["statuses"].items()))
    first = "" if p["first_success_after_s"] is None else p["first_success_after_s"]
    print(f"| {p['phase']} | {p['kind']} | {p['answers']} | {statuses} | {p['503_problems']} | {p['p50_ms']} | {p['max_ms']} | {first} |")
print()
print("wrk (catalog list, 8 connections, the whole 60 s):")
print()
print("\`\`\`")
print(open(sys.argv[2]).read().strip())
print("\`\`\`")
PY
{
  echo
  echo "Sign-ups answered 201: $signed_up; of them missing from the database: $answered_not_stored."
  echo "Accounts without the activation token written with them: $without_token."
  echo "Emails still in the outbox 90 s after the end (the janitor relays those older than 60 s): $waiting."
} >>"$out"
cp "$WORK/gateway.log" "${out%.md}-gateway.log"
cat "$out"
log "report: $out (the gateway's warnings beside it)"
