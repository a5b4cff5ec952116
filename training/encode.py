"""Rows to token ids (shared preprocessing, prefix, truncation policy) and length-bucketed padded batches."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from serving.labels import REASONS, SENTIMENTS
from serving.preprocess import head_tail, normalize_text

IGNORE = -100  # torch's CrossEntropyLoss ignore_index


@dataclass
class EncodedSplit:
    ids: list[list[int]]
    reason: np.ndarray
    sentiment: np.ndarray
    truncated: np.ndarray
    pad_id: int

    def __len__(self) -> int:
        return len(self.ids)


def encode_texts(
    tokenizer, texts: list[str], max_length: int, truncation: str = "head_tail", prefix: str = "query: "
) -> tuple[list[list[int]], list[bool]]:
    content = tokenizer([prefix + normalize_text(t) for t in texts], add_special_tokens=False)["input_ids"]
    bos, eos = tokenizer.cls_token_id, tokenizer.sep_token_id
    out, truncated = [], []
    for ids in content:
        if truncation == "head_tail":
            kept, cut = head_tail(ids, max_length - 2)
        elif truncation == "head":
            kept, cut = ids[: max_length - 2], len(ids) > max_length - 2
        else:
            raise ValueError(f"unknown truncation {truncation!r}")
        out.append([bos, *kept, eos])
        truncated.append(cut)
    return out, truncated


def encode_rows(tokenizer, rows: list[dict], max_length: int, truncation: str, prefix: str) -> EncodedSplit:
    ids, truncated = encode_texts(tokenizer, [r["text"] for r in rows], max_length, truncation, prefix)
    return EncodedSplit(
        ids=ids,
        # a row without a reason (sentiment-only extras) gets IGNORE, which the reason loss skips
        reason=np.array([REASONS.index(r["reason"]) if r["reason"] else IGNORE for r in rows], dtype=np.int64),
        sentiment=np.array([SENTIMENTS.index(r["sentiment"]) for r in rows], dtype=np.int64),
        truncated=np.array(truncated, dtype=bool),
        pad_id=tokenizer.pad_token_id,
    )


def pad(seqs: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    return ids, mask


def batches(
    split: EncodedSplit, batch_size: int, shuffle: bool, seed: int = 0, skip: int = 0, bucket: int = 50
) -> Iterator[tuple[np.ndarray, torch.Tensor, torch.Tensor]]:
    """Batches of similar length (little padding). With shuffle, rows are shuffled, sorted by length within
    buckets of `bucket` batches, and the batches shuffled again; the order is fixed by `seed`, and `skip` drops
    the first batches so a resumed run continues exactly where it stopped."""
    n = len(split)
    order = np.arange(n)
    lengths = np.array([len(s) for s in split.ids])
    if shuffle:
        rng = np.random.default_rng(seed)
        order = rng.permutation(n)
        span = batch_size * bucket
        parts = np.split(order, range(span, n, span))
        order = np.concatenate([c[np.argsort(lengths[c], kind="stable")] for c in parts])
        chunks = [order[i : i + batch_size] for i in range(0, n, batch_size)]
        chunks = [chunks[i] for i in rng.permutation(len(chunks))]
    else:
        order = np.argsort(lengths, kind="stable")
        chunks = [order[i : i + batch_size] for i in range(0, n, batch_size)]
    for chunk in chunks[skip:]:
        ids, mask = pad([split.ids[i] for i in chunk], split.pad_id)
        yield chunk, ids, mask
