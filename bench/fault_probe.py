#!/usr/bin/env python3
"""Drives the API through an outage and records every answer.

    bench/fault_probe.py --base URL --seconds N --events FILE --out FILE

Threads loop over: the catalog list (anonymous), a login of the demo user, and a sign-up with a
new address each time. Every answer is recorded with its time, status, content type and
latency. FILE (--events) holds the lines `<unix time> <label>` that bench/faults.sh writes when it stops
or starts a server, so the report splits the run into phases on one clock.
"""

import argparse
import collections
import http.client
import json
import statistics
import threading
import time
import urllib.parse
import uuid

LOGIN = {"email": "user@cinema.local", "password": "User-Demo-2026!"}
TIMEOUT = 30


def request(base, method, path, body=None):
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=TIMEOUT)
    headers = {"content-type": "application/json"} if body is not None else {}
    started = time.perf_counter()
    try:
        connection.request(method, url.path + path, json.dumps(body) if body is not None else None, headers)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("content-type", ""), time.perf_counter() - started
    except Exception as err:  # a reset or a timeout is an answer too: record it
        return f"error:{type(err).__name__}", "", time.perf_counter() - started
    finally:
        connection.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--events", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    begun = time.perf_counter()
    begun_at = time.time()
    records = []
    lock = threading.Lock()
    signups = []

    def loop(kind, make):
        while time.perf_counter() - begun < args.seconds:
            method, path, body = make()
            status, content_type, took = request(args.base, method, path, body)
            with lock:
                records.append((time.perf_counter() - begun, kind, status, content_type, took))
                if kind == "sign-up" and status == 201:
                    signups.append(body["email"])
            time.sleep(0.02)

    def signup():
        return "POST", "/auth/register", {"email": f"fault-{uuid.uuid4().hex[:12]}@example.com", "password": "Str0ng-Passw0rd!"}

    workers = [
        threading.Thread(target=loop, args=("list", lambda: ("GET", "/movies?per_page=20", None))),
        threading.Thread(target=loop, args=("list", lambda: ("GET", "/movies?sort=-rating&per_page=20", None))),
        threading.Thread(target=loop, args=("login", lambda: ("POST", "/auth/login", LOGIN))),
        threading.Thread(target=loop, args=("sign-up", signup)),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    events = []
    with open(args.events) as lines:
        for line in lines:
            at, label = line.split(maxsplit=1)
            events.append((float(at) - begun_at, label.strip()))
    bounds = [0.0] + [at for at, _ in events] + [float("inf")]
    names = ["before"] + [label for _, label in events]
    report = []
    for index, name in enumerate(names):
        start, end = bounds[index], bounds[index + 1]
        phase = [r for r in records if start <= r[0] < end]
        by_kind = collections.defaultdict(list)
        for record in phase:
            by_kind[record[1]].append(record)
        for kind, rows in sorted(by_kind.items()):
            statuses = collections.Counter(str(r[2]) for r in rows)
            latencies = [r[4] * 1000 for r in rows]
            problems = sum(1 for r in rows if r[2] == 503 and r[3].startswith("application/problem+json"))
            first_ok = next((r[0] - start for r in rows if r[2] in (200, 201)), None)
            report.append(
                {
                    "phase": name,
                    "kind": kind,
                    "answers": len(rows),
                    "statuses": dict(statuses),
                    "503_problems": problems,
                    "p50_ms": round(statistics.median(latencies), 1),
                    "max_ms": round(max(latencies), 1),
                    "first_success_after_s": None if first_ok is None else round(first_ok, 2),
                }
            )
    with open(args.out, "w") as out:
        json.dump({"phases": report, "signed_up": signups}, out, indent=1)


if __name__ == "__main__":
    main()
