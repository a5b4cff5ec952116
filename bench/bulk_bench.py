"""Bulk scoring throughput and memory: `score_file` on N rows (test-split texts repeated) against the raw Predictor
on the same texts, measured in the same run, each in its own subprocess so peak RSS is its own.

    python bench/bulk_bench.py [--rows 100000] [--model-dir models/<v>]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def texts(n: int) -> list[str]:
    rows = [json.loads(line) for line in (REPO / "data" / "written.jsonl").open(encoding="utf-8")]
    pool = [r["text"] for r in rows if r["split"] == "test"]
    return [pool[i % len(pool)] for i in range(n)]


def child(kind: str, rows: int, model_dir: str | None, workdir: str) -> None:
    from serving.predictor import Predictor

    pred = Predictor(model_dir)
    data = texts(rows)
    start = time.perf_counter()
    if kind == "raw":
        for i in range(0, rows, 4096):
            pred.predict(data[i : i + 4096])
    else:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        from serving.bulk.score import ScoreConfig, score_file

        src = Path(workdir) / "in.csv"
        pacsv.write_csv(pa.table({"id": [str(i) for i in range(rows)], "text": data}), src)
        start = time.perf_counter()
        score_file(ScoreConfig(str(src), str(Path(workdir) / "out.csv"), progress=False), pred)
    elapsed = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {"kind": kind, "rows": rows, "seconds": elapsed, "rows_per_s": rows / elapsed, "peak_rss_mb": rss_mb}
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--model-dir", default=None)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--workdir", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.rows, args.model_dir, args.workdir)
        return
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("raw", "score"):
            cmd = [sys.executable, __file__, "--child", kind, "--rows", str(args.rows), "--workdir", tmp]
            if args.model_dir:
                cmd += ["--model-dir", args.model_dir]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
            results[kind] = json.loads(out)
            print(out)
    ratio = results["score"]["rows_per_s"] / results["raw"]["rows_per_s"]
    print(
        f"churnlens score: {results['score']['rows_per_s']:.1f} rows/s, raw Predictor "
        f"{results['raw']['rows_per_s']:.1f} rows/s -> {ratio:.1%}; peak RSS {results['score']['peak_rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
