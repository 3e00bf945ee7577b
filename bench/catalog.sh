#!/usr/bin/env bash
# Catalog benchmark: loads a large catalog (100,000 movies, 20,000 people, 1,000,000 ratings
# and reactions) into its own database, serves it with the release gateway, drives the detail,
# lists of 20 and of 50 a page (a viewer's favorites among them) and searches with wrk at 32
# connections, runs the very SQL each endpoint runs with pgbench at 32 clients, and writes
# bench/REPORT.md (throughput, share of the detail's, p50, p99, API/SQL ratio, EXPLAIN ANALYZE).
#
#   bench/catalog.sh                 # everything, from a fresh bench database
#   REUSE_DB=1 bench/catalog.sh      # keep an already generated bench database
#   DURATION=10 bench/catalog.sh     # seconds per run (default 20)
#   ONLY=Search bench/catalog.sh     # only the cases whose name contains this; prints the
#                                    # rows and leaves the report alone
#
# Needs the local cloud (`make up`) for Postgres and the queue the gateway polls.
set -euo pipefail
cd "$(dirname "$0")/.."

set -a
# shellcheck disable=SC1091
source config/local.env
set +a
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/cinema/target}
BENCH_DB=${BENCH_DB:-cinema_bench}
SERVER_URL=${DATABASE_URL%/*}
BENCH_URL=$SERVER_URL/$BENCH_DB
DURATION=${DURATION:-20}
CONNECTIONS=32
PORT=${BENCH_PORT:-3100}
# The size of each of the gateway's pools (the main one and the catalog reads'), standing for
# the connections the Lambdas hold together: twice the database's cores, the usual sizing. More
# only queue inside Postgres (16 gave the same throughput with a p99 about a third higher).
POOL=${BENCH_POOL:-4}
REPORT=bench/REPORT.md
WORK=$(mktemp -d)
REL=$CARGO_TARGET_DIR/release

log() { printf '\n== %s\n' "$*" >&2; }

log "tools"
if ! command -v wrk >/dev/null; then
    apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi
command -v pgbench >/dev/null || { echo "pgbench is missing (apt-get install postgresql-contrib)" >&2; exit 1; }

log "release build"
cargo build --release --quiet -p cinema-gateway -p cinema-cli
cargo build --release --quiet -p cinema-catalog --example listing_sql

GENERATE_SECS=""
if [[ "${REUSE_DB:-0}" == 1 ]] && psql -qtA "$BENCH_URL" -c "SELECT 1 FROM movies LIMIT 1" >/dev/null 2>&1; then
    log "reusing $BENCH_DB"
else
    log "loading the large catalog into $BENCH_DB"
    psql -q "$SERVER_URL/postgres" -c "DROP DATABASE IF EXISTS $BENCH_DB" -c "CREATE DATABASE $BENCH_DB"
    DATABASE_URL=$BENCH_URL "$REL/cinema" migrate >/dev/null
    started=$(date +%s.%N)
    DATABASE_URL=$BENCH_URL RUST_LOG=error "$REL/cinema" generate-catalog \
        --movies 100000 --people 20000 --interactions 1000000 --reset | tee "$WORK/generate.txt"
    GENERATE_SECS=$(echo "$(date +%s.%N) - $started" | bc)
fi
sql() { psql -qtA "$BENCH_URL" -c "$1"; }
COUNTS=$(sql "SELECT (SELECT count(*) FROM movies) || ' movies, ' ||
                     (SELECT count(*) FROM directors) + (SELECT count(*) FROM stars) || ' people, ' ||
                     (SELECT count(*) FROM ratings) + (SELECT count(*) FROM reactions) || ' ratings and reactions'")
GENRE=$(sql "SELECT id FROM genres WHERE name = 'Drama'")
DETAIL_ID=$(sql "SELECT id FROM movies ORDER BY votes DESC, id LIMIT 1 OFFSET 500")
# A signed-in viewer with FAVORITES favorites spread over the catalog, for the favorites page.
FAVORITES=${FAVORITES:-200}
VIEWER_EMAIL=bench-viewer@bench.cinema
VIEWER_PASSWORD='Bench-Passw0rd!'
CINEMA_ADMIN_PASSWORD=$VIEWER_PASSWORD DATABASE_URL=$BENCH_URL RUST_LOG=error \
    "$REL/cinema" create-admin --email "$VIEWER_EMAIL" >/dev/null
VIEWER_ID=$(sql "SELECT id FROM users WHERE email = '$VIEWER_EMAIL'")
sql "DELETE FROM favorites WHERE user_id = '$VIEWER_ID';
     INSERT INTO favorites (user_id, movie_id)
     SELECT '$VIEWER_ID', id FROM movies ORDER BY md5(id::text) LIMIT $FAVORITES" >/dev/null
sql "VACUUM ANALYZE favorites" >/dev/null

# shellcheck source=busy.sh
source bench/busy.sh
BUSY_AT_START=$(busy_neighbours)
[[ -z $BUSY_AT_START ]] || log "warning: busy before the run: $BUSY_AT_START"
log "starting the release gateway on :$PORT"
DATABASE_URL=$BENCH_URL DATABASE_MAX_CONNECTIONS=$POOL GATEWAY_ADDR=127.0.0.1:$PORT RUST_LOG=warn \
    "$REL/cinema-gateway" >"$WORK/gateway.log" 2>&1 &
GATEWAY=$!
trap 'kill $GATEWAY 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 50); do
    curl -fsS "http://127.0.0.1:$PORT/api/v1/health" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fsS "http://127.0.0.1:$PORT/api/v1/health" >/dev/null
VIEWER_TOKEN=$(curl -fsS "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$VIEWER_EMAIL\",\"password\":\"$VIEWER_PASSWORD\"}" |
    sed -E 's/.*"access_token":"([^"]+)".*/\1/')
VIEWER_SESSION=$(sql "SELECT id FROM login_sessions WHERE user_id = '$VIEWER_ID' AND revoked_at IS NULL
                      ORDER BY created_at DESC LIMIT 1")

# name | endpoint path and query | listing_sql arguments | target p99 (ms) | "viewer" to send the
# viewer's token | the least share of the detail's req/s in this run (issue 14), if any.
# The detail runs first: the pages of 50 are measured against it.
CASES=(
    "Detail|/api/v1/movies/$DETAIL_ID|detail $DETAIL_ID|15||"
    "First page|/api/v1/movies|list ''|15||"
    "Deep page (page 2500 of 5000)|/api/v1/movies?page=2500|list 'page=2500'|15||"
    "Genre filter + price sort|/api/v1/movies?genre=$GENRE&sort=price|list 'genre=$GENRE&sort=price'|15||"
    "Year range + rating sort|/api/v1/movies?year_min=1990&year_max=1999&sort=-rating|list 'year_min=1990&year_max=1999&sort=-rating'|15||"
    "Search \"frozen harbor\" (title words)|/api/v1/movies?search=frozen%20harbor|list 'search=frozen%20harbor'|30||"
    "Search \"lighthouse\" (broad: a word in 1 movie of 15)|/api/v1/movies?search=lighthouse|list 'search=lighthouse'|30||"
    "50 a page: first page|/api/v1/movies?per_page=50|list 'per_page=50'|15||0.5"
    "50 a page: genre page|/api/v1/genres/$GENRE/movies?per_page=50|list 'per_page=50' genre:$GENRE|15||0.5"
    "50 a page: year range + price sort|/api/v1/movies?year_min=1990&year_max=1999&sort=price&per_page=50|list 'year_min=1990&year_max=1999&sort=price&per_page=50'|15||0.5"
    "50 a page: favorites ($FAVORITES)|/api/v1/users/me/favorites?per_page=50|list 'per_page=50' favorites:$VIEWER_ID:$VIEWER_SESSION|15|viewer|0.5"
)

# Milliseconds from a wrk duration (850.00us, 1.23ms, 1.01s).
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
        else printf "%s", v }'
}

