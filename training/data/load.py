"""Load every labelled source into one `datasets.DatasetDict` (train / dev / test) with a single schema.

Our written messages come from data/written.jsonl. Real reviews are committed as ids and labels only
(data/real_labels.jsonl); their text is joined from ../shared/data at load time, and they are left out, with a
count on the log, when that folder is not there.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from serving.preprocess import normalize_text
from training.data.schema import COLUMNS

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
DATA_DIR = REPO / "data"
SHARED_DATA = REPO.parent / "shared" / "data"
WRITTEN_FILE = "written.jsonl"
REAL_FILE = "real_labels.jsonl"


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if line:
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from exc


def shared_texts(ids: set[str], shared_dir: Path = SHARED_DATA) -> dict[str, str]:
    """Texts of the wanted "<folder>/<id>" ids, read from ../shared/data."""
    out: dict[str, str] = {}
    folders = {i.split("/", 1)[0] for i in ids}
    for folder in sorted(folders):
        path = shared_dir / folder / "texts.jsonl"
        if not path.is_file():
            continue
        for row in read_jsonl(path):
            key = f"{folder}/{row['id']}"
            if key in ids:
                out[key] = row["text"]
    return out


def written_rows(data_dir: Path = DATA_DIR) -> list[dict[str, Any]]:
    path = data_dir / WRITTEN_FILE
    if not path.is_file():
        return []
    return [
        {
            "id": r["id"],
            "text": normalize_text(r["text"]),
            "reason": r["reason"],
            "sentiment": r["sentiment"],
            "language": r["language"],
            "kind": r["kind"],
            "hard": r["hard"],
            "origin": "written",
            "source": "written",
            "split": r["split"],
        }
        for r in read_jsonl(path)
    ]


def real_rows(data_dir: Path = DATA_DIR, shared_dir: Path = SHARED_DATA) -> list[dict[str, Any]]:
    path = data_dir / REAL_FILE
    if not path.is_file():
        return []
    labels = list(read_jsonl(path))
    texts = shared_texts({r["id"] for r in labels}, shared_dir)
    missing = sum(r["id"] not in texts for r in labels)
    if missing:
        log.warning("%d of %d real reviews left out: their text is not under %s", missing, len(labels), shared_dir)
    return [
        {
            "id": r["id"],
            "text": normalize_text(texts[r["id"]]),
            "reason": r["reason"],
            "sentiment": r["sentiment"],
            "language": r["language"],
            "kind": "review",
            "hard": False,
            "origin": "real",
            "source": r["source"],
            "split": r["split"],
        }
        for r in labels
        if r["id"] in texts
    ]


def rows_by_source(rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many rows come from each source (written, a ../shared/data folder), sorted by source."""
    return dict(sorted(Counter(r.get("source", r.get("origin", "?")) for r in rows).items()))


def load_rows(data_dir: Path = DATA_DIR, shared_dir: Path = SHARED_DATA) -> list[dict[str, Any]]:
    return written_rows(data_dir) + real_rows(data_dir, shared_dir)


def load_dataset(data_dir: Path = DATA_DIR, shared_dir: Path = SHARED_DATA):
    """A DatasetDict with train / dev / test, every split with the columns of `training.data.schema.COLUMNS`."""
    from datasets import Dataset, DatasetDict, Features, Value

    features = Features({c: Value("bool") if c == "hard" else Value("string") for c in COLUMNS})
    rows = load_rows(data_dir, shared_dir)
    by_split: dict[str, list[dict[str, Any]]] = {"train": [], "dev": [], "test": []}
    for r in rows:
        by_split[r["split"]].append(r)
    return DatasetDict(
        {
            name: Dataset.from_dict({c: [r[c] for r in split_rows] for c in COLUMNS}, features=features)
            for name, split_rows in by_split.items()
        }
    )
