"""Sentiment-only training rows read from ../shared/data at training time (never committed).

Real reviews with their author's star rating (1-2 negative, 3 neutral, 4-5 positive) and NoReC sentences with
their annotated polarity ("mixed" left out) teach the sentiment head real customer language in Swedish, Danish and
Norwegian. They carry no reason label: `reason` is "" and the reason loss skips them.

Nothing that is labelled by us (any split) or a near-duplicate of a dev or test text is drawn, so the extras can
never leak evaluation text into training.
"""

from __future__ import annotations

import logging
import random
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from serving.preprocess import normalize_text
from training.data.dedup import near_duplicate_pairs
from training.data.load import SHARED_DATA, read_jsonl

log = logging.getLogger(__name__)

STAR_SOURCES = ("sv_trustpilot_teaelming", "da_trustpilot_kofoedsan", "sv_trustpilot_neutral_kblab")
NOREC_SOURCE = "no_norec_sentence_fine"
# the shares drawn per sentiment: real complaints lean negative, and neutral is the class the model misses most
MIX = {"negative": 0.4, "neutral": 0.25, "positive": 0.35}
MIN_WORDS = 3
# each sentiment's rows are spread over the sources that have it by these weights: NoReC is critics' prose, not
# customers', so it gets half a share (it is still the only real Norwegian text)
SOURCE_WEIGHT = {**dict.fromkeys(STAR_SOURCES, 1.0), NOREC_SOURCE: 0.5}


def stars_to_sentiment(stars: int) -> str:
    if stars <= 2:
        return "negative"
    return "neutral" if stars == 3 else "positive"


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _candidates(shared_dir: Path) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Candidate rows per (sentiment, source) from every source that is present."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for folder in (*STAR_SOURCES, NOREC_SOURCE):
        path = shared_dir / folder / "texts.jsonl"
        if not path.is_file():
            log.warning("sentiment extras: %s is not there; skipped", path)
            continue
        for r in read_jsonl(path):
            if folder == NOREC_SOURCE:
                if r.get("split") != "train" or r.get("sentence_polarity") not in MIX:
                    continue
                sentiment, language = r["sentence_polarity"], "nb"
            else:
                if not isinstance(r.get("stars"), int):
                    continue
                sentiment, language = stars_to_sentiment(r["stars"]), r.get("lang", "sv")
            text = normalize_text(r["text"])
            if len(text.split()) < MIN_WORDS:
                continue
            out[sentiment, folder].append(
                {
                    "id": f"{folder}/{r['id']}",
                    "text": text,
                    "reason": "",
                    "sentiment": sentiment,
                    "language": language,
                    "kind": "review" if folder != NOREC_SOURCE else "sentence",
                    "hard": False,
                    "origin": "stars" if folder != NOREC_SOURCE else "norec",
                    "source": folder,
                    "split": "train",
                }
            )
    return out


def sentiment_extra_rows(
    labelled: list[dict[str, Any]], n: int, seed: int = 13, shared_dir: Path = SHARED_DATA
) -> list[dict[str, Any]]:
    """`n` sentiment-only rows in the MIX shares, none of them labelled by us or near a dev/test text."""
    if n <= 0:
        return []
    taken_ids = {r["id"] for r in labelled}
    taken_keys = {_key(r["text"]) for r in labelled}
    held_out = [r["text"] for r in labelled if r["split"] != "train"]
    rng = random.Random(seed)
    pools = _candidates(shared_dir)
    quota: dict[tuple[str, str], float] = {}  # rows wanted per (sentiment, source)
    for sentiment, share in MIX.items():
        sources = sorted(f for (s, f) in pools if s == sentiment)
        total_w = sum(SOURCE_WEIGHT[f] for f in sources)
        for folder in sources:
            quota[sentiment, folder] = n * share * SOURCE_WEIGHT[folder] / total_w
    picked: list[dict[str, Any]] = []
    for group, wanted in quota.items():
        pool = [r for r in pools[group] if r["id"] not in taken_ids and _key(r["text"]) not in taken_keys]
        rng.shuffle(pool)
        # draw a margin so that dropping near-duplicates of dev/test still leaves the wanted count
        picked.extend(pool[: round(wanted * 1.2)])
    pairs = near_duplicate_pairs(held_out + [r["text"] for r in picked])
    near = {j - len(held_out) for i, j, _ in pairs if i < len(held_out) <= j}
    kept: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    seen: set[str] = set()
    for k, r in enumerate(picked):
        key = _key(r["text"])
        if k not in near and key not in seen:
            seen.add(key)
            kept[r["sentiment"], r["source"]].append(r)
    out = [r for group in sorted(kept) for r in kept[group][: round(quota[group])]]
    log.info(
        "sentiment extras: %d rows (%s); %d dropped as near-duplicates of dev/test text",
        len(out),
        ", ".join(f"{s} {sum(r['sentiment'] == s for r in out)}" for s in MIX),
        len(near),
    )
    return out


def train_and_dev(
    rows: list[dict[str, Any]], sentiment_extra: int = 0, seed: int = 13, shared_dir: Path = SHARED_DATA
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The training rows (labelled train split plus `sentiment_extra` sentiment-only rows) and the dev rows."""
    train = [r for r in rows if r["split"] == "train"]
    dev = [r for r in rows if r["split"] == "dev"]
    return train + sentiment_extra_rows(rows, sentiment_extra, seed, shared_dir), dev