ROWS=()
EXPLAINS=""
DETAIL_RPS=""
index=0
for case in "${CASES[@]}"; do
    IFS='|' read -r name path sql_args target who share <<<"$case"
    # The detail always runs: other cases are measured against it.
    [[ "$name" == *"${ONLY:-}"* || "$name" == Detail ]] || continue
    index=$((index + 1))
    url="http://127.0.0.1:$PORT$path"
    auth=()
    [[ "$who" == viewer ]] && auth=(-H "Authorization: Bearer $VIEWER_TOKEN")
    log "$name: $path"
    status=$(curl -s "${auth[@]}" -o "$WORK/body.json" -w '%{http_code}' "$url")
    [[ "$status" == 200 ]] || { echo "GET $path answered $status: $(cat "$WORK/body.json")" >&2; exit 1; }
    eval "\"$REL/examples/listing_sql\" $sql_args" >"$WORK/q$index.sql"

    # HTTP: a short warm-up, then the measured run.
    wrk -t2 -c"$CONNECTIONS" -d3s "${auth[@]}" "$url" >/dev/null
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "${auth[@]}" "$url" >"$WORK/wrk$index.txt"
    if grep -q "Non-2xx" "$WORK/wrk$index.txt"; then
        cat "$WORK/wrk$index.txt" >&2
        exit 1
    fi
    api_rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk$index.txt")
    api_p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$WORK/wrk$index.txt")")
    api_p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$WORK/wrk$index.txt")")

    # SQL: the same statement, prepared, 32 clients, latencies from the per-transaction log.
    pgbench -n -M prepared -c "$CONNECTIONS" -j 2 -T 3 -f "$WORK/q$index.sql" "$BENCH_URL" >/dev/null 2>&1
    (cd "$WORK" && pgbench -n -M prepared -c "$CONNECTIONS" -j 2 -T "$DURATION" \
        -f "q$index.sql" -l --log-prefix="pgb$index" "$BENCH_URL" >"pgbench$index.txt" 2>&1)
    sql_tps=$(awk -F'= ' '/^tps/ {split($2, a, " "); print a[1]}' "$WORK/pgbench$index.txt")
    sort -n -k3,3 <(cat "$WORK"/pgb"$index".*) | awk '{print $3}' >"$WORK/lat$index"
    total=$(wc -l <"$WORK/lat$index")
    sql_p50=$(awk -v n="$total" 'NR == int(n * 0.50) + 1 {printf "%.2f", $1 / 1000; exit}' "$WORK/lat$index")
    sql_p99=$(awk -v n="$total" 'NR == int(n * 0.99) + 1 {printf "%.2f", $1 / 1000; exit}' "$WORK/lat$index")
    ratio=$(awk -v a="$api_rps" -v s="$sql_tps" 'BEGIN {printf "%.0f%%", 100 * a / s}')
    verdict=$(awk -v p="$api_p99" -v t="$target" -v a="$api_rps" -v s="$sql_tps" \
        'BEGIN {print ((p < t && a >= 0.6 * s) ? "yes" : "no")}')
    [[ "$name" == Detail ]] && DETAIL_RPS=$api_rps
    of_detail=$(awk -v a="$api_rps" -v d="$DETAIL_RPS" 'BEGIN {printf "%.0f%%", 100 * a / d}')
    if [[ -n "$share" ]]; then
        verdict=$(awk -v v="$verdict" -v a="$api_rps" -v d="$DETAIL_RPS" -v s="$share" \
            'BEGIN {print ((v == "yes" && a >= s * d) ? "yes" : "no")}')
        of_detail="$of_detail (≥ $(awk -v s="$share" 'BEGIN {printf "%.0f%%", 100 * s}'))"
    fi

    plan=$(psql -qtA "$BENCH_URL" -c "EXPLAIN (ANALYZE, COSTS OFF) $(sed 's/;$//' "$WORK/q$index.sql")")
    seq=$(grep -c "Seq Scan on movies" <<<"$plan" || true)
    ROWS+=("| $name | $(printf '%.0f' "$api_rps") | $of_detail | $api_p50 | $api_p99 | $(printf '%.0f' "$sql_tps") | $sql_p50 | $sql_p99 | $ratio | < $target ms | $([[ $seq == 0 ]] && echo none || echo "**$seq**") | $verdict |")
    EXPLAINS+=$'\n'"### $name"$'\n\n'"\`GET $path\`"$'\n\n```sql\n'"$(cat "$WORK/q$index.sql")"$'\n```\n\n```\n'"$plan"$'\n```\n'
    printf '%s\n' "${ROWS[-1]}" >&2
