"""Latency of GET /runs/{id} on the local run API (HTTP on 127.0.0.1, local engine behind it).

    .venv/bin/python benchmarks/api_latency.py [--requests 500]

Runs one pipeline to the end first, so the run read has its full set of step records,
then times sequential requests. Prints p50/p90/p99 in milliseconds. A measurement to
rerun, not a test: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request

from image_factory.local_engine.engine import LocalEngine
from image_factory.local_engine.inputs import load_request_document
from image_factory.remote.local_server import LocalApiServer

FINISHED = {"SUCCEEDED", "FAILED", "CANCELLED"}


def get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return dict(json.loads(response.read()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="timed requests (default 500)")
    args = parser.parse_args()
    _, request = load_request_document("reference")
    with LocalApiServer(LocalEngine(), port=0) as server:
        body = json.dumps(request).encode()
        post = urllib.request.Request(
            f"{server.url}/runs", data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(post, timeout=30) as response:
            run_id = json.loads(response.read())["run_id"]
        url = f"{server.url}/runs/{run_id}"
        while get(url)["status"] not in FINISHED:
            time.sleep(0.1)
        for _ in range(20):  # warm up: imports, clients, connections
            get(url)
        timings = []
        for _ in range(args.requests):
            started = time.perf_counter()
            get(url)
            timings.append((time.perf_counter() - started) * 1000)
    quantiles = statistics.quantiles(timings, n=100)
    print(
        f"GET /runs/{{id}} on the local API, {args.requests} requests: "
        f"p50 {statistics.median(timings):.1f} ms, p90 {quantiles[89]:.1f} ms, p99 {quantiles[98]:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
