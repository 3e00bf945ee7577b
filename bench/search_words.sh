#!/usr/bin/env bash
# What a search costs by its number of words, on the benchmark catalog: the statement the
# endpoint runs for k title words AND-ed (`a b c`), OR-ed (`a or b or c`) and misspelt (no
# full-text match, so the trigram fallback runs), k = 1 to 20. Each is run 6 times with
# EXPLAIN ANALYZE by one client; the median planning + execution time of the last 5 is shown.
# The basis of MAX_SEARCH_WORDS (functions/catalog/src/listing/params.rs).
#
#   bench/search_words.sh            # needs the bench database (bench/catalog.sh)
#
# Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."

set -a
# shellcheck disable=SC1091
source config/local.env
set +a
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/cinema/target}
BENCH_DB=${BENCH_DB:-cinema_bench}
BENCH_URL=${DATABASE_URL%/*}/$BENCH_DB
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cargo build --release --quiet -p cinema-catalog --example listing_sql
# The statement of a one-word search, its text swapped for longer ones below (the endpoint
# refuses those past the limit, and so does the example, which validates like it).
TEMPLATE=$("$CARGO_TARGET_DIR/release/examples/listing_sql" list 'search=placeholder' | sed 's/;$//')

# Median ms (planning + execution) of the statement for the search text $1 (plain words).
cost() {
    local sql=${TEMPLATE//E\'placeholder\'/E\'$1\'}
    for _ in 1 2 3 4 5 6; do echo "EXPLAIN (ANALYZE, SUMMARY, COSTS OFF, TIMING OFF) $sql;"; done >"$WORK/q.sql"
    psql -qtA "$BENCH_URL" -f "$WORK/q.sql" | awk '
        /Planning Time/ { plan = $3 }
        /Execution Time/ { if (++runs > 1) print plan + $3 }' | sort -n | awk 'NR == 3 { printf "%.1f", $1 }'
}

WORDS=(winter valley hidden journey highway hollow lantern promise stolen crimson sleeping
    bitter sunken scarlet tower station heist lost pale ghost)
TYPOS=(wintr vally hiddn journy highwy hollw lanten promis stolne crimsn sleping biter sunkn
    scarlt towr statin heest lots pael ghots)
echo "| words | AND-ed (ms) | OR-ed (ms) | misspelt (ms) |"
echo "|---:|---:|---:|---:|"
for k in 1 2 4 6 8 10 12 16 20; do
    and="${WORDS[*]:0:k}"
    or=${and// / or }
    typos="${TYPOS[*]:0:k}"
    echo "| $k | $(cost "$and") | $(cost "$or") | $(cost "$typos") |"
done
