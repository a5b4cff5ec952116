"""Near-duplicate detection, split assignment, agreement and preprocessing on small made-up inputs."""

from __future__ import annotations

import pytest

from serving.labels import sentiment_from_stars
from serving.preprocess import head_tail, normalize_text
from training.data.agreement import cohen_kappa
from training.data.dedup import duplicate_groups, near_duplicate_pairs
from training.data.splits import assign_splits

BASE = (
    "Hej, jag har nu väntat i tre veckor på ett svar från er kundtjänst angående min faktura "
    "och ingen har hört av sig trots att ni lovade att ringa tillbaka"
)


def test_near_duplicates_found_and_distinct_texts_not():
    texts = [
        BASE,
        BASE.replace("ringa tillbaka", "ringa upp"),  # last word changed: still a near-duplicate
        "Priset har höjts två gånger i år och nu byter vi till ett billigare bolag i stället för er.",
        "Vi flyttar till Oslo i augusti och behöver därför säga upp bredbandet från och med första.",
    ]
    pairs = near_duplicate_pairs(texts)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]
    assert pairs[0][2] >= 0.7
    assert duplicate_groups(4, pairs) == [0, 0, 2, 3]


def test_short_texts_are_duplicates_only_when_equal():
    pairs = near_duplicate_pairs(["För dyrt!", "för dyrt", "För dyrt och dåligt"])
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]


def test_splits_are_fixed_stratified_and_keep_duplicates_together():
    ids = [f"id{i}" for i in range(200)]
    texts = [f"meddelande nummer {i} om något helt eget ämne {i * 7} med fler ord {i * 13}" for i in range(200)]
    texts[5] = BASE
    texts[150] = BASE + " tack"
    strata = ["sv/price" if i % 2 else "da/none" for i in range(200)]
    s1 = assign_splits(ids, texts, strata)
    assert s1 == assign_splits(ids, texts, strata)
    assert s1[5] == s1[150]
    for stratum in ("sv/price", "da/none"):
        members = [s for s, st in zip(s1, strata, strict=True) if st == stratum]
        assert 0.6 <= members.count("train") / len(members) <= 0.8
        assert members.count("dev") >= 10 and members.count("test") >= 10


def test_cohen_kappa_known_values():
    a = ["x", "x", "y", "y"]
    assert cohen_kappa(a, a) == 1.0
    assert cohen_kappa(a, ["x", "y", "x", "y"]) == pytest.approx(0.0)
    with pytest.raises(ValueError):
        cohen_kappa(a, a[:3])


def test_sentiment_from_stars():
    assert [sentiment_from_stars(s) for s in (1, 2, 3, 4, 5)] == ["negative"] * 2 + ["neutral"] + ["positive"] * 2
    with pytest.raises(ValueError):
        sentiment_from_stars(0)


def test_normalize_text_composes_and_strips_controls():
    assert normalize_text("  Bla\u030aba\u0308r\x00\x07 ") == "Blåbär"
    assert normalize_text("rad ett\nrad två") == "rad ett\nrad två"


def test_head_tail_keeps_both_ends():
    ids = list(range(100))
    kept, truncated = head_tail(ids, 10)
    assert truncated and kept == [0, 1, 2, 3, 4, 95, 96, 97, 98, 99]
    assert head_tail(ids[:5], 10) == (ids[:5], False)
