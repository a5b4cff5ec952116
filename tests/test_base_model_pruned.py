"""The pruned vocabulary keeps Scandinavian and English text intact."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import SHARED_DATA, embed_hf

pytest.importorskip("transformers")


def _fast(model_dir):
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(tokenizer_file=str(model_dir / "tokenizer.json"))


def test_pruned_size(pruned_dir):
    config = json.loads((pruned_dir / "config.json").read_text())
    assert 30_000 <= config["vocab_size"] <= 60_000
    assert (pruned_dir / "model.safetensors").stat().st_size < 200_000_000


def _same_segmentation(full_dir, pruned_dir, words: list[str]) -> list[bool]:
    full, pruned = _fast(full_dir).backend_tokenizer, _fast(pruned_dir).backend_tokenizer
    a = full.encode_batch(words, add_special_tokens=False)
    b = pruned.encode_batch(words, add_special_tokens=False)
    return [x.tokens == y.tokens for x, y in zip(a, b, strict=True)]


def test_heldout_wordlist_words_segment_identically(full_dir, pruned_dir):
    """Words held out of the pruning lists: weighted by how often they occur, and (looser) per distinct word."""
    import wordfreq

    from training.base_model.prune import is_heldout_word, wordfreq_words

    for lang in ("sv", "da", "nb"):
        heldout = [w for w in wordfreq_words(lang) if is_heldout_word(w)]
        assert len(heldout) >= 2000
        same = np.array(_same_segmentation(full_dir, pruned_dir, heldout))
        freq = np.array([wordfreq.word_frequency(w, lang) for w in heldout])
        weighted = float((same * freq).sum() / freq.sum())
        assert weighted >= 0.99, (lang, weighted)
        assert same.mean() >= 0.95, (lang, same.mean())


def test_heldout_running_text_segments_identically(full_dir, pruned_dir):
    """Every word occurrence in real reviews held out of the pruning corpus (needs ../shared/data)."""
    from training.base_model.prune import is_heldout_text, jsonl_texts

    words = [w for t in jsonl_texts(SHARED_DATA) if is_heldout_text(t) for w in t.split()]
    if len(words) < 10_000:
        pytest.skip("../shared/data is not here")
    same = np.array(_same_segmentation(full_dir, pruned_dir, words))
    assert same.mean() >= 0.99, same.mean()


def test_no_unknown_on_ordinary_text(pruned_dir, complaints):
    texts = [s for m in complaints["meanings"] for s in m] + complaints["extra"]["nn"]
    texts += ["Hej! Jeg har IKKE fået svar 😡 ordre #A-55123, ring 070-123 45 67", "Blåbär, æblegrød, øl og ål."]
    for path in sorted(SHARED_DATA.glob("*/texts.jsonl"))[:5]:
        with path.open(encoding="utf-8") as fh:
            texts += [json.loads(line)["text"] for _, line in zip(range(300), fh, strict=False)]
    tok = _fast(pruned_dir)
    unk = tok.unk_token_id
    with_unk = [t for t, ids in zip(texts, tok(texts)["input_ids"], strict=True) if unk in ids]
    assert not with_unk, with_unk[:3]


def test_pruned_embeddings_equal_full(full_dir, pruned_dir, test_sentences):
    full = embed_hf(full_dir, test_sentences)
    pruned = embed_hf(pruned_dir, test_sentences)
    cos = (full * pruned).sum(1)
    assert cos.min() >= 0.9999, cos.min()


def test_crosslingual_nearest_neighbour_has_same_meaning(pruned_dir, complaints):
    langs, meanings = complaints["languages"], complaints["meanings"]
    assert len(meanings) >= 24 and len(langs) == 4
    texts = [s for m in meanings for s in m]
    labels = np.repeat(np.arange(len(meanings)), len(langs))
    emb = embed_hf(pruned_dir, texts)
    sim = emb @ emb.T
    np.fill_diagonal(sim, -np.inf)
    nearest = sim.argmax(1)
    accuracy = float((labels[nearest] == labels).mean())
    assert accuracy >= 0.90, accuracy
