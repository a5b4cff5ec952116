"""Bulk scoring: formats, per-row errors, order and exactly-once, kill -9 / Ctrl-C and --resume, summary, report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from serving.bulk.annotate import OUTPUT_COLUMNS
from serving.bulk.score import ResumeMismatch, ScoreConfig, score_file
from serving.bulk.tableio import INPUT_ERROR, TableWriter, detect_format, read_chunks

TEXTS = ["alldeles för dyrt pris", "otrevlig personal svarar aldrig", "tack så mycket", "", None, "   ", "hej"]


@pytest.fixture(scope="module")
def predictor(tiny_models_dir):
    from serving.predictor import Predictor

    return Predictor(tiny_models_dir / "t1", threads=1)


def _input_table(n_repeat: int = 1) -> pa.Table:
    texts = TEXTS * n_repeat
    return pa.table(
        {
            "row": [str(i) for i in range(len(texts))],
            "text": pa.array(texts, type=pa.string()),
            "store": ["Malmö, 1", 'say "hi"', "ø\næ", "x", "y", "z", "w"] * n_repeat,
        }
    )


def _write(table: pa.Table, path, fmt: str) -> None:
    w = TableWriter(path, fmt)
    w.write(table)
    w.close()


def _read_all(path, fmt=None) -> pa.Table:
    table = pa.concat_tables(list(read_chunks(path, fmt or detect_format(path), 1000)))
    return table.drop_columns([c for c in table.column_names if c == INPUT_ERROR])


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet"])
def test_every_format_round_trips_rows_in_order(tmp_path, predictor, fmt):
    src, dst = tmp_path / f"in.{fmt}", tmp_path / f"out.{fmt}"
    _write(_input_table(3), src, fmt)
    summary = score_file(ScoreConfig(str(src), str(dst), chunk_rows=4), predictor)
    out = _read_all(dst)
    assert out.column("row").to_pylist() == [str(i) for i in range(21)]
    assert out.column("store").to_pylist() == _input_table(3).column("store").to_pylist()
    assert out.column_names[-len(OUTPUT_COLUMNS) :] == OUTPUT_COLUMNS
    errors = out.column("error").to_pylist()
    bad = {i for i, t in enumerate(TEXTS * 3) if not (t or "").strip()}
    assert {i for i, e in enumerate(errors) if e} == bad
    reasons = out.column("reason").to_pylist()
    assert all((reasons[i] in (None, "")) == (i in bad) for i in range(21))
    assert summary.rows == 21 and summary.errors == len(bad)
    assert not (tmp_path / f"out.{fmt}.parts").exists()
    assert json.loads((tmp_path / f"out.{fmt}.summary.json").read_text())["rows"] == 21


def test_non_string_values_get_an_error_not_a_crash(tmp_path, predictor):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": 5}\n{"text": ["a"]}\n{"text": "tack"}\n[1,2]\n{"other": 1}\n', encoding="utf-8")
    score_file(ScoreConfig(str(src), str(tmp_path / "out.jsonl")), predictor)
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(rows) == 5
    assert [r["error"] is None for r in rows] == [False, False, True, False, False]


def test_missing_text_column_is_a_clear_error(tmp_path, predictor):
    src = tmp_path / "in.csv"
    src.write_text("body\nhej\n")
    with pytest.raises(ValueError, match="text column 'text' not in the input"):
        score_file(ScoreConfig(str(src), str(tmp_path / "out.csv")), predictor)


def test_leftover_parts_need_resume(tmp_path, predictor):
    src = tmp_path / "in.csv"
    _write(_input_table(), src, "csv")
    (tmp_path / "out.csv.parts").mkdir()
    with pytest.raises(ResumeMismatch, match="--resume"):
        score_file(ScoreConfig(str(src), str(tmp_path / "out.csv")), predictor)


def _start(src, dst, model_dir, *extra):
    env = {**os.environ, "CHURNLENS_MODEL_DIR": str(model_dir)}
    cmd = [
        sys.executable,
        "-m",
        "churnlens.cli",
        "score",
        str(src),
        "-o",
        str(dst),
        "--chunk-rows",
        "40",
        "--threads",
        "1",
        "--no-progress",
        *extra,
    ]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_interrupted_run_resumes_to_exactly_once_in_order(tmp_path, tiny_models_dir, sig):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    _write(_input_table(300), src, "csv")  # 2,100 rows, 53 chunks
    proc = _start(src, dst, tiny_models_dir / "t1")
    parts = tmp_path / "out.csv.parts"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(parts.glob("part-*.parquet"))) < 3:
        time.sleep(0.05)
    proc.send_signal(sig)
    proc.wait(timeout=30)
    assert proc.returncode != 0, "the run finished before it could be interrupted"
    assert not dst.exists()
    done_before = len(list(parts.glob("part-*.parquet")))
    assert 3 <= done_before < 53
    resumed = _start(src, dst, tiny_models_dir / "t1", "--resume")
    _out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    got = _read_all(dst)
    assert got.column("row").to_pylist() == [str(i) for i in range(2100)]
    straight = tmp_path / "straight.csv"
    ok = _start(src, straight, tiny_models_dir / "t1")
    ok.communicate(timeout=300)
    assert _read_all(straight).column("reason").to_pylist() == got.column("reason").to_pylist()


def test_resume_refuses_a_changed_input(tmp_path, predictor):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    _write(_input_table(), src, "csv")
    parts = tmp_path / "out.csv.parts"
    parts.mkdir()
    (parts / "state.json").write_text(json.dumps({"input": "elsewhere"}))
    with pytest.raises(ResumeMismatch, match="changed"):
        score_file(ScoreConfig(str(src), str(dst), resume=True), predictor)


def test_report_json_and_html(tmp_path, predictor):
    from serving.bulk.report import write_report

    src, dst = tmp_path / "in.parquet", tmp_path / "out.parquet"
    _write(_input_table(5), src, "parquet")
    score_file(ScoreConfig(str(src), str(dst)), predictor)
    json_path, html_path = write_report(dst)
    data = json.loads(json_path.read_text())
    assert data["rows"] == 35 and data["errors"] == 15
    assert data["churn_reasons_vs_classic_study"]["treatment"]["classic_study"] == 0.68
    page = html_path.read_text()
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 3
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")


def test_dataframe_and_iterable_api(predictor):
    pd = pytest.importorskip("pandas")
    from serving.bulk.notebook import score_dataframe, score_texts

    df = pd.DataFrame({"text": ["tack", "", "dyrt"], "n": [1, 2, 3]}, index=[10, 11, 12])
    out = score_dataframe(df, predictor=predictor)
    assert list(out.index) == [10, 11, 12] and list(out["n"]) == [1, 2, 3]
    assert out["error"].isna().tolist() == [True, False, True]
    preds = list(score_texts(iter(["tack", "dyrt"]), predictor=predictor))
    assert [p.reason for p in preds] == [out["reason"][10], out["reason"][12]]
    assert pq  # parquet reader imported for the formats above
