#!/usr/bin/env bash
# The fuzz stage of `make test`: schemathesis runs every check it has over the OpenAPI document
# against a debug gateway of its own, and fails the build on anything it finds.
#
#   scripts/fuzz/run.sh [ARGS]   needs the local cloud up (`make up`) and the debug binaries
#                                built; ARGS go to `schemathesis run` (say, `--phases stateful`)
#
# The gateway listens on a free port over a fresh database (migrated, `cinema seed-demo`, plus an
# admin so every route is reachable with the right role) and a mail queue of its own; both go
# away afterwards. Generation is deterministic, so a run repeats the last one; what schemathesis
# may and may not take for granted is in schemathesis.toml and hooks.py beside this script.
# Settings: FUZZ_MAX_EXAMPLES (cases per operation and phase, default 120: about 10,000 cases in
# some three minutes on two cores), FUZZ_WORKERS (default 1: a second worker only fights the
# gateway for the cores, and one keeps the order of requests, and so the run, the same).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
tools=${CINEMA_TOOLS_DIR:-$repo/.local/tools}
target=${CARGO_TARGET_DIR:-$HOME/.cache/cinema/target}
bin=$target/debug
out=$target/fuzz
schemathesis=$tools/venv/bin/schemathesis

say() { printf '[fuzz] %s\n' "$*" >&2; }

[ -x "$schemathesis" ] || { say "no $schemathesis: run scripts/local-cloud.sh install"; exit 1; }
for exe in cinema cinema-gateway; do
  [ -x "$bin/$exe" ] || { say "no $bin/$exe: run make build"; exit 1; }
done

set -a
# shellcheck source=../../config/local.env
source "${ENV_FILE:-config/local.env}"
set +a

admin_email=fuzz-admin@cinema.local
admin_password=Fuzz-Admin-2026!
database=cinema_fuzz_$$
server_url=${DATABASE_URL%/*}
export DATABASE_URL=$server_url/$database
export MAIL_QUEUE_URL=${MAIL_QUEUE_URL%/*}/cinema-fuzz-$$
# The fuzz signs in and asks for emails far more often than a person: the limits stay, higher.
export LOGIN_LIMIT_PER_EMAIL=100000 LOGIN_LIMIT_PER_CLIENT=100000
export EMAIL_LIMIT_PER_EMAIL=100000 EMAIL_LIMIT_PER_CLIENT=100000
export ACCESS_TOKEN_TTL_SECS=3600 LOG_FORMAT=json RUST_LOG=${RUST_LOG:-warn}

mkdir -p "$out"
rm -rf "$out/report"
gateway_pid=
cleanup() {
  if [ -n "$gateway_pid" ]; then
    kill "$gateway_pid" 2>/dev/null || true
    wait "$gateway_pid" 2>/dev/null || true
  fi
  psql "$server_url/postgres" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

psql "$server_url/postgres" -qc "CREATE DATABASE $database"
"$bin/cinema" migrate >/dev/null
"$bin/cinema" provision >/dev/null
"$bin/cinema" seed-demo >/dev/null
CINEMA_ADMIN_PASSWORD=$admin_password "$bin/cinema" create-admin --email "$admin_email" >/dev/null
"$bin/cinema" openapi >"$out/openapi.json"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
GATEWAY_ADDR=127.0.0.1:$port "$bin/cinema-gateway" >"$out/gateway.log" 2>&1 &
gateway_pid=$!
for attempt in $(seq 1 150); do
  curl -fsS "$base/api/v1/health" >/dev/null 2>&1 && break
  kill -0 "$gateway_pid" 2>/dev/null || { say "the gateway stopped; see $out/gateway.log"; exit 1; }
  [ "$attempt" = 150 ] && { say "the gateway did not answer; see $out/gateway.log"; exit 1; }
  sleep 0.2
done

FUZZ_BEARER_TOKEN=$(curl -fsS "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"$admin_email\",\"password\":\"$admin_password\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

FUZZ_BASIC_CREDENTIALS=$(printf '%s:%s' "$admin_email" "$admin_password" | base64 -w0)
export FUZZ_BEARER_TOKEN FUZZ_BASIC_CREDENTIALS
say "schemathesis against $base (report in $out/report)"
status=0
"$schemathesis" --config-file scripts/fuzz/schemathesis.toml run "$out/openapi.json" \
  --url "$base" \
  --checks all \
  --max-examples "${FUZZ_MAX_EXAMPLES:-120}" \
  --generation-deterministic \
  --workers "${FUZZ_WORKERS:-1}" \
  --request-timeout 10 \
  --no-color \
  --report junit,ndjson --report-dir "$out/report" "$@" || status=$?
if [ "$status" != 0 ]; then
  say "schemathesis found problems (exit $status); gateway log: $out/gateway.log"
  exit "$status"
fi
# A run that lost its credentials halfway (a deactivated admin, an ended session) would have
# tested little but 401s: the token must still work.
me=$(curl -sS -o /dev/null -w '%{http_code}' "$base/api/v1/users/me" -H "Authorization: Bearer $FUZZ_BEARER_TOKEN")
if [ "$me" != 200 ]; then
  say "the admin's token no longer works after the run (GET /users/me: $me)"
  exit 1
fi
say "schemathesis found nothing"
