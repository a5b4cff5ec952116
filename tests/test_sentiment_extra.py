"""Sentiment-only extras: drawn in the stated mix, never a labelled or held-out text, and the loop trains on them."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path

import pytest

from training.data.sentiment_extra import (
    NOREC_SOURCE,
    sentiment_extra_rows,
    stars_to_sentiment,
    train_and_dev,
)

WORDS = "leveransen kom fram till slut men kundtjänsten svarade aldrig på mina frågor om fakturan".split()  # noqa: SIM905


def _text(i: int) -> str:
    # distinct texts: a rotating word window plus a number, long enough for 5-gram shingles
    return " ".join(WORDS[(i + k) % len(WORDS)] for k in range(8)) + f" order {i} nummer {i * 7}"


def _shared(tmp: Path, n: int = 120) -> Path:
    folder = tmp / "sv_trustpilot_teaelming"
    folder.mkdir(parents=True)
    with (folder / "texts.jsonl").open("w") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"t{i}", "lang": "sv", "text": _text(i), "stars": 1 + i % 5}) + "\n")
    norec = tmp / NOREC_SOURCE
    norec.mkdir()
    with (norec / "texts.jsonl").open("w") as fh:
        for i, pol in enumerate(["positive", "negative", "neutral", "mixed"] * 10):
            split = "train" if i < 36 else "test"
            fh.write(
                json.dumps(
                    {
                        "id": f"n{i}",
                        "lang": "nb/nn",
                        "text": f"filmen er {pol} fordi {i} ganger",
                        "split": split,
                        "sentence_polarity": pol,
                    }
                )
                + "\n"
            )
    return tmp


def _labelled(text: str, split: str, id_: str) -> dict:
    return {"id": id_, "text": text, "split": split, "reason": "none", "sentiment": "neutral"}


def test_stars_map_to_sentiment():
    assert [stars_to_sentiment(s) for s in range(1, 6)] == ["negative"] * 2 + ["neutral"] + ["positive"] * 2


def test_extras_skip_labelled_and_held_out_text(tmp_path):
    shared = _shared(tmp_path)
    labelled = [
        _labelled("helt annan text om något annat", "train", "sv_trustpilot_teaelming/t0"),  # labelled by id
        _labelled(_text(1).upper(), "train", "x1"),  # same text, other case
        _labelled(_text(2) + " tack", "dev", "x2"),  # a near-duplicate of a dev text
    ]
    rows = sentiment_extra_rows(labelled, 60, shared_dir=shared)
    ids = {r["id"] for r in rows}
    assert not ids & {"sv_trustpilot_teaelming/t0", "sv_trustpilot_teaelming/t1", "sv_trustpilot_teaelming/t2"}
    assert all(r["reason"] == "" and r["split"] == "train" for r in rows)
    assert len({r["text"] for r in rows}) == len(rows)
    assert not any("mixed" in r["text"] for r in rows)  # NoReC's mixed sentences have no 3-way label
    got = Counter(r["sentiment"] for r in rows)
    assert got["negative"] > got["positive"] > got["neutral"] > 0
    assert {r["source"] for r in rows} == {"sv_trustpilot_teaelming", NOREC_SOURCE}
    # the draw is fixed by the seed
    assert rows == sentiment_extra_rows(labelled, 60, shared_dir=shared)


def test_without_shared_data_there_are_no_extras(tmp_path):
    assert sentiment_extra_rows([], 50, shared_dir=tmp_path / "missing") == []
    assert sentiment_extra_rows([], 0, shared_dir=_shared(tmp_path)) == []


def test_train_and_dev_adds_extras_to_train_only(tmp_path):
    shared = _shared(tmp_path)
    rows = [_labelled("a b c d", "train", "a"), _labelled("e f g h", "dev", "b"), _labelled("i j k", "test", "c")]
    train, dev = train_and_dev(rows, 0, shared_dir=shared)
    assert [r["id"] for r in train] == ["a"] and [r["id"] for r in dev] == ["b"]
    train, dev = train_and_dev(rows, 20, shared_dir=shared)
    assert train[0]["id"] == "a" and len(train) == 21 and all(r["reason"] == "" for r in train[1:])
    assert [r["id"] for r in dev] == ["b"]


def test_loop_trains_with_reasonless_rows(tiny_run, tmp_path):
    pytest.importorskip("torch")
    from tests.conftest import synthetic_rows
    from training.train import train

    cfg = dataclasses.replace(tiny_run[1], output_dir=str(tmp_path / "run"), epochs=2, eval_every=6, batch_size=4)
    extras = [{"text": f"bra film nummer {i}", "reason": "", "sentiment": "positive"} for i in range(8)]
    import torch
    from transformers import AutoTokenizer

    from training.encode import encode_rows
    from training.train import load_model

    best = train(cfg, extras + synthetic_rows(24), synthetic_rows(12))
    model = load_model(best)
    # batches made only of reason-less rows add no reason loss, so nothing turns NaN
    assert all(torch.isfinite(p).all() for p in model.parameters())
    tokenizer = AutoTokenizer.from_pretrained(best / "encoder")
    assert (encode_rows(tokenizer, extras, 32, "head", "").reason == -100).all()
