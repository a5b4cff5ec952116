"""Near-duplicate detection: word 5-gram shingles, MinHash with banded LSH for candidates, exact Jaccard to confirm.

Texts shorter than five words have no 5-gram; they count as duplicates only when their normalised words are equal.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)
_MERSENNE = (1 << 61) - 1


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def shingles(text: str, n: int = 5) -> frozenset[str]:
    w = words(text)
    if len(w) < n:
        return frozenset({" ".join(w)}) if w else frozenset()
    return frozenset(" ".join(w[i : i + n]) for i in range(len(w) - n + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _minhash(sets: Sequence[frozenset[str]], num_perm: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 1 << 32, num_perm, dtype=np.uint64)
    b = rng.integers(0, 1 << 32, num_perm, dtype=np.uint64)
    out = np.full((len(sets), num_perm), np.iinfo(np.uint64).max, dtype=np.uint64)
    for i, s in enumerate(sets):
        if not s:
            continue
        h = np.array([zlib.crc32(x.encode("utf-8")) for x in s], dtype=np.uint64)
        # (a*h + b) mod p with h, a, b < 2**32; a rare uint64 wrap only weakens the hash, and every candidate pair
        # is confirmed with the exact Jaccard anyway
        hv = (h[:, None] * a[None, :] + b[None, :]) % _MERSENNE
        out[i] = hv.min(axis=0)
    return out


def near_duplicate_pairs(
    texts: Sequence[str],
    threshold: float = 0.7,
    num_perm: int = 64,
    bands: int = 16,
    seed: int = 1,
) -> list[tuple[int, int, float]]:
    """All index pairs (i < j) whose word-5-gram Jaccard is >= threshold."""
    sets = [shingles(t) for t in texts]
    sigs = _minhash(sets, num_perm, seed)
    rows = num_perm // bands
    candidates: set[tuple[int, int]] = set()
    for band in range(bands):
        buckets: dict[bytes, list[int]] = defaultdict(list)
        chunk = sigs[:, band * rows : (band + 1) * rows]
        for i, s in enumerate(sets):
            if s:
                buckets[chunk[i].tobytes()].append(i)
        for members in buckets.values():
            if 1 < len(members) <= 200:
                candidates.update((x, y) for k, x in enumerate(members) for y in members[k + 1 :])
    pairs = []
    for i, j in sorted(candidates):
        score = jaccard(sets[i], sets[j])
        if score >= threshold:
            pairs.append((i, j, score))
    return pairs


def duplicate_groups(n: int, pairs: Sequence[tuple[int, int, float]]) -> list[int]:
    """Union-find over the pairs: a group id per index (the smallest index in its group)."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j, _ in pairs:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    return [find(i) for i in range(n)]
