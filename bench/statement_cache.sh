#!/usr/bin/env bash
# Statement cache: what a flood of distinct lists leaves in the memory of a read connection's
# backend. Every list's values are written into its statement (see functions/catalog/src/sql.rs),
# so 10,000 lists with 10,000 different `price_min` values are 10,000 different statements; if
# each were prepared, each would keep a plan in the backend until sqlx's cache evicts it.
#
# Serves the benchmark catalog with the release gateway on ONE connection per pool, so every
# list runs on the same backend, and reads that backend's private memory (RssAnon in
# /proc/<pid>/status; Postgres runs on this machine) after each phase:
#
#   1. the common lists (first page, genre page, sorts, deep pages) 20 times each;
#   2. LISTS distinct lists, `price_min` 0.01, 0.02, ... (each asked once);
#   3. the same LISTS lists again (asked a second time, but after thousands of others);
#   4. REPEATED other distinct lists (`price_max`), each asked twice in a row: the worst case
#      for "prepare what repeats", where only the size of sqlx's statement cache bounds memory;
#   5. the common lists again: still as fast as in phase 1?
#
#   bench/statement_cache.sh                        # needs the bench database (bench/catalog.sh)
#   LISTS=2000 bench/statement_cache.sh             # a smaller flood
#   GATEWAY=/path/to/cinema-gateway bench/statement_cache.sh   # measure another build
#
# Prints one Markdown table row per phase.
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
LISTS=${LISTS:-10000}
REPEATED=${REPEATED:-1000}
PORT=${BENCH_PORT:-3101}
WORK=$(mktemp -d)

log() { printf '\n== %s\n' "$*" >&2; }

if [[ -z "${GATEWAY:-}" ]]; then
    log "release build"
    cargo build --release --quiet -p cinema-gateway
    GATEWAY=$CARGO_TARGET_DIR/release/cinema-gateway
fi
psql -qtA "$BENCH_URL" -c "SELECT 1 FROM movies LIMIT 1" >/dev/null ||
    { echo "no benchmark catalog in $BENCH_DB: run bench/catalog.sh first" >&2; exit 1; }
GENRE=$(psql -qtA "$BENCH_URL" -c "SELECT id FROM genres WHERE name = 'Drama'")

log "starting $GATEWAY on :$PORT, one connection per pool"
DATABASE_URL=$BENCH_URL DATABASE_MAX_CONNECTIONS=1 GATEWAY_ADDR=127.0.0.1:$PORT RUST_LOG=warn \
    JANITOR_INTERVAL_SECS=86400 "$GATEWAY" >"$WORK/gateway.log" 2>&1 &
GATEWAY_PID=$!
trap 'kill $GATEWAY_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 50); do
    curl -fsS "http://127.0.0.1:$PORT/api/v1/health" >/dev/null 2>&1 && break
    sleep 0.2
done

# The read connection is the one whose last statement was a list.
curl -fsS "http://127.0.0.1:$PORT/api/v1/movies" >/dev/null
BACKEND=$(psql -qtA "$BENCH_URL" -c "SELECT pid FROM pg_stat_activity
    WHERE datname = '$BENCH_DB' AND query LIKE 'WITH page AS%' LIMIT 1")
[[ -n "$BACKEND" ]] || { echo "no read connection found" >&2; exit 1; }
log "read connection: backend $BACKEND"

python3 - "$PORT" "$BACKEND" "$LISTS" "$GENRE" "$REPEATED" <<'EOF'
import http.client, sys, time

port, backend, lists, genre = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
repeated = int(sys.argv[5])
conn = http.client.HTTPConnection("127.0.0.1", port)

def get(path):
    conn.request("GET", "/api/v1" + path)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"GET {path} answered {response.status}")

def rss_mib():
    with open(f"/proc/{backend}/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024

common = ["/movies", f"/movies?genre={genre}", f"/genres/{genre}/movies", "/movies?page=2",
          "/movies?page=2500"] + [f"/movies?sort={d}{k}" for k in
          ("price", "year", "imdb", "votes", "rating", "popularity", "name") for d in ("", "-")]

def run(paths):
    started = time.perf_counter()
    for path in paths:
        get(path)
    return (time.perf_counter() - started) * 1000 / len(paths)

def flood():
    return [f"/movies?price_min={n // 100}.{n % 100:02d}" for n in range(1, lists + 1)]

print("| phase | requests | mean ms per request | backend RssAnon (MiB) |")
print("|---|---:|---:|---:|")
print(f"| connection opened, one first page | 1 | | {rss_mib():.1f} |")
ms = run(common * 20)
print(f"| 1. common lists ({len(common)}) x 20 | {len(common) * 20} | {ms:.2f} | {rss_mib():.1f} |")
ms = run(flood())
print(f"| 2. {lists} distinct `price_min` lists, once | {lists} | {ms:.2f} | {rss_mib():.1f} |")
ms = run(flood())
print(f"| 3. the same {lists} lists, again | {lists} | {ms:.2f} | {rss_mib():.1f} |")
twice = [f"/movies?price_max={n // 100}.{n % 100:02d}" for n in range(1, repeated + 1)
         for _ in range(2)]
ms = run(twice)
print(f"| 4. {repeated} other distinct lists, each twice in a row | {2 * repeated} | {ms:.2f} | {rss_mib():.1f} |")
ms = run(common * 20)
print(f"| 5. common lists x 20, again | {len(common) * 20} | {ms:.2f} | {rss_mib():.1f} |")
EOF
