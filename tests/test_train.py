"""The training loop on a tiny random BERT: it learns, checkpoints, and a resumed run equals an uninterrupted one."""

from __future__ import annotations

import dataclasses

import pytest

torch = pytest.importorskip("torch")

from serving.labels import REASONS  # noqa: E402
from tests.conftest import synthetic_rows as _rows  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.train import load_model, train  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tiny_run):
    """The shared tiny run's configuration (its tiny random encoder, learning rates, dropout 0)."""
    return tiny_run[1]


def _cfg(tiny: TrainConfig, out, **kw) -> TrainConfig:
    base = dict(output_dir=str(out), max_length=32, epochs=6, eval_every=9, checkpoint_every=9, patience=100)
    return dataclasses.replace(tiny, **(base | kw))


def test_tiny_model_learns_and_saves(tiny, tmp_path):
    best = train(_cfg(tiny, tmp_path / "run"), _rows(48), _rows(12))
    model = load_model(best)
    from transformers import AutoTokenizer

    from training.encode import encode_rows
    from training.train import dev_scores

    tok = AutoTokenizer.from_pretrained(best / "encoder")
    dev = encode_rows(tok, _rows(12), 32, "head_tail", "query: ")
    assert dev_scores(model, dev, torch.device("cpu"))["reason_macro_f1"] > 0.9
    assert len(REASONS) == model.reason_head.out_features


def test_resume_equals_uninterrupted(tiny, tmp_path):
    cfg = _cfg(tiny, tmp_path / "straight", epochs=2, dropout=0.1)
    train(cfg, _rows(48), _rows(12))
    paused = dataclasses.replace(cfg, output_dir=str(tmp_path / "paused"), stop_after=5)
    train(paused, _rows(48), _rows(12))
    train(dataclasses.replace(paused, stop_after=0), _rows(48), _rows(12), resume=True)
    a = torch.load(tmp_path / "straight" / "checkpoint.pt", weights_only=False)
    b = torch.load(tmp_path / "paused" / "checkpoint.pt", weights_only=False)
    assert a["step"] == b["step"] == 12
    for k, v in a["model"].items():
        assert torch.allclose(v, b["model"][k], atol=1e-6), k