done

if [[ -n "${ONLY:-}" ]]; then
    printf '%s\n' "${ROWS[@]}"
    exit 0
fi
{
    echo "# Catalog benchmark"
    echo
    echo "Written by \`bench/catalog.sh\` on $(date -u +%Y-%m-%dT%H:%MZ): $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB,"
    echo "$(psql -qtA "$BENCH_URL" -c 'SHOW server_version') Postgres. Catalog: $COUNTS."
    echo "Busy before the run (other processes over a quarter of a core): ${BUSY_AT_START:-none}."
    if [[ -n "$GENERATE_SECS" ]]; then
        echo "Generated by \`cinema generate-catalog\` in $(printf '%.1f' "$GENERATE_SECS") s (target: under 120 s)."
    fi
    echo
    echo "HTTP: release \`cinema-gateway\` (pools of $POOL connections, \`RUST_LOG=warn\`), driven by"
    echo "\`wrk -t2 -c$CONNECTIONS -d${DURATION}s\` from the same machine. SQL: the statement the endpoint runs"
    echo "(printed by \`cargo run --release -p cinema-catalog --example listing_sql\`), run by"
    echo "\`pgbench -M prepared -c$CONNECTIONS -j2 -T$DURATION\`. Load tool, gateway and Postgres share the two cores."
    echo "Latencies in ms. \"Seq scans of movies\" counts \`Seq Scan on movies\` in the EXPLAIN ANALYZE below."
    echo
    echo "Targets: p99 under the target and API/SQL at least 60%; pages of 50 also at least the share"
    echo "of the detail's req/s shown (same run). The favorites page sends a bearer token; its SQL"
    echo "is the list with the check of the token's session, as the API runs it."
    echo
    echo "| endpoint | API req/s | of detail | API p50 | API p99 | SQL tx/s | SQL p50 | SQL p99 | API/SQL | p99 target | seq scans of movies | targets met |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
    printf '%s\n' "${ROWS[@]}"
    echo
    # The analysis between the markers is written by hand and kept across runs.
    if [[ -f "$REPORT" ]] && grep -q '^<!-- notes -->' "$REPORT"; then
        sed -n '/^<!-- notes -->/,/^<!-- \/notes -->/p' "$REPORT"
        echo
    fi
    if [[ -n "$GENERATE_SECS" ]]; then
        echo "## Generation"
        echo
        echo '```'
        cat "$WORK/generate.txt"
        echo '```'
        echo
    fi
    echo "## Query plans (EXPLAIN ANALYZE, one run on a warm cache)"
    echo "$EXPLAINS"
} >"$REPORT.new"
mv "$REPORT.new" "$REPORT"
log "wrote $REPORT"
