"""The loop end to end on a tiny random BERT: feedback -> retrain -> gate -> promotion -> API reload."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import shutil

import pytest
from sqlalchemy import text

pytest.importorskip("torch")

from serving.feedback.store import FeedbackIn, FeedbackStore
from serving.labels import REASONS
from tests.conftest import synthetic_rows
from training.retrain import GateConfig, compare, merge_corrections, retrain


def _dataset(seed: int = 0) -> list[dict]:
    rows = []
    for split, n in (("train", 48), ("dev", 12), ("test", 15)):
        for i, r in enumerate(synthetic_rows(n)):
            rows.append(
                {
                    **r,
                    "id": f"{split}-{i}",
                    "text": f"{r['text']} {split}",
                    "language": "sv",
                    "kind": "email",
                    "hard": False,
                    "origin": "written",
                    "source": "written",
                    "split": split,
                }
            )
    return rows


@pytest.fixture
def models(tmp_path, tiny_models_dir):
    dst = tmp_path / "models"
    shutil.copytree(tiny_models_dir, dst)
    return dst


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = FeedbackStore(f"sqlite:///{tmp_path / 'fb.sqlite3'}")
    else:
        url = os.environ.get("CHURNLENS_TEST_POSTGRES_URL")
        if not url:
            if os.environ.get("CI"):
                pytest.fail("CI must provide CHURNLENS_TEST_POSTGRES_URL (.ci/run starts PostgreSQL)")
            pytest.skip("no PostgreSQL: set CHURNLENS_TEST_POSTGRES_URL")
        s = FeedbackStore(url)
        with s.engine.begin() as conn:
            conn.execute(text("DELETE FROM feedback"))
    yield s
    s.close()


def _cfg(tiny_run):
    _, cfg = tiny_run
    return dataclasses.replace(cfg, epochs=4, eval_every=12, patience=100)


def test_merge_newest_correction_wins_and_new_texts_join_train():
    rows = _dataset()
    corrections = [
        {"id": 1, "text": rows[0]["text"], "corrected_reason": "quality", "corrected_sentiment": None},
        {"id": 2, "text": rows[0]["text"], "corrected_reason": "moved", "corrected_sentiment": None},
        {"id": 3, "message_id": "dev-1", "text": None, "corrected_reason": "died", "corrected_sentiment": None},
        {"id": 4, "text": "Helt ny text", "corrected_reason": "price", "corrected_sentiment": "negative"},
    ]
    merged, stats = merge_corrections(rows, corrections)
    assert merged[0]["reason"] == "moved"
    assert next(r for r in merged if r["id"] == "dev-1")["reason"] == "died"
    assert merged[-1]["text"] == "Helt ny text" and merged[-1]["split"] == "train"
    assert stats == {"relabelled": 3, "added": 1, "unmatched_id_only": 0}
    assert rows[0]["reason"] != "moved"  # the input is not modified


def test_gate_arithmetic():
    def report(macro, per):
        return {
            "reason": {"macro_f1": macro, "per_class": {r: {"f1": per.get(r, 0.9)} for r in REASONS}},
            "sentiment": {"macro_f1": 0.8},
        }

    gate = GateConfig(0.005, 0.03)
    assert compare(report(0.896, {}), report(0.9, {}), gate)["passed"]
    assert not compare(report(0.89, {}), report(0.9, {}), gate)["passed"]
    out = compare(report(0.9, {"price": 0.86}), report(0.9, {}), gate)
    assert not out["passed"] and out["worst_class"] == "price"


def test_nothing_to_do_without_new_corrections(models, store, tiny_run, pruned_dir):
    result = retrain(_dataset(), store, models, str(pruned_dir), _cfg(tiny_run))
    assert result.outcome == "nothing_to_do" and result.exit_code == 0
    assert (models / "current").read_text().strip() == "t1"


def test_gate_rejects_a_model_trained_on_shuffled_labels(models, store, tiny_run, tmp_path):
    rows = _dataset()
    train = [r for r in rows if r["split"] == "train"]
    labels = [r["reason"] for r in train]
    random.Random(3).shuffle(labels)
    for r, lab in zip(train, labels, strict=True):
        r["reason"] = lab
    store.add(FeedbackIn(annotator="a", text=rows[1]["text"], corrected_reason=rows[1]["reason"]))
    tiny_base = tiny_run[1].model
    result = retrain(
        rows,
        store,
        models,
        tiny_base,
        _cfg(tiny_run),
        warm_start=False,
        work_dir=tmp_path / "w",
        cards_dir=tmp_path / "cards",
    )
    assert result.outcome == "rejected" and result.exit_code == 3, result.comparison
    assert (models / "current").read_text().strip() == "t1" and (models / "t1").is_dir()


def test_feedback_retrain_promote_reload(models, store, tiny_run, tmp_path):
    from litestar.testing import TestClient

    from serving.api.app import create_app
    from serving.api.settings import ServeSettings

    rows = _dataset()
    settings = ServeSettings(api_keys=("k",), threads=1, database_url=store.url, models_dir=str(models))
    auth = {"Authorization": "Bearer k"}
    with TestClient(create_app(settings)) as c:
        assert c.get("/v1/model", headers=auth).json()["version"] == "t1"
        for r in rows[:5]:
            body = {
                "text": r["text"],
                "annotator": "agent-1",
                "model_version": "t1",
                "predicted_reason": r["reason"],
                "corrected_reason": r["reason"],
            }
            assert c.post("/v1/feedback", json=body, headers=auth).status_code == 201
        tiny_base = tiny_run[1].model
        result = retrain(
            rows,
            store,
            models,
            tiny_base,
            _cfg(tiny_run),
            warm_start=False,
            version="t2",
            work_dir=tmp_path / "w",
            cards_dir=tmp_path / "cards",
        )
        assert result.outcome == "promoted", result.comparison
        assert (models / "current").read_text().strip() == "t2"
        assert not (models / "t1").exists() and (models / "t2" / "model.onnx").is_file()
        card = (tmp_path / "cards" / "t2.md").read_text()
        assert "Compared with t1" in card
        from training.model_card import CARDS_DIR

        assert not (CARDS_DIR / "t2.md").exists()  # tests never write into the repository
        newest = max(r["id"] for r in store.iter_rows())
        assert json.loads((models / "t2" / "metrics.json").read_text())["feedback_max_id"] == newest
        # the running API picks the new model up through hot reload
        r = c.post("/v1/admin/reload", headers=auth)
        assert r.status_code == 200 and r.json() == {"previous": "t1", "current": "t2"}
        assert c.post("/v1/classify", json={"text": "tack"}, headers=auth).json()["model"] == "churnlens-t2"
    # and with nothing new since t2, the next run does nothing
    again = retrain(rows, store, models, tiny_base, _cfg(tiny_run), warm_start=False, work_dir=tmp_path / "w2")
    assert again.outcome == "nothing_to_do"
