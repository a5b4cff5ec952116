"""Assemble the committed label files from the annotation work files.

Inputs (a work directory, not committed):
  written/<batch>.jsonl                  writers' messages with their own (intended) labels
  labels2/written_second_<batch>.jsonl   a blind second annotator's labels, messages in shuffled order
  labels/written_second_<batch>.jsonl    a blind pass over the messages in the writer's order (the official second
                                         label where no shuffled pass exists, otherwise a third opinion)
  labels/real_A_<nn>.jsonl, real_B_<nn>.jsonl   two blind annotators' labels of real reviews (ids only)
  adjudicate/decided_written*.jsonl, adjudicate/decided_real*.jsonl   an adjudicator's decision where they differ

Outputs: data/written.jsonl (our text, both annotations, final label, split) and data/real_labels.jsonl (ids and
labels only: real review text is never committed). Only items with both annotations are written. A
disagreement is settled by the majority when a third annotator agrees with one side, otherwise by the
adjudicator's decision; an item with neither is left out and counted.

    python -m training.data.assemble /work/tmp
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from serving.labels import LANGUAGES, sentiment_from_stars
from training.data.load import DATA_DIR, REAL_FILE, SHARED_DATA, WRITTEN_FILE, read_jsonl
from training.data.real_sample import read_reviews
from training.data.splits import assign_splits

LABEL_FIELDS = ("reason", "sentiment", "language")


def _index(paths: list[Path]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for p in paths:
        for row in read_jsonl(p):
            out[row["id"]] = {k: row[k] for k in LABEL_FIELDS if k in row}
    return out


def _decide(first: dict, second: dict, adjudicated: dict | None, field: str, third: dict | None = None) -> str | None:
    if first.get(field) == second.get(field):
        return first.get(field)
    if third is not None and third.get(field) in (first.get(field), second.get(field)):
        return third.get(field)
    if adjudicated and field in adjudicated:
        return adjudicated[field]
    return None


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")


def assemble_written(work: Path, out_dir: Path) -> Counter:
    ordered = _index(sorted((work / "labels").glob("written_second_*.jsonl")))
    shuffled = _index(sorted((work / "labels2").glob("written_second_*.jsonl")))
    second = {**ordered, **shuffled}
    adjudicated = _index(sorted((work / "adjudicate").glob("decided_written*.jsonl")))
    report: Counter = Counter()
    rows: list[dict[str, Any]] = []
    for path in sorted((work / "written").glob("*.jsonl")):
        for w in read_jsonl(path):
            report["written"] += 1
            wid = w["wid"]
            if wid not in second:
                report["no_second_label"] += 1
                continue
            writer = {k: w[k] for k in LABEL_FIELDS}
            sec = second[wid]
            adj = adjudicated.get(wid)
            third = ordered.get(wid) if wid in shuffled else None
            final = {f: _decide(writer, sec, adj, f, third) for f in ("reason", "sentiment")}
            if None in final.values():
                report["disagreement_not_adjudicated"] += 1
                continue
            rows.append(
                {
                    "id": f"w-{wid}",
                    "text": w["text"].strip(),
                    "reason": final["reason"],
                    "sentiment": final["sentiment"],
                    "language": w["language"],
                    "kind": w["kind"],
                    "hard": bool(w["hard"]),
                    "hard_type": (w.get("hard_type") or "") if w["hard"] else "",
                    "writer": w.get("persona", ""),
                    "origin": "written",
                    "annotations": {"writer": writer, "second": sec} | ({"third": third} if third else {}),
                    "second_order": "shuffled" if wid in shuffled else "writer",
                    "adjudicated": any(writer.get(f) != sec.get(f) for f in ("reason", "sentiment")),
                }
            )
    splits = assign_splits(
        [r["id"] for r in rows], [r["text"] for r in rows], [f"{r['language']}/{r['reason']}" for r in rows]
    )
    for r, s in zip(rows, splits, strict=True):
        r["split"] = s
    _write_jsonl(out_dir / WRITTEN_FILE, rows)
    report["kept"] = len(rows)
    return report


def assemble_real(work: Path, out_dir: Path, shared_dir: Path = SHARED_DATA) -> Counter:
    labels = work / "labels"
    a = _index(sorted(labels.glob("real_A_*.jsonl")))
    b = _index(sorted(labels.glob("real_B_*.jsonl")))
    adjudicated = _index(sorted((work / "adjudicate").glob("decided_real*.jsonl")))
    wanted = set(a) & set(b)
    reviews = {r.id: r for r in read_reviews(shared_dir) if r.id in wanted}
    report: Counter = Counter(labelled_a=len(a), labelled_b=len(b), both=len(wanted))
    rows: list[dict[str, Any]] = []
    texts: list[str] = []
    for rid in sorted(wanted):
        review = reviews.get(rid)
        if review is None:
            report["not_in_shared_data"] += 1
            continue
        adj = adjudicated.get(rid)
        reason = _decide(a[rid], b[rid], adj, "reason")
        if review.stars is not None:
            sentiment, sentiment_source = sentiment_from_stars(review.stars), "stars"
        else:
            sentiment, sentiment_source = _decide(a[rid], b[rid], adj, "sentiment"), "annotators"
        if reason is None or sentiment is None:
            report["disagreement_not_adjudicated"] += 1
            continue
        language = _decide(a[rid], b[rid], adj, "language")
        if language not in LANGUAGES:
            language = review.language
        rows.append(
            {
                "id": rid,
                "source": review.source,
                "language": language,
                "reason": reason,
                "sentiment": sentiment,
                "sentiment_source": sentiment_source,
                "stars": review.stars,
                "origin": "real",
                "annotations": {"a": a[rid], "b": b[rid]},
                "adjudicated": a[rid].get("reason") != b[rid].get("reason")
                or (sentiment_source == "annotators" and a[rid].get("sentiment") != b[rid].get("sentiment")),
            }
        )
        texts.append(review.text)
    splits = assign_splits([r["id"] for r in rows], texts, [f"{r['language']}/{r['reason']}" for r in rows])
    for r, s in zip(rows, splits, strict=True):
        r["split"] = s
    _write_jsonl(out_dir / REAL_FILE, rows)
    report["kept"] = len(rows)
    return report


def adjudication_queue(work: Path, shared_dir: Path = SHARED_DATA) -> dict[str, int]:
    """Write work/adjudicate/{written,real}.jsonl: items whose annotators disagree with no majority, with the text
    and the competing labels, for a third person to decide."""
    labels = work / "labels"
    ordered = _index(sorted(labels.glob("written_second_*.jsonl")))
    shuffled = _index(sorted((work / "labels2").glob("written_second_*.jsonl")))
    out_dir = work / "adjudicate"
    out_dir.mkdir(exist_ok=True)
    counts = Counter()
    with (out_dir / "written.jsonl").open("w", encoding="utf-8") as fh:
        for path in sorted((work / "written").glob("*.jsonl")):
            for w in read_jsonl(path):
                wid = w["wid"]
                sec = shuffled.get(wid) or ordered.get(wid)
                if sec is None:
                    continue
                third = ordered.get(wid) if wid in shuffled else None
                writer = {k: w[k] for k in LABEL_FIELDS}
                open_fields = [f for f in ("reason", "sentiment") if _decide(writer, sec, None, f, third) is None]
                if open_fields:
                    options = sorted({(x["reason"], x["sentiment"]) for x in (writer, sec, third) if x})
                    fh.write(
                        json.dumps(
                            {
                                "id": wid,
                                "text": w["text"],
                                "undecided": open_fields,
                                "options": [{"reason": r, "sentiment": s} for r, s in options],
                            },
                            ensure_ascii=False,
                        )
                        + "\n"
                    )
                    counts["written"] += 1
    a = _index(sorted(labels.glob("real_A_*.jsonl")))
    b = _index(sorted(labels.glob("real_B_*.jsonl")))
    reviews = {r.id: r for r in read_reviews(shared_dir) if r.id in a and r.id in b}
    with (out_dir / "real.jsonl").open("w", encoding="utf-8") as fh:
        for rid in sorted(reviews):
            review = reviews[rid]
            open_fields = [f for f in ("reason",) if _decide(a[rid], b[rid], None, f) is None]
            if review.stars is None and _decide(a[rid], b[rid], None, "sentiment") is None:
                open_fields.append("sentiment")
            if open_fields:
                options = sorted({(x["reason"], x["sentiment"]) for x in (a[rid], b[rid])})
                fh.write(
                    json.dumps(
                        {
                            "id": rid,
                            "text": review.text,
                            "undecided": open_fields,
                            "options": [{"reason": r, "sentiment": s} for r, s in options],
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
                counts["real"] += 1
    return dict(counts)


def raw_agreement(work: Path) -> dict[str, Any]:
    """Cohen's kappa over every double-labelled item, before any adjudication."""
    from training.data.agreement import cohen_kappa

    ordered = _index(sorted((work / "labels").glob("written_second_*.jsonl")))
    shuffled = _index(sorted((work / "labels2").glob("written_second_*.jsonl")))
    second = {**ordered, **shuffled}
    writer = {}
    for path in sorted((work / "written").glob("*.jsonl")):
        for w in read_jsonl(path):
            writer[w["wid"]] = w
    out: dict[str, Any] = {}
    ids = [i for i in writer if i in second]
    for f in LABEL_FIELDS:
        out[f"written_{f}_kappa"] = round(cohen_kappa([writer[i][f] for i in ids], [second[i][f] for i in ids]), 4)
    out["written_n"] = len(ids)
    a = _index(sorted((work / "labels").glob("real_A_*.jsonl")))
    b = _index(sorted((work / "labels").glob("real_B_*.jsonl")))
    ids = [i for i in a if i in b]
    for f in LABEL_FIELDS:
        out[f"real_{f}_kappa"] = round(cohen_kappa([a[i][f] for i in ids], [b[i][f] for i in ids]), 4)
    out["real_n"] = len(ids)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("work", type=Path, help="annotation work directory")
    parser.add_argument("--out", type=Path, default=DATA_DIR)
    parser.add_argument("--queue", action="store_true", help="write the adjudication queue instead")
    args = parser.parse_args(argv)
    print("agreement before adjudication:", raw_agreement(args.work))
    if args.queue:
        print("to adjudicate:", adjudication_queue(args.work))
        return 0
    print("written:", dict(assemble_written(args.work, args.out)))
    print("real:", dict(assemble_real(args.work, args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
