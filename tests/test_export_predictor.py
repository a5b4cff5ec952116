"""Export to int8 ONNX and score with the onnxruntime Predictor: the same answers as torch (the parity test)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from serving.labels import REASONS  # noqa: E402
from training.train import load_model  # noqa: E402

TEXTS = [
    "alldeles för dyrt pris faktura, jag säger upp",
    "otrevlig personal svarar aldrig på mina mejl",
    "tack så mycket bra service",
    "Hej! " * 300 + "otrevlig personal",
    "😡😡😡",
    "Ærlig talt er prisen ikke problemet, det er jeres kundeservice.",
]


@pytest.fixture(scope="module")
def trained(tiny_run):
    return tiny_run


@pytest.fixture(scope="module")
def shipped(tiny_models_dir):
    return tiny_models_dir / "t1"


def _torch_probs(best, cfg, texts):
    from transformers import AutoTokenizer

    from training.encode import encode_texts, pad

    model = load_model(best)
    tok = AutoTokenizer.from_pretrained(best / "encoder")
    ids, _ = encode_texts(tok, texts, cfg.max_length, cfg.truncation, cfg.text_prefix)
    batch, mask = pad(ids, tok.pad_token_id)
    with torch.no_grad():
        r, _s = model(batch, mask)
    return torch.softmax(r, -1).numpy()


def test_int8_onnx_agrees_with_torch(trained, shipped):
    from serving.predictor import Predictor

    best, cfg = trained
    pred = Predictor(shipped, threads=1)
    got = np.array([[p.reason_scores[r] for r in REASONS] for p in pred.predict(TEXTS)])
    want = _torch_probs(best, cfg, TEXTS)
    assert (got.argmax(1) == want.argmax(1)).mean() >= 0.99
    assert np.abs(got - want).max() < 0.05


def test_predictor_fields_and_order(shipped):
    from serving.predictor import Predictor

    pred = Predictor(shipped, threads=1, batch_size=2)
    out = pred.predict(TEXTS, ids=[f"m{i}" for i in range(len(TEXTS))])
    assert [p.id for p in out] == [f"m{i}" for i in range(len(TEXTS))]
    for p in out:
        assert abs(sum(p.reason_scores.values()) - 1) < 1e-4
        assert p.treatment == (p.reason == "treatment")
        assert p.model == "churnlens-t1"
    assert out[3].truncated and not out[0].truncated
    # the same text scores (nearly) the same alone and inside a padded batch: dynamic int8 quantisation picks its
    # activation scale per batch, so batch neighbours move a score by up to ~1e-3, never more
    alone = pred.predict_one(TEXTS[1])
    assert alone.reason_scores == pytest.approx(out[1].reason_scores, abs=3e-3)


def test_predictor_rejects_empty_text_naming_the_index(shipped):
    from serving.predictor import InvalidText, Predictor

    pred = Predictor(shipped, threads=1)
    with pytest.raises(InvalidText, match=r"text\[1\]"):
        pred.predict(["fint", "   \n "])


def test_any_text_is_scored_or_rejected_by_name(shipped):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from serving.predictor import InvalidText, Predictor
    from serving.preprocess import normalize_text

    pred = Predictor(shipped, threads=1)

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.lists(st.text(max_size=400), min_size=1, max_size=5))
    def check(texts):
        if any(not normalize_text(t) for t in texts):
            with pytest.raises(InvalidText):
                pred.predict(texts)
            return
        out = pred.predict(texts)
        assert len(out) == len(texts)
        for p in out:
            assert abs(sum(p.reason_scores.values()) - 1) < 1e-3 and p.language

    check()


def test_quantised_graph_is_int8_with_weight_only_ffn(shipped):
    """Attention and embeddings are dynamic int8; every feed-forward MatMul is 8-bit weight-only (MatMulNBits);
    no float MatMul is left."""
    import onnx

    graph = onnx.load(str(shipped / "model.onnx")).graph
    ops = [n.op_type for n in graph.node]
    nbits = [n for n in graph.node if n.op_type == "MatMulNBits"]
    layers = 2  # the tiny encoder's
    assert len(nbits) == 2 * layers
    assert all({a.name: a.i for a in n.attribute}["bits"] == 8 for n in nbits)
    assert "MatMul" not in ops
    assert any(op in ops for op in ("QAttention", "DynamicQuantizeMatMul", "MatMulInteger"))


def test_shipped_default_model_fits_the_budget():
    """The committed default: int8 ONNX at most 60 MB with its tokenizer, labels and metrics beside it."""
    import json

    from serving.model_files import current_model_dir

    current = current_model_dir()
    assert (current / "model.onnx").stat().st_size <= 60_000_000
    labels = json.loads((current / "labels.json").read_text())
    assert labels["reasons"] == list(REASONS) and labels["temperature"]["reason"] > 0
    metrics = json.loads((current / "metrics.json").read_text())
    assert metrics["parity_test_split"]["reason_agreement"] >= 0.99
    assert (current / "tokenizer.json").is_file()
