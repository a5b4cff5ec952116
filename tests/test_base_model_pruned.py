"""The pruned vocabulary keeps Scandinavian and English text intact."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("transformers")

from tests.conftest import SHARED_DATA
from training.base_model import verify


def test_pruned_size(pruned_dir):
    config = json.loads((pruned_dir / "config.json").read_text())
    assert 30_000 <= config["vocab_size"] <= 60_000
    assert (pruned_dir / "model.safetensors").stat().st_size < 200_000_000


def test_heldout_wordlist_words_segment_identically(full_dir, pruned_dir):
    """Words held out of the pruning lists: weighted by how often they occur, and (looser) per distinct word."""
    for lang, r in verify.heldout_wordlists(full_dir, pruned_dir).items():
        assert r["words"] >= 2000
        assert r["weighted"] >= 0.99, (lang, r)
        assert r["distinct"] >= 0.95, (lang, r)


def test_heldout_running_text_segments_identically(full_dir, pruned_dir):
    """Every word occurrence in real reviews held out of the pruning corpus (needs ../shared/data)."""
    r = verify.heldout_running_text(full_dir, pruned_dir, SHARED_DATA)
    if r["words"] < 10_000:
        pytest.skip("../shared/data is not here")
    assert r["identical"] >= 0.99, r


def test_no_unknown_on_ordinary_text(full_dir, pruned_dir, complaints):
    texts = [s for m in complaints["meanings"] for s in m] + complaints["extra"]["nn"]
    texts += ["Hej! Jeg har IKKE fået svar 😡 ordre #A-55123, ring 070-123 45 67", "Blåbär, æblegrød, øl og ål."]
    assert not verify.unknown_tokens(pruned_dir, texts)
    # real reviews: pruning adds no <unk> (a few emoji, like 🤮, are unknown to the full vocabulary already)
    real = []
    for path in sorted(SHARED_DATA.glob("*/texts.jsonl")):
        with path.open(encoding="utf-8") as fh:
            real += [json.loads(line)["text"] for _, line in zip(range(300), fh, strict=False)]
    added = set(verify.unknown_tokens(pruned_dir, real)) - set(verify.unknown_tokens(full_dir, real))
    assert not added, sorted(added)[:3]


def test_pruned_embeddings_equal_full(full_dir, pruned_dir, test_sentences):
    cos = (verify.embed_hf(full_dir, test_sentences) * verify.embed_hf(pruned_dir, test_sentences)).sum(1)
    assert cos.min() >= 0.9999, cos.min()


def test_crosslingual_nearest_neighbour_has_same_meaning(pruned_dir):
    r = verify.crosslingual_nearest(pruned_dir)
    assert r["meanings"] >= 24 and len(r["languages"]) == 4
    assert r["accuracy"] >= 0.90, r
