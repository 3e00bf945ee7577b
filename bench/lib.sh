# Shared by the HTTP benchmarks (engagement, commerce): settings, the release gateway, one wrk
# case, and the report. Source it from a script that set BENCH_DB, PORT and REPORT first.
# shellcheck shell=bash

set -a
# shellcheck disable=SC1091
source config/local.env
set +a
# shellcheck source=busy.sh
source bench/busy.sh
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/cinema/target}
SERVER_URL=${DATABASE_URL%/*}
BENCH_URL=$SERVER_URL/$BENCH_DB
DURATION=${DURATION:-20}
CONNECTIONS=32
# The size of each of the gateway's pools, as in bench/catalog.sh: twice the database's cores.
POOL=${BENCH_POOL:-4}
# The pool for the cases that write (posting, ordering, the webhook), whose requests mostly wait
# for their commit's disk flush rather than use a core: on AWS each concurrent call is a
# container with its own connection, and template.yaml caps engagement and commerce at 10
# containers each (ReservedConcurrentExecutions), so 10 commits can share one flush. With a
# pool of 4 those cases measured this machine's flush latency times 4, not the code.
WRITE_POOL=${BENCH_WRITE_POOL:-10}
WORK=$(mktemp -d)
# `cinema bench-queue`: an SQS endpoint that takes every message and keeps none (start_bench_queue).
BENCH_QUEUE=http://127.0.0.1:${BENCH_QUEUE_PORT:-9325}
REL=$CARGO_TARGET_DIR/release
BASE=http://127.0.0.1:$PORT/api/v1
ROWS=()
PLANS=""

log() { printf '\n== %s\n' "$*" >&2; }
sql() { psql -qtA "$BENCH_URL" -c "$1"; }

# Milliseconds from a wrk duration (850.00us, 1.23ms, 1.01s).
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
        else printf "%s", v }'
}

build_release() {
    log "tools"
    command -v wrk >/dev/null || scripts/local-cloud.sh install-wrk
    log "release build"
    cargo build --release --quiet -p cinema-gateway -p cinema-cli
}

# start_gateway [VAR=value ...]: the release gateway over the bench database, stopped on exit.
start_gateway() {
    if [[ -z "${BUSY_AT_START+set}" ]]; then
        BUSY_AT_START=$(busy_neighbours)
        [[ -z $BUSY_AT_START ]] || log "warning: busy before the run: $BUSY_AT_START"
    fi
    log "starting the release gateway on :$PORT"
    # Without backtraces, as on Lambda: with RUST_BACKTRACE set, every error (a refused relay)
    # captures one, and its log line resolves the symbols, milliseconds of a core each.
    env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE \
        DATABASE_URL="$BENCH_URL" DATABASE_MAX_CONNECTIONS="$POOL" GATEWAY_ADDR="127.0.0.1:$PORT" \
        RUST_LOG=warn "$@" "$REL/cinema-gateway" >"$WORK/gateway.log" 2>&1 &
    GATEWAY=$!
    trap 'kill $GATEWAY ${SINK:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT
    for _ in $(seq 1 50); do
        curl -fsS "$BASE/health" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "the gateway did not start: $(cat "$WORK/gateway.log")" >&2
    return 1
}

# start_bench_queue: the queue the relayed cases point AWS_ENDPOINT_URL_SQS at when they measure
# the request path as deployed without a queue server on the machine (moto takes about a core).
start_bench_queue() {
    [[ -n "${SINK:-}" ]] && return 0
    "$REL/cinema" bench-queue --addr "${BENCH_QUEUE#http://}" >"$WORK/bench-queue.log" 2>&1 &
    SINK=$!
    for _ in $(seq 1 50); do
        grep -q "bench queue on" "$WORK/bench-queue.log" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "the bench queue did not start: $(cat "$WORK/bench-queue.log")" >&2
    return 1
}

# relayed_everything: after a relayed case, the relay kept up and took every email the run
# staged (one that fell behind or failed would have measured less than the deployed path). It
# gets until the outbox stops shrinking; what stays is at most the requests wrk cut mid-way
# when it stopped (one per connection, warm-up and run: those wait for the janitor, as a frozen
# Lambda's would).
relayed_everything() {
    local left behind before=-1
    behind=$(sql "SELECT count(*) FROM email_outbox")
    for _ in $(seq 1 30); do
        left=$(sql "SELECT count(*) FROM email_outbox")
        [[ $left == "$before" ]] && break
        before=$left
        sleep 1
    done
    log "the relay: $behind emails behind when the run ended, $left left for the janitor"
    if ((behind > 1000 || left > 2 * CONNECTIONS)); then
        echo "the relay did not keep up: the case did not measure relaying" >&2
        grep -v mail_pump "$WORK/gateway.log" | grep -m 5 -i -E '"(WARN|ERROR)"|panicked' >&2 || true
        return 1
    fi
}

# restart_gateway [VAR=value ...]: the gateway stopped and started again with other settings.
restart_gateway() {
    kill "$GATEWAY"
    wait "$GATEWAY" 2>/dev/null || true
    start_gateway "$@"
}

# cpu_seconds PID: the CPU time (user and system) process PID has used so far.
cpu_seconds() {
    awk -v tick="$(getconf CLK_TCK)" '{printf "%.2f\n", ($14 + $15) / tick}' "/proc/$1/stat"
}

# postgres_cpu_seconds: the CPU time of every Postgres process so far, the ended backends
# included (the postmaster's children's times).
postgres_cpu_seconds() {
    local postmaster
    postmaster=$(pgrep -o -u postgres -x postgres) || { echo 0; return; }
    {
        for pid in $(pgrep -u postgres -x postgres); do
            awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || true
        done
        awk '{print $16 + $17}' "/proc/$postmaster/stat"
    } | awk -v tick="$(getconf CLK_TCK)" '{sum += $1} END {printf "%.2f\n", sum / tick}'
}

# per_request BEFORE AFTER: milliseconds of CPU per request of the run in $WORK/wrk.txt.
per_request() {
    awk -v before="$1" -v after="$2" '/requests in/ {n = $1}
        END {printf "%.2f", n ? (after - before) * 1000 / n : 0}' "$WORK/wrk.txt"
}

# run_case NAME URL "WRK OPTIONS" "WARM-UP SCRIPT ARGS" "RUN SCRIPT ARGS" TARGET_MS STATEMENT
# [SETUP]: a 3 s warm-up, the measured run, and the plan of STATEMENT (after SETUP, SQL run in
# the same session: a PREPARE, say); one row of the report.
run_case() {
    local name=$1 url=$2 options=$3 warm_args=$4 run_args=$5 target=$6 statement=$7 setup=${8:-}
    log "$name"
    eval "wrk -t2 -c$CONNECTIONS -d3s $options '$url' $warm_args" >/dev/null
    local db_cpu gateway_cpu
    db_cpu=$(postgres_cpu_seconds)
    gateway_cpu=$(cpu_seconds "$GATEWAY")
    eval "wrk -t2 -c$CONNECTIONS -d${DURATION}s --latency $options '$url' $run_args" >"$WORK/wrk.txt"
    db_cpu=$(per_request "$db_cpu" "$(postgres_cpu_seconds)")
    gateway_cpu=$(per_request "$gateway_cpu" "$(cpu_seconds "$GATEWAY")")
    local rps p50 p99 plan seq met failed
    # A case whose requests fail (or time out) is reported as failing, and the others still run.
    failed=$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {n += $NF} END {print n + 0}' "$WORK/wrk.txt")
    if [[ $failed != 0 ]]; then
        cat "$WORK/wrk.txt" >&2
    fi
    rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$WORK/wrk.txt")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt")")
    plan=$(sql "$setup EXPLAIN (ANALYZE, COSTS OFF) $statement")
    seq=$(grep -c "Seq Scan" <<<"$plan" || true)
    met=$(awk -v p="$p99" -v t="$target" 'BEGIN {print (p < t ? "yes" : "no")}')
    [[ $failed == 0 ]] || met="no: $failed requests failed or timed out"
    ROWS+=("| $name | $(printf '%.0f' "$rps") | $p50 | $p99 | < $target ms | $db_cpu | $gateway_cpu | $([[ $seq == 0 ]] && echo none || echo "**$seq**") | $met |")
    PLANS+=$'\n'"### $name"$'\n\n```sql\n'"${setup:+$setup$'\n'}$statement"$'\n```\n\n```\n'"$plan"$'\n```\n'
    printf '%s\n' "${ROWS[-1]}" >&2
}

# write_report TITLE DESCRIPTION: the table, the hand-written notes kept across runs, the plans.
write_report() {
    {
        echo "# $1"
        echo
        echo "Written by \`$0\` on $(date -u +%Y-%m-%dT%H:%MZ): $(nproc) cores, load average"
        echo "$(cut -d' ' -f1-3 /proc/loadavg) at the end, $(sql 'SHOW server_version') Postgres."
        echo "Busy before the run (other processes over a quarter of a core): ${BUSY_AT_START:-none}."
        echo
        echo "$2"
        echo
        echo "HTTP: release \`cinema-gateway\` (pools of $POOL connections, $WRITE_POOL for the cases that"
        echo "write, as their names say; \`RUST_LOG=warn\`), driven by"
        echo "\`wrk -t2 -c$CONNECTIONS -d${DURATION}s\` from the same machine; load tool, gateway and"
        echo "Postgres share the two cores. Latencies in ms."
        echo
        echo "Postgres and gateway CPU are the milliseconds of a core each spent per request during"
        echo "the run (all Postgres processes, ended ones included): unlike latency, they hardly"
        echo "depend on how fast the machine of the day is, or on what else shares its cores."
        echo
        echo "| case | req/s | p50 | p99 | p99 target | Postgres CPU | gateway CPU | seq scans | met |"
        echo "|---|---:|---:|---:|---:|---:|---:|---|---|"
        printf '%s\n' "${ROWS[@]}"
        echo
        if [[ -f "$REPORT" ]] && grep -q '^<!-- notes -->' "$REPORT"; then
            sed -n '/^<!-- notes -->/,/^<!-- \/notes -->/p' "$REPORT"
            echo
        fi
        echo "## Query plans (EXPLAIN ANALYZE after the run)"
        echo "$PLANS"
    } >"$REPORT.new"
    mv "$REPORT.new" "$REPORT"
    log "wrote $REPORT"
}
