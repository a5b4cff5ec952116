"""Prune the 250k-piece vocabulary to what Swedish, Danish, Norwegian (nb/nn) and English text needs.

Kept:
- every piece that the full tokenizer uses on the wordfreq word lists (the most frequent words lower-case, the most
  frequent of those also capitalised) and on our own messages in data/ (the only Nynorsk source of any size);
- every piece used at least `min_text_count` times in the real reviews under ../shared/data when present (rarer
  pieces there are names and typos, which still segment into shorter kept pieces);
- every single-character piece (with or without the leading `▁`), every short digit piece, the special tokens.

Because every piece on a word's best path is kept, and removing pieces only removes competing paths, those words
segment exactly as before. A deterministic tenth of each word list, and of the texts, is held out of the corpus,
so that tests can measure how often unseen words still segment identically.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from training.base_model.e5bin import E5Bin
from training.base_model.tokenizer import METASPACE, SPECIALS, build_tokenizer

WORDFREQ_LANGS = ("sv", "da", "nb", "en")
WORDS_PER_LANG = 50_000
CAPITALISED_PER_LANG = 20_000
MIN_TEXT_COUNT = 2
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
OWN_DATA = Path(__file__).resolve().parents[2] / "data"


def is_heldout_word(word: str) -> bool:
    return hashlib.sha1(word.lower().encode("utf-8")).digest()[0] % 10 == 0


def is_heldout_text(text: str) -> bool:
    return hashlib.sha1(text.encode("utf-8")).digest()[1] % 10 == 0


def wordfreq_words(lang: str, n: int = WORDS_PER_LANG) -> list[str]:
    import wordfreq

    return [w for w in wordfreq.top_n_list(lang, n) if any(ch.isalpha() for ch in w)]


def jsonl_texts(root: Path) -> Iterator[str]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                text = json.loads(line).get("text")
                if isinstance(text, str) and text:
                    yield text


def prune_words(
    n: int = WORDS_PER_LANG, capitalised: int = CAPITALISED_PER_LANG, own_data: Path = OWN_DATA
) -> list[str]:
    words: list[str] = list(jsonl_texts(own_data))
    for lang in WORDFREQ_LANGS:
        ranked = [w for w in wordfreq_words(lang, n) if not is_heldout_word(w)]
        words.extend(ranked)
        words.extend(w[:1].upper() + w[1:] for w in ranked[:capitalised] if w[:1].islower())
    return words


def prune_texts(shared_data: Path = SHARED_DATA) -> Iterator[str]:
    for text in jsonl_texts(shared_data):
        if not is_heldout_text(text):
            yield text


def _is_short_digit_piece(piece: str) -> bool:
    body = piece.removeprefix(METASPACE)
    return 0 < len(body) <= 3 and body.isdigit()


def select_pieces(
    b: E5Bin,
    words: Iterable[str],
    texts: Iterable[str] = (),
    min_text_count: int = MIN_TEXT_COUNT,
    batch: int = 4096,
) -> list[int]:
    """Sorted ids of the pieces to keep."""
    keep: set[int] = set()
    for i, p in enumerate(b.pieces):
        body = p.removeprefix(METASPACE)
        if p in SPECIALS or len(body) == 1 or p == METASPACE or _is_short_digit_piece(p):
            keep.add(i)
    tok = build_tokenizer(b.pieces, b.scores.tolist(), b.norm_map, unk_id=b.unk)
    for chunk in _batches(words, batch):
        for enc in tok.encode_batch(chunk, add_special_tokens=False):
            keep.update(enc.ids)
    counts: Counter[int] = Counter()
    for chunk in _batches(texts, batch):
        for enc in tok.encode_batch(chunk, add_special_tokens=False):
            counts.update(enc.ids)
    keep.update(i for i, c in counts.items() if c >= min_text_count)
    return sorted(keep)


def _batches(items: Iterable[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
