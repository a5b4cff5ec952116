"""Ray Data engine on a local Ray (num_cpus=2): the same predictions as the local engine on the same input."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ray = pytest.importorskip("ray")

from serving.bulk.score import ScoreConfig, score_file  # noqa: E402
from serving.bulk.tableio import TableWriter  # noqa: E402


def test_ray_and_local_outputs_identical(tmp_path, tiny_models_dir):
    from serving.bulk.ray_engine import score_with_ray
    from serving.predictor import Predictor

    texts = ["alldeles för dyrt pris", "otrevlig personal", "tack så mycket", "", "Ærlig talt, dårlig service"]
    table = pa.table({"id": [str(i) for i in range(250)], "text": texts * 50})
    src = tmp_path / "in.parquet"
    w = TableWriter(src, "parquet")
    w.write(table)
    w.close()
    model_dir = tiny_models_dir / "t1"
    local = tmp_path / "local.parquet"
    score_file(ScoreConfig(str(src), str(local), chunk_rows=64), Predictor(model_dir, threads=1))
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        # one predictor actor on one of the two CPUs: the read tasks need the other
        out = score_with_ray(str(src), str(tmp_path / "ray"), str(model_dir), batch_size=64, concurrency=1)
    finally:
        ray.shutdown()
    got = pq.read_table(out).sort_by("id")
    want = pq.read_table(local).sort_by("id")
    assert got.num_rows == want.num_rows == 250
    for col in ("id", "text", "reason", "sentiment", "language", "needs_review", "error", "model"):
        assert got.column(col).to_pylist() == want.column(col).to_pylist(), col
    for col in ("p_treatment", "p_none", "p_negative"):
        g, w_ = got.column(col).to_pylist(), want.column(col).to_pylist()
        assert all((a is None and b is None) or abs(a - b) < 1e-6 for a, b in zip(g, w_, strict=True)), col
