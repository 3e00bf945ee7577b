#!/usr/bin/env python3
"""Cold and warm starts of the functions' binaries against a local Lambda runtime API.

This script is the runtime API (the part of Lambda a function's binary talks to): it starts a
function's binary with AWS_LAMBDA_RUNTIME_API pointing here, notes when the binary first asks
for work (`GET /next`: its init is over, and no database connection is made before it), hands
it a fixture from events/, and notes when the answer comes back. Each cold start is a fresh
process; after the first invocation the same process serves the warm ones, and its peak resident
memory (VmHWM) is read from /proc when it is done.

    bench/lambda_runtime.py --binaries DIR [--runs 20] [--warm 50] [--out FILE] [FUNCTION...]

Settings come from the environment (config/local.env exported); DATABASE_URL must point at a
migrated database where the login fixture's account exists (bench/lambda.sh prepares one).
"""

import argparse
import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# function: the fixture its invocations carry.
FIXTURES = {
    "platform": "http/health.json",
    "catalog": "http/movies-list.json",
    "accounts": "http/login.json",
    "engagement": "http/comments-list.json",
    "commerce": "http/webhook-forged.json",
    "mailer": "sqs/mail-batch.json",
    "janitor": "schedule/janitor-every-minute.json",
}


class Runtime(http.server.ThreadingHTTPServer):
    """One function process at a time; one invocation at a time."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a killed process's connection; what matters is recorded by the handlers

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Condition()
        # Each started process is a generation: a killed process's `/next`, still waiting here,
        # must not take the next process's event.
        self.generation = 0
        self.reset()

    def reset(self):
        with self.lock:
            self.generation += 1
            self.lock.notify_all()
            self.first_next_at = None
            self.pending = None  # (request id, body bytes)
            self.answered = {}  # request id -> (time, status path, body)

    def invoke(self, body, timeout=30.0):
        """Queues one event; returns (seconds until the answer, answer body)."""
        request_id = str(uuid.uuid4())
        with self.lock:
            given = time.perf_counter()
            self.pending = (request_id, body)
            self.lock.notify_all()
            if not self.lock.wait_for(lambda: request_id in self.answered, timeout):
                raise TimeoutError("the function did not answer")
            answered_at, kind, answer = self.answered.pop(request_id)
        if kind != "response":
            raise RuntimeError(f"the function reported an error: {answer[:300]!r}")
        return answered_at - given, answer


def generation_of(path):
    """Each process reaches the runtime API under `/g<generation>/`, so a late request of a
    killed process is told apart from the current one's."""
    first = path.strip("/").split("/")[0]
    return int(first[1:]) if first.startswith("g") and first[1:].isdigit() else -1


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Small answers at once: with Nagle's algorithm each exchange waits out a delayed ACK (40 ms).
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_GET(self):
        runtime = self.server
        if not self.path.endswith("/runtime/invocation/next"):
            return self.reply(404, b"")
        with runtime.lock:
            generation = generation_of(self.path)
            if generation != runtime.generation:
                # A killed process's request, handled late: it must not take the event.
                self.close_connection = True
                return
            if runtime.first_next_at is None:
                runtime.first_next_at = time.perf_counter()
                runtime.lock.notify_all()
            runtime.lock.wait_for(
                lambda: runtime.pending is not None or runtime.generation != generation
            )
            if runtime.generation != generation:
                self.close_connection = True
                return
            request_id, body = runtime.pending
            runtime.pending = None
        deadline = int((time.time() + 60) * 1000)
        self.reply(
            200,
            body,
            {
                "Lambda-Runtime-Aws-Request-Id": request_id,
                "Lambda-Runtime-Deadline-Ms": str(deadline),
                "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:bench",
                "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000",
            },
        )

    def do_POST(self):
        runtime = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        now = time.perf_counter()
        parts = self.path.strip("/").split("/")
        if parts[-1] in ("response", "error") and len(parts) >= 2:
            with runtime.lock:
                runtime.answered[parts[-2]] = (now, parts[-1], body)
                runtime.lock.notify_all()
        elif parts[-1] == "error":
            print(f"init error: {body[:300]!r}", file=sys.stderr)
        self.reply(202, b"")

    def reply(self, status, body, headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self._headers_buffer.append(b"\r\n" + body)  # headers and body in one write
        try:
            self.flush_headers()
        except (BrokenPipeError, ConnectionResetError):
            pass  # a killed process's connection


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure(runtime, binary, fixture, runs, warm):
    event = (ROOT / "events" / fixture).read_bytes()
    port = runtime.server_address[1]
    env = dict(
        os.environ,
        AWS_LAMBDA_RUNTIME_API="",  # set per process below
        AWS_LAMBDA_FUNCTION_NAME=binary.name,
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256",
        RUST_LOG="warn",
    )
    inits, firsts, warms, rss = [], [], [], []
    for run in range(runs):
        runtime.reset()
        env["AWS_LAMBDA_RUNTIME_API"] = f"http://127.0.0.1:{port}/g{runtime.generation}"
        started = time.perf_counter()
        process = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL)
        try:
            with runtime.lock:
                if not runtime.lock.wait_for(lambda: runtime.first_next_at is not None, 30):
                    raise TimeoutError(f"{binary.name} never asked for work")
                inits.append(runtime.first_next_at - started)
            took, _ = runtime.invoke(event)
            firsts.append(took)
            if run == 0 and warm:
                for _ in range(warm):
                    took, _ = runtime.invoke(event)
                    warms.append(took)
                rss.append(peak_rss_mb(process.pid))
            elif run == 0:
                rss.append(peak_rss_mb(process.pid))
        finally:
            process.kill()
            process.wait()
    return inits, firsts, warms, rss


def ms(values, q):
    ordered = sorted(values)
    if q == "max":
        return ordered[-1] * 1000
    if q == 0.5:
        return statistics.median(ordered) * 1000
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binaries", required=True, type=Path)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warm", type=int, default=50)
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--sign-up", action="store_true", help="only send the sign-up fixture to accounts, once"
    )
    parser.add_argument("functions", nargs="*", default=list(FIXTURES))
    args = parser.parse_args()
    runtime = Runtime()
    threading.Thread(target=runtime.serve_forever, daemon=True).start()
    if args.sign_up:
        measure(runtime, args.binaries / "accounts", "http/register-base64.json", 1, 0)
        return
    lines = [
        "| function | fixture | init p50 (ms) | init max | 1st invocation p50 (ms) | 1st max | warm p50 (ms) | warm p99 | peak RSS (MB) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in args.functions:
        binary = args.binaries / name
        inits, firsts, warms, rss = measure(runtime, binary, FIXTURES[name], args.runs, args.warm)
        line = (
            f"| {name} | {FIXTURES[name]} | {ms(inits, 0.5):.1f} | {ms(inits, 'max'):.1f} "
            f"| {ms(firsts, 0.5):.1f} | {ms(firsts, 'max'):.1f} "
            f"| {ms(warms, 0.5):.2f} | {ms(warms, 0.99):.2f} | {max(rss):.1f} |"
        )
        print(line, flush=True)
        lines.append(line)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
