"""Bounded load test of the API on loopback: a fixed number of requests at concurrency 1, 8 and 32, single and
batch calls, then the Predictor called directly on the same messages in the same run.

    python bench/load_test.py [--requests 200] [--batch 32] [--model-dir models/<v>]

Prints throughput (messages/s) and p50/p99 latency per setting, and the batch endpoint's throughput as a share of
the direct Predictor's. Traffic goes only to 127.0.0.1; every loop is bounded in count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]


def messages(n: int) -> list[str]:
    rows = [json.loads(line) for line in (REPO / "data" / "written.jsonl").open(encoding="utf-8")]
    texts = [r["text"] for r in rows if r["split"] == "test"]
    return [texts[i % len(texts)] for i in range(n)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def run(base: str, payloads: list[tuple[str, dict]], concurrency: int) -> tuple[float, list[float]]:
    sem = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=httpx.Limits(max_connections=concurrency)) as c:

        async def one(path: str, body: dict) -> None:
            async with sem:
                t = time.perf_counter()
                r = await c.post(path, json=body)
                r.raise_for_status()
                latencies.append(time.perf_counter() - t)

        start = time.perf_counter()
        await asyncio.gather(*(one(p, b) for p, b in payloads))
        return time.perf_counter() - start, latencies


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=200, help="requests per setting")
    ap.add_argument("--batch", type=int, default=32, help="messages per batch request")
    ap.add_argument("--model-dir", default=None)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()

    port = free_port()
    env = {**os.environ}
    if args.model_dir:
        env["CHURNLENS_MODEL_DIR"] = args.model_dir
    if args.threads:
        env["CHURNLENS_THREADS"] = str(args.threads)
    server = subprocess.Popen(
        [sys.executable, "-m", "churnlens.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        results = {}
        print(f"machine: {os.cpu_count()} cores; {args.requests} requests per setting; batch = {args.batch} messages")
        print(f"{'mode':<7}{'conc':>5}{'msgs/s':>10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
        for mode in ("single", "batch"):
            for conc in (1, 8, 32):
                if mode == "single":
                    texts = messages(args.requests)
                    payloads = [("/v1/classify", {"text": t}) for t in texts]
                    n_msgs = len(texts)
                else:
                    texts = messages(args.requests * args.batch)
                    payloads = [
                        ("/v1/classify/batch", {"messages": [{"text": t} for t in texts[i : i + args.batch]]})
                        for i in range(0, len(texts), args.batch)
                    ]
                    n_msgs = len(texts)
                elapsed, lat = asyncio.run(run(base, payloads, conc))
                lat_ms = np.array(lat) * 1000
                results[(mode, conc)] = n_msgs / elapsed
                print(
                    f"{mode:<7}{conc:>5}{n_msgs / elapsed:>10.1f}{len(payloads) / elapsed:>9.1f}"
                    f"{np.percentile(lat_ms, 50):>9.1f}{np.percentile(lat_ms, 99):>9.1f}"
                )
    finally:
        server.terminate()
        server.wait(timeout=30)

    from serving.predictor import Predictor

    pred = Predictor(args.model_dir, threads=args.threads)
    texts = messages(args.requests * args.batch)
    pred.predict(texts[:64])
    start = time.perf_counter()
    for i in range(0, len(texts), args.batch):
        pred.predict(texts[i : i + args.batch])
    direct = len(texts) / (time.perf_counter() - start)
    best_batch = max(results[("batch", c)] for c in (1, 8, 32))
    print(f"Predictor direct ({args.batch}-message calls): {direct:.1f} msgs/s")
    print(
        f"batch endpoint at concurrency 1 / direct (the same calls, one at a time): "
        f"{results[('batch', 1)] / direct:.1%}; best concurrency / direct: {best_batch / direct:.1%}"
    )


if __name__ == "__main__":
    main()
