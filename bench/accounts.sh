#!/usr/bin/env bash
# Accounts benchmark: argon2id cost (criterion) and authenticated `GET /users/me` and `login`
# through the release gateway under wrk (32 connections). Writes bench/ACCOUNTS.md.
#
# Needs the local cloud (`make up`). Uses its own database, cinema_bench_accounts.
set -euo pipefail
cd "$(dirname "$0")/.."
set -a; source config/local.env; set +a
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cinema/target}"
command -v wrk >/dev/null || scripts/local-cloud.sh install-wrk

db=cinema_bench_accounts
port=3101
duration=${BENCH_SECONDS:-20}
report=bench/ACCOUNTS.md
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" GATEWAY_ADDR="127.0.0.1:$port"
export LOG_FORMAT=json RUST_LOG=warn DATABASE_MAX_CONNECTIONS=16
# Login is what the benchmark measures here: lift the limits that would otherwise stop it.
export LOGIN_LIMIT_PER_EMAIL=100000000 LOGIN_LIMIT_PER_CLIENT=100000000

echo "== criterion: argon2id"
hash_out=$(cargo bench -q -p cinema-shared --bench password 2>/dev/null | grep -E 'argon2id/|time:')
echo "$hash_out"

echo "== release build"
cargo build -q --release -p cinema-gateway -p cinema-cli
bin=$CARGO_TARGET_DIR/release

psql -q "postgres://postgres@127.0.0.1:5432/postgres" -c "DROP DATABASE IF EXISTS $db" \
  -c "CREATE DATABASE $db"
"$bin/cinema" migrate >/dev/null
CINEMA_ADMIN_PASSWORD='Bench-Passw0rd!' "$bin/cinema" create-admin --email bench@cinema.local >/dev/null

"$bin/cinema-gateway" &
gateway=$!
trap 'kill $gateway 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null && break; sleep 0.2; done
login_body='{"email":"bench@cinema.local","password":"Bench-Passw0rd!"}'
token=$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/auth/login" \
  -H 'content-type: application/json' -d "$login_body" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

# wrk_row LABEL ARGS...: one table row from wrk's latency distribution.
wrk_row() {
  local label=$1
  shift
  local out
  out=$(wrk -t2 -c32 -d"${duration}s" --latency "$@")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  local non2xx
  non2xx=$(awk '/Non-2xx/ {print $4}' <<<"$out")
  echo "| $label | $rps | $p50 | $p99 | ${non2xx:-0} |"
}

cat >/tmp/cinema-login.lua <<LUA
wrk.method = "POST"
wrk.body = '$login_body'
wrk.headers["Content-Type"] = "application/json"
LUA

echo "== wrk"
me_row=$(wrk_row 'GET /users/me (bearer)' -H "Authorization: Bearer $token" \
  "http://127.0.0.1:$port/api/v1/users/me")
health_row=$(wrk_row 'GET /health' "http://127.0.0.1:$port/api/v1/health")
login_row=$(wrk_row 'POST /auth/login (argon2id verify)' -s /tmp/cinema-login.lua \
  "http://127.0.0.1:$port/api/v1/auth/login")

{
  echo "# Accounts benchmark"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo);"
  echo "release gateway, PostgreSQL on 127.0.0.1, wrk with 2 threads and 32 connections for ${duration}s."
  echo "Run by \`bench/accounts.sh\` on $(date -u +%Y-%m-%d)."
  echo
  echo "## argon2id (m=19456 KiB, t=2, p=1), criterion"
  echo
  echo '```'
  echo "$hash_out"
  echo '```'
  echo
  echo "## Through the gateway"
  echo
  echo "| request | requests/s | p50 | p99 | non-2xx |"
  echo "|---|---|---|---|---|"
  echo "$me_row"
  echo "$health_row"
  echo "$login_row"
  echo
  echo "\`GET /users/me\` checks the JWT (no database round trip for auth) and reads the account"
  echo "and profile in one query. Login is bound by argon2id by design: each verify costs the"
  echo "time above on one core, so two cores top out near 2 / verify-time logins per second."
} >"$report"
cat "$report"
