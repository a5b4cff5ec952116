"""`churnlens data stats`: what the labelled data set holds and how far its annotators agree."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from serving.labels import LANGUAGES, REASONS, sentiment_from_stars
from training.data.agreement import cohen_kappa, percent_agreement
from training.data.dedup import near_duplicate_pairs
from training.data.load import DATA_DIR, REAL_FILE, SHARED_DATA, WRITTEN_FILE, load_rows, read_jsonl


def agreement(rows: list[dict[str, Any]], first: str, second: str) -> dict[str, dict[str, float]]:
    out = {}
    for field in ("reason", "sentiment", "language"):
        pairs = [
            (r["annotations"][first][field], r["annotations"][second][field])
            for r in rows
            if field in r["annotations"][first] and field in r["annotations"][second]
        ]
        if pairs:
            a, b = zip(*pairs, strict=True)
            out[field] = {"kappa": round(cohen_kappa(a, b), 4), "agreement": round(percent_agreement(a, b), 4)}
    return out


def compute_stats(data_dir: Path = DATA_DIR, shared_dir: Path = SHARED_DATA) -> dict[str, Any]:
    rows = load_rows(data_dir, shared_dir)
    written = list(read_jsonl(data_dir / WRITTEN_FILE)) if (data_dir / WRITTEN_FILE).is_file() else []
    real = list(read_jsonl(data_dir / REAL_FILE)) if (data_dir / REAL_FILE).is_file() else []
    stats: dict[str, Any] = {
        "rows_loaded": len(rows),
        "written_rows": len(written),
        "real_labelled_rows": len(real),
        "real_rows_with_text": sum(r["origin"] == "real" for r in rows),
        "by_origin_split": Counter(f"{r['origin']}/{r['split']}" for r in rows),
        "by_language_reason": Counter(f"{r['language']}/{r['reason']}" for r in rows),
        "by_language_reason_split_origin": Counter(
            f"{r['language']}/{r['reason']}/{r['split']}/{r['origin']}" for r in rows
        ),
    }
    if written:
        stats["written"] = {
            "by_language": Counter(r["language"] for r in written),
            "by_reason": Counter(r["reason"] for r in written),
            "by_kind": Counter(r["kind"] for r in written),
            "hard_share": round(sum(r["hard"] for r in written) / len(written), 4),
            "by_hard_type": Counter(r["hard_type"] for r in written if r["hard"]),
            "agreement_writer_vs_second": agreement(written, "writer", "second"),
            "adjudicated": sum(bool(r.get("adjudicated")) for r in written),
        }
        pairs = near_duplicate_pairs([r["text"] for r in written])
        involved = {i for p in pairs for i in p[:2]}
        stats["written"]["near_duplicates"] = {
            "pairs_jaccard_ge_0.7": len(pairs),
            "messages_involved": len(involved),
            "share_of_messages": round(len(involved) / len(written), 4),
        }
    if real:
        starred = [r for r in real if r.get("stars") is not None]
        stats["real"] = {
            "by_language": Counter(r["language"] for r in real),
            "by_reason": Counter(r["reason"] for r in real),
            "by_stars": Counter(str(r.get("stars")) for r in real),
            "by_split": Counter(r["split"] for r in real),
            "agreement_a_vs_b": agreement(real, "a", "b"),
            "adjudicated": sum(bool(r.get("adjudicated")) for r in real),
        }
        if starred:
            stars_sent = [sentiment_from_stars(r["stars"]) for r in starred]
            for who in ("a", "b"):
                ann = [r["annotations"][who]["sentiment"] for r in starred]
                stats["real"][f"sentiment_{who}_vs_stars_kappa"] = round(cohen_kappa(ann, stars_sent), 4)
    return stats


def format_table(stats: dict[str, Any]) -> str:
    counts = stats["by_language_reason"]
    langs = [lang for lang in LANGUAGES if any(k.startswith(lang + "/") for k in counts)]
    lines = ["language x reason (all splits and origins)", "lang  " + " ".join(f"{r[:9]:>9}" for r in REASONS)]
    for lang in langs:
        lines.append(f"{lang:<5} " + " ".join(f"{counts.get(f'{lang}/{r}', 0):>9}" for r in REASONS))
    lines.append("total " + " ".join(f"{sum(counts.get(f'{lang}/{r}', 0) for lang in langs):>9}" for r in REASONS))
    return "\n".join(lines)


def print_stats(data_dir: Path = DATA_DIR, as_json: bool = False) -> None:
    stats = compute_stats(data_dir)
    if as_json:
        print(json.dumps(stats, indent=2, sort_keys=True, ensure_ascii=False))
        return
    print(format_table(stats))
    print()
    print(json.dumps({k: v for k, v in stats.items() if k != "by_language_reason"}, indent=2, sort_keys=True))
