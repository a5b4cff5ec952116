"""Fixed train / dev / test splits, stratified by language x reason, with near-duplicates kept together."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence

from training.data.dedup import duplicate_groups, near_duplicate_pairs

DEFAULT_FRACTIONS = {"train": 0.7, "dev": 0.15, "test": 0.15}


def _h(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def assign_splits(
    ids: Sequence[str],
    texts: Sequence[str],
    strata: Sequence[str],
    fractions: dict[str, float] = DEFAULT_FRACTIONS,
    salt: str = "churnlens-split-v1",
) -> list[str]:
    """A split per row. Rows in one near-duplicate group share the split of the group's first member; within each
    stratum groups are ordered by a salted hash of their id and cut by the fractions, so the result is fixed."""
    groups = duplicate_groups(len(texts), near_duplicate_pairs(texts))
    leaders: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        if g == i:
            leaders[strata[i]].append(i)
    split_of_leader: dict[int, str] = {}
    names = list(fractions)
    for stratum in sorted(leaders):
        members = sorted(leaders[stratum], key=lambda i: _h(f"{salt}:{ids[i]}"))
        n = len(members)
        cut, acc = [], 0.0
        for name in names[:-1]:
            acc += fractions[name]
            cut.append(round(acc * n))
        for rank, i in enumerate(members):
            k = sum(rank >= c for c in cut)
            split_of_leader[i] = names[k]
    return [split_of_leader[g] for g in groups]
