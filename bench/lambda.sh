#!/usr/bin/env bash
# Lambda cold starts, warm invocations and memory: each function's release binary (x86_64, this
# machine) started again and again against bench/lambda_runtime.py, a local Lambda runtime API,
# over a database of its own holding the demo catalog. Sizes come from `make lambda` (arm64).
#
#   bench/lambda.sh [FUNCTION...]       RUNS=20 WARM=50 by default
#
# Writes $CARGO_TARGET_DIR/bench/lambda-<time>.md; bench/LAMBDA.md keeps the numbers with notes.
set -euo pipefail
cd "$(dirname "$0")/.."
set -a
# shellcheck disable=SC1091
source config/local.env
set +a
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/cinema/target}
BENCH_DB=cinema_lambda_bench
export DATABASE_URL=${DATABASE_URL%/*}/$BENCH_DB
# The login fixture signs in again and again from one address.
export LOGIN_LIMIT_PER_EMAIL=1000000 LOGIN_LIMIT_PER_CLIENT=1000000
FUNCTIONS=(accounts catalog engagement commerce platform mailer janitor)
bins=(--bin cinema)
for function in "${FUNCTIONS[@]}"; do bins+=(--bin "$function"); done

printf '== release build\n' >&2
cargo build --release --quiet "${bins[@]}"
REL=$CARGO_TARGET_DIR/release

printf '== database %s with the demo catalog\n' "$BENCH_DB" >&2
psql -qtA "${DATABASE_URL%/*}/postgres" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" \
  -c "CREATE DATABASE $BENCH_DB"
"$REL/cinema" migrate
"$REL/cinema" provision
"$REL/cinema" seed-demo >/dev/null
python3 bench/lambda_runtime.py --binaries "$REL" --sign-up
psql -qtA "$DATABASE_URL" -c "UPDATE users SET is_active = true WHERE email = 'lambda.fixture@example.com'"

mkdir -p "$CARGO_TARGET_DIR/bench"
out=$CARGO_TARGET_DIR/bench/lambda-$(date -u +%Y%m%dT%H%M%SZ).md
printf '== %s cold starts and %s warm invocations per function\n' "${RUNS:-20}" "${WARM:-50}" >&2
python3 bench/lambda_runtime.py --binaries "$REL" --runs "${RUNS:-20}" --warm "${WARM:-50}" \
  --out "$out" "${@:-${FUNCTIONS[@]}}"
if [ -f "$CARGO_TARGET_DIR/lambda/sizes.md" ]; then
  { echo; echo "Package sizes (make lambda, arm64):"; echo; cat "$CARGO_TARGET_DIR/lambda/sizes.md"; } >>"$out"
fi
printf '== report: %s\n' "$out" >&2
