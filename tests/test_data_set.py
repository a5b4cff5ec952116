"""The committed data set: every row valid, the promised counts, agreement, no duplicates across splits."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from serving.labels import KINDS, REASONS
from tests.conftest import SHARED_DATA
from training.data.dedup import near_duplicate_pairs
from training.data.load import DATA_DIR, REAL_FILE, WRITTEN_FILE, load_dataset, read_jsonl
from training.data.schema import COLUMNS, real_row_errors, written_row_errors
from training.data.stats import agreement


@pytest.fixture(scope="module")
def written() -> list[dict]:
    return list(read_jsonl(DATA_DIR / WRITTEN_FILE))


@pytest.fixture(scope="module")
def real() -> list[dict]:
    return list(read_jsonl(DATA_DIR / REAL_FILE))


def test_every_written_row_is_valid(written):
    errors = [e for r in written for e in written_row_errors(r)]
    assert not errors, errors[:10]
    assert len({r["id"] for r in written}) == len(written)


def test_every_real_row_is_valid_and_has_no_text(real):
    errors = [e for r in real for e in real_row_errors(r)]
    assert not errors, errors[:10]
    assert len({r["id"] for r in real}) == len(real)


def test_written_counts(written):
    assert len(written) >= 4000
    langs = Counter(r["language"] for r in written)
    for lang, minimum in {"sv": 900, "da": 900, "nb": 900, "nn": 300, "en": 300}.items():
        assert langs[lang] >= minimum, (lang, langs[lang])
    reasons = Counter(r["reason"] for r in written)
    for reason in REASONS:
        assert reasons[reason] >= (900 if reason in ("none", "treatment") else 400), (reason, reasons[reason])
    assert set(Counter(r["kind"] for r in written)) == set(KINDS)
    assert sum(r["hard"] for r in written) / len(written) >= 0.30


def test_written_near_duplicates_under_one_percent(written):
    pairs = near_duplicate_pairs([r["text"] for r in written])
    involved = {i for p in pairs for i in p[:2]}
    assert len(involved) / len(written) < 0.01, len(involved)


def test_no_near_duplicate_crosses_a_split(written):
    pairs = near_duplicate_pairs([r["text"] for r in written])
    crossing = [(written[i]["id"], written[j]["id"]) for i, j, _ in pairs if written[i]["split"] != written[j]["split"]]
    assert not crossing


def test_agreement_on_reason(written, real):
    assert agreement(written, "writer", "second")["reason"]["kappa"] >= 0.75
    assert agreement(real, "a", "b")["reason"]["kappa"] >= 0.75


def test_real_sample_size_and_splits(real):
    assert len(real) >= 3000
    assert sum(r["split"] in ("dev", "test") for r in real) >= 800
    assert {r["language"] for r in real} >= {"sv", "da"}
    assert {r["stars"] for r in real} >= {1, 2, 3, 4, 5}


def test_committed_files_hold_no_shared_text():
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not here")
    shared = set()
    for path in SHARED_DATA.glob("*/texts.jsonl"):
        for row in read_jsonl(path):
            if len(row["text"]) >= 40:
                shared.add(" ".join(row["text"].lower().split()))
    for path in Path(DATA_DIR).glob("*.jsonl"):
        for row in read_jsonl(path):
            text = row.get("text")
            assert not (text and " ".join(text.lower().split()) in shared), (path.name, row["id"])


def test_loader_returns_one_schema(tmp_path):
    ds = load_dataset()
    assert set(ds) == {"train", "dev", "test"}
    for split in ds.values():
        assert tuple(split.column_names) == COLUMNS
    origins = Counter(o for split in ds.values() for o in split["origin"])
    if SHARED_DATA.is_dir():
        assert origins["real"] >= 3000
    # without ../shared/data the written messages still load and real reviews are left out
    without = load_dataset(shared_dir=tmp_path)
    assert sum(len(s) for s in without.values()) == origins["written"]
    assert json.dumps(without["train"][0], ensure_ascii=False)
