#!/usr/bin/env bash
# Lambda cold starts, warm invocations and memory: each function's release binary (x86_64, this
# machine) started again and again against bench/lambda_runtime.py, a local Lambda runtime API,
# over a database of its own holding the demo catalog. Sizes come from `make lambda` (arm64).
#
#   bench/lambda.sh [FUNCTION...]       RUNS=20 WARM=50 by default
#   JITTER=on bench/lambda.sh           aws-lc built with its CPU jitter entropy source (the
#                                       deployed build has it off: .cargo/config.toml), in a
#                                       target directory of its own
#
# The functions reach Postgres over TLS (sslmode=require), as they reach RDS: the first
# invocation's handshake is the first use of aws-lc's random generator, where the two entropy
# settings differ.
# Writes $CARGO_TARGET_DIR/bench/lambda-<time>.md; bench/LAMBDA.md keeps the numbers with notes.
set -euo pipefail
cd "$(dirname "$0")/.."
set -a
# shellcheck disable=SC1091
source config/local.env
set +a
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/cinema/target}
JITTER=${JITTER:-off}
case $JITTER in
  off) ;;
  # aws-lc-sys reads the setting when it is compiled; 0 overrides .cargo/config.toml's 1.
  # Built unstripped, so the same build serves `cargo bloat` (bench/LAMBDA.md); the runs below
  # use stripped copies, as deployed.
  on) export AWS_LC_SYS_NO_JITTER_ENTROPY=0 CARGO_TARGET_DIR=$CARGO_TARGET_DIR-jitter \
        CARGO_PROFILE_RELEASE_STRIP=false ;;
  *) echo "JITTER is on or off, not $JITTER" >&2; exit 2 ;;
esac
BENCH_DB=cinema_lambda_bench
DATABASE_URL=${DATABASE_URL%/*}/$BENCH_DB
export DATABASE_URL
# The login fixture signs in again and again from one address.
export LOGIN_LIMIT_PER_EMAIL=1000000 LOGIN_LIMIT_PER_CLIENT=1000000
FUNCTIONS=(accounts catalog engagement commerce platform mailer janitor)
bins=(--bin cinema)
for function in "${FUNCTIONS[@]}"; do bins+=(--bin "$function"); done

printf '== release build\n' >&2
cargo build --release --quiet "${bins[@]}"
# Stripped copies (a no-op for the default build, which is stripped already).
REL=$(mktemp -d)
trap 'rm -rf "$REL"' EXIT
for bin in cinema "${FUNCTIONS[@]}"; do
  strip -o "$REL/$bin" "$CARGO_TARGET_DIR/release/$bin"
done

printf '== database %s with the demo catalog\n' "$BENCH_DB" >&2
psql -qtA "${DATABASE_URL%/*}/postgres" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" \
  -c "CREATE DATABASE $BENCH_DB"
"$REL/cinema" migrate
"$REL/cinema" provision
"$REL/cinema" seed-demo >/dev/null
python3 bench/lambda_runtime.py --binaries "$REL" --sign-up
psql -qtA "$DATABASE_URL" -c "UPDATE users SET is_active = true WHERE email = 'lambda.fixture@example.com'"
# From here on, as on AWS: every database connection over TLS.
export DATABASE_URL="$DATABASE_URL?sslmode=require"
psql -qtA "$DATABASE_URL" -c "SELECT 1 FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl" | grep -q 1 \
  || { echo "the local Postgres does not speak TLS (ssl = on)" >&2; exit 1; }

mkdir -p "$CARGO_TARGET_DIR/bench"
out=$CARGO_TARGET_DIR/bench/lambda-jitter-$JITTER-$(date -u +%Y%m%dT%H%M%SZ).md
printf '== %s cold starts and %s warm invocations per function (jitter entropy %s)\n' \
  "${RUNS:-20}" "${WARM:-50}" "$JITTER" >&2
python3 bench/lambda_runtime.py --binaries "$REL" --runs "${RUNS:-20}" --warm "${WARM:-50}" \
  --out "$out" "${@:-${FUNCTIONS[@]}}"
if [ -f "$CARGO_TARGET_DIR/lambda/sizes.md" ]; then
  { echo; echo "Package sizes (make lambda, arm64):"; echo; cat "$CARGO_TARGET_DIR/lambda/sizes.md"; } >>"$out"
fi
printf '== report: %s\n' "$out" >&2
