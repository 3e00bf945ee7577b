#!/usr/bin/env bash
# The functions as Lambda packages and Lambda invocations, with cargo-lambda from the project's
# tools (scripts/local-cloud.sh installs it, with zig, so arm64 cross-compiles offline).
#
#   scripts/lambda.sh build    release arm64 zips of every function and their sizes
#                              ($CARGO_TARGET_DIR/lambda/<function>/bootstrap.zip, sizes.md),
#                              then `sam build` on that build: one artefact per function in
#                              $CARGO_TARGET_DIR/sam (offline: it only re-runs cargo lambda)
#   scripts/lambda.sh invoke   `cargo lambda watch` on 127.0.0.1 with the debug builds polling
#                              it, then every fixture in events/ sent with `cargo lambda invoke`
#                              (run with the settings of config/local.env exported; `make invoke`)
set -euo pipefail
cd "$(dirname "$0")/.."

tools=${CINEMA_TOOLS_DIR:-.local/tools}
target=${CARGO_TARGET_DIR:-target}
FUNCTIONS=(accounts catalog engagement commerce platform mailer janitor)
# fixture  function: what `invoke` sends, and to whom.
FIXTURES=(
  "http/health.json platform"
  "http/movies-list.json catalog"
  "http/register-base64.json accounts"
  "http/login.json accounts"
  "http/comments-list.json engagement"
  "http/webhook-forged.json commerce"
  "sqs/mail-batch.json mailer"
  "schedule/janitor-hourly.json janitor"
  "schedule/janitor-every-minute.json janitor"
  "eventbridge/media-object-created.json janitor"
)

say() { printf '[lambda] %s\n' "$*" >&2; }

cargo_lambda() {
  if [ ! -x "$tools/lambda-venv/bin/cargo-lambda" ]; then scripts/local-cloud.sh install; fi
  # The venv's python carries the ziglang wheel: cargo-lambda finds zig through it.
  PATH="$(cd "$tools" && pwd)/lambda-venv/bin:$PATH" "$tools/lambda-venv/bin/cargo-lambda" lambda "$@"
}

build() {
  local bins=()
  for function in "${FUNCTIONS[@]}"; do bins+=(--bin "$function"); done
  cargo_lambda build --release --arm64 --output-format zip \
    --lambda-dir "$target/lambda" "${bins[@]}"
  report_sizes | tee "$target/lambda/sizes.md"
  sam_build
}

# SAM's rust-cargolambda builder runs `cargo lambda build --release --arm64 --bin <name>` per
# function, which finds the build above up to date (same features, same jitter setting), and
# copies each bootstrap into its artefact directory.
sam_build() {
  local bin
  bin="$(cd "$tools" && pwd)/lambda-venv/bin"
  SAM_CLI_TELEMETRY=0 PATH="$bin:$PATH" \
    "$bin/sam" build --template template.yaml --build-dir "$target/sam"
  local built=0
  for function in "${FUNCTIONS[@]}"; do
    local name
    name="$(tr '[:lower:]' '[:upper:]' <<<"${function:0:1}")${function:1}Function"
    [ -x "$target/sam/$name/bootstrap" ] || { say "sam build made no bootstrap for $name"; exit 1; }
    built=$((built + 1))
  done
  say "sam build: $built artefacts in $target/sam"
}

report_sizes() {
  python3 - "$target/lambda" "${FUNCTIONS[@]}" <<'PY'
import os, sys, zipfile
root, functions = sys.argv[1], sys.argv[2:]
print("| function | zip (MB) | bootstrap unzipped (MB) |")
print("|---|---:|---:|")
for name in functions:
    path = os.path.join(root, name, "bootstrap.zip")
    with zipfile.ZipFile(path) as archive:
        unzipped = sum(entry.file_size for entry in archive.infolist())
    print(f"| {name} | {os.path.getsize(path) / 1e6:.1f} | {unzipped / 1e6:.1f} |")
PY
}

invoke() {
  local port=${LAMBDA_INVOKE_PORT:-9100} pids=()
  trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
  cargo_lambda watch --only-lambda-apis --ignore-changes \
    --invoke-address 127.0.0.1 --invoke-port "$port" >"$target/lambda-watch.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  for function in "${FUNCTIONS[@]}"; do
    AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$port/.rt/$function" AWS_LAMBDA_FUNCTION_NAME="$function" \
      AWS_LAMBDA_FUNCTION_VERSION='$LATEST' AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 \
      "$target/debug/$function" 2>>"$target/lambda-functions.log" &
    pids+=($!)
  done
  for entry in "${FIXTURES[@]}"; do
    read -r fixture function <<<"$entry"
    say "$function <- events/$fixture"
    cargo_lambda invoke "$function" --data-file "events/$fixture" \
      --invoke-address 127.0.0.1 --invoke-port "$port" --output-format json
    echo
  done
  say "function logs: $target/lambda-functions.log"
}

case "${1:-}" in
  build) build ;;
  invoke) invoke ;;
  *) echo "usage: $0 build|invoke" >&2; exit 2 ;;
esac
