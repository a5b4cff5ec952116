"""Choose the real reviews from ../shared/data that people label by hand.

Keyword search only decides which texts get read (enriching the sample for the rare reasons); it never decides a
label. The choice is deterministic for a given ../shared/data, so the sample can be rebuilt and audited.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

# folder -> language of its texts
REVIEW_SOURCES: dict[str, str] = {
    "sv_trustpilot_teaelming": "sv",
    "sv_trustpilot_neutral_kblab": "sv",
    "da_trustpilot_kofoedsan": "da",
    "da_telecom3_trustpilot": "da",
}

ENRICH_PATTERNS: dict[str, str] = {
    "died": r"dödsbo|dødsbo|gått bort|gået bort|avliden|afdød|\bdöd\b|\bdød\b|begravning|begravelse|dog i|døde",
    "moved": r"flytta|flytte|flyttet|utomlands|udlandet|ny adress|ny adresse|\bflyt\b",
    "other_contacts": r"bytt till|byter till|byttet til|skiftet til|skifter til|annan leverantör|anden udbyder"
    r"|arbetsgivare|arbejdsgiver|via jobbet|gennem arbejde|bekant|svoger|svåger|min ven|min vän",
    "price": r"pris|dyr|billig|avgift|gebyr|faktura|regning|kostar|koster",
    "quality": r"trasig|sönder|defekt|kvalitet|i stykker|virker ikke|fungerar inte|försen|forsink",
    "treatment": r"otrevlig|bemött|bemøde|uhøflig|arrogant|svarar inte|svarer ikke|ingen svar|ignorer|kundtjänst"
    r"|kundeservice",
    "cancel": r"säga upp|sagt upp|uppsägning|avsluta|opsig|opsagt|lukke min konto|stänga mitt",
}


@dataclass(frozen=True)
class Review:
    id: str  # "<folder>/<source id>"
    source: str
    language: str
    text: str
    stars: int | None


def read_reviews(root: Path = SHARED_DATA) -> Iterator[Review]:
    for folder, lang in REVIEW_SOURCES.items():
        path = root / folder / "texts.jsonl"
        if not path.is_file():
            continue
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                text = row.get("text") or ""
                if len(text.strip()) < 3:
                    continue
                stars = row.get("stars")
                yield Review(f"{folder}/{row['id']}", folder, lang, text, int(stars) if stars is not None else None)


def _rank(review_id: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{review_id}".encode()).hexdigest()


def sample_for_labelling(
    per_language: int = 1600,
    enrich_per_reason: dict[str, int] | None = None,
    root: Path = SHARED_DATA,
) -> list[Review]:
    """Keyword-enriched picks first (rare reasons), then a star-stratified random fill, per language."""
    enrich_per_reason = enrich_per_reason or {
        "died": 80,
        "moved": 220,
        "other_contacts": 180,
        "price": 200,
        "quality": 120,
        "treatment": 160,
        "cancel": 140,
    }
    patterns = {k: re.compile(v, re.IGNORECASE) for k, v in ENRICH_PATTERNS.items()}
    by_lang: dict[str, list[Review]] = {}
    for r in read_reviews(root):
        by_lang.setdefault(r.language, []).append(r)
    chosen: list[Review] = []
    for _lang, reviews in sorted(by_lang.items()):
        reviews.sort(key=lambda r: _rank(r.id, "order"))
        picked: dict[str, Review] = {}
        for reason, quota in enrich_per_reason.items():
            hits = [r for r in reviews if patterns[reason].search(r.text) and r.id not in picked]
            for r in hits[:quota]:
                picked[r.id] = r
        by_stars: dict[int | None, list[Review]] = {}
        for r in reviews:
            if r.id not in picked:
                by_stars.setdefault(r.stars, []).append(r)
        buckets = sorted(by_stars.items(), key=lambda kv: -1 if kv[0] is None else kv[0])
        i = 0
        while len(picked) < per_language and any(bucket for _, bucket in buckets):
            _, bucket = buckets[i % len(buckets)]
            if bucket:
                r = bucket.pop(0)
                picked[r.id] = r
            i += 1
        chosen.extend(sorted(picked.values(), key=lambda r: _rank(r.id, "batch")))
    return chosen
