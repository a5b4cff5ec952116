"""`churnlens score INPUT -o OUTPUT`: stream a file through the predictor chunk by chunk.

Each scored chunk is committed atomically as a Parquet part in OUTPUT.parts/ (written to a temporary name, then
renamed), with a state file that pins the input, the chunk size and the columns. A run stopped at any point
(Ctrl-C, kill -9) continues with --resume from the last committed chunk; at the end the parts are joined into
OUTPUT in input order (again via a temporary file and a rename) and the parts are removed. So the final output
holds every input row exactly once, in order.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow.parquet as pq

from serving.bulk.annotate import annotate, check_columns
from serving.bulk.summary import Summary
from serving.bulk.tableio import TableWriter, detect_format, read_chunks
from serving.predictor import Predictor


@dataclass(frozen=True)
class ScoreConfig:
    input: str
    output: str
    text_column: str = "text"
    id_column: str | None = None
    input_format: str | None = None
    output_format: str | None = None
    chunk_rows: int = 4096
    resume: bool = False
    progress: bool | None = None  # None: a progress bar only when stderr is a terminal


class ResumeMismatch(RuntimeError):
    pass


def _fingerprint(path: Path) -> dict:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


class Progress:
    def __init__(self, enabled: bool, total_bytes: int) -> None:
        self.enabled, self.total, self.started, self.rows = enabled, total_bytes, time.time(), 0

    def update(self, rows: int, done_fraction: float | None) -> None:
        self.rows += rows
        if not self.enabled:
            return
        elapsed = max(1e-6, time.time() - self.started)
        rate = self.rows / elapsed
        eta = ""
        if done_fraction and 0 < done_fraction < 1:
            eta = f" ETA {int(elapsed * (1 - done_fraction) / done_fraction)}s"
        sys.stderr.write(f"\r{self.rows:,} rows  {rate:,.0f} rows/s{eta}   ")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def score_file(
    cfg: ScoreConfig,
    predictor: Predictor,
    on_chunk: Callable[[int], None] | None = None,
) -> Summary:
    src, dst = Path(cfg.input), Path(cfg.output)
    in_fmt = detect_format(src, cfg.input_format)
    out_fmt = detect_format(dst, cfg.output_format)
    parts = dst.with_name(dst.name + ".parts")
    state_path = parts / "state.json"
    state = {
        "input": str(src.resolve()),
        "fingerprint": _fingerprint(src),
        "chunk_rows": cfg.chunk_rows,
        "text_column": cfg.text_column,
        "input_format": in_fmt,
        "model": predictor.model_name,
    }
    if parts.exists():
        if not cfg.resume:
            raise ResumeMismatch(f"{parts} exists from an earlier run: pass --resume to continue it, or delete it")
        old = json.loads(state_path.read_text()) if state_path.is_file() else {}
        if old != state:
            changed = sorted(k for k in state if old.get(k) != state[k])
            raise ResumeMismatch(f"cannot resume: {', '.join(changed)} changed since the interrupted run")
    else:
        parts.mkdir(parents=True)
        state_path.write_text(json.dumps(state, indent=2))

    progress = Progress(cfg.progress if cfg.progress is not None else sys.stderr.isatty(), src.stat().st_size)
    summary = Summary(model=predictor.model_name)
    chunks = read_chunks(src, in_fmt, cfg.chunk_rows, cfg.text_column)
    for index, table in enumerate(chunks):
        if index == 0:
            check_columns(table.schema, cfg.text_column)
            if cfg.id_column and cfg.id_column not in table.column_names:
                raise ValueError(f"id column {cfg.id_column!r} not in the input")
        part = parts / f"part-{index:06d}.parquet"
        if part.exists():  # committed by an earlier run
            summary.add_table(pq.read_table(part, columns=Summary.COLUMNS))
            progress.update(table.num_rows, None)
            continue
        scored = annotate(table, predictor, cfg.text_column)
        tmp = part.with_suffix(".tmp")
        pq.write_table(scored, tmp)
        os.replace(tmp, part)
        summary.add_table(scored)
        progress.update(table.num_rows, None)
        if on_chunk is not None:
            on_chunk(index)
    progress.close()

    tmp_out = dst.with_name(dst.name + ".tmp")
    writer = TableWriter(tmp_out, out_fmt)
    for part in sorted(parts.glob("part-*.parquet")):
        writer.write(pq.read_table(part))
    writer.close()
    if not tmp_out.exists():  # an empty input: still write an empty output
        tmp_out.write_text("")
    os.replace(tmp_out, dst)
    (dst.with_name(dst.name + ".summary.json")).write_text(json.dumps(summary.to_json(), indent=2) + "\n")
    shutil.rmtree(parts)
    return summary


def config_json(cfg: ScoreConfig) -> str:
    return json.dumps(asdict(cfg))
