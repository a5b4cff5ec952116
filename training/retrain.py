"""`churnlens retrain`: corrections in, a better model out, never a worse one.

1. Read the corrections from the feedback store; with none newer than those the current model saw, do nothing.
2. Merge: a correction wins over an older label of the same text (matched by the normalised text's hash, or by a
   message id equal to a data-set id); corrections of texts we have never seen join the training split.
3. Fine-tune a candidate from the current model's training run (warm start) or from the base encoder.
4. Export the candidate to int8 ONNX in a staging directory and evaluate it and the current model on the same
   fixed test split.
5. Gate: promote only if reason macro-F1 drops by at most `max_macro_drop` and no class F1 by more than
   `max_class_drop`. Promotion moves the candidate into models/<version>/, writes its model card with the
   comparison table, switches the manifest atomically, and removes the previous version's files (its card stays).

Exit codes for schedulers: 0 promoted (or nothing to do, said on stdout), 3 rejected by the gate, other non-zero
on failure.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from serving.feedback.store import FeedbackStore, text_hash
from serving.labels import REASONS
from serving.model_files import current_model_dir, switch_current
from training.config import TrainConfig
from training.data.sentiment_extra import train_and_dev

log = logging.getLogger("churnlens.retrain")

PROMOTED, REJECTED = 0, 3


@dataclass(frozen=True)
class GateConfig:
    max_macro_drop: float = 0.005  # reason macro-F1, absolute (0.5 points)
    max_class_drop: float = 0.03  # any class F1, absolute (3 points)


@dataclass
class RetrainResult:
    outcome: str  # "promoted" | "rejected" | "nothing_to_do"
    version: str | None
    comparison: dict[str, Any]
    corrections: int

    @property
    def exit_code(self) -> int:
        return REJECTED if self.outcome == "rejected" else PROMOTED


def merge_corrections(rows: list[dict], corrections: list[dict]) -> tuple[list[dict], dict[str, int]]:
    """Rows with corrections applied (newest correction wins), plus new texts added to train."""
    by_hash = {text_hash(r["text"]): i for i, r in enumerate(rows)}
    by_id = {r["id"]: i for i, r in enumerate(rows)}
    merged = [dict(r) for r in rows]
    stats = {"relabelled": 0, "added": 0, "unmatched_id_only": 0}
    added: dict[str, int] = {}
    for c in sorted(corrections, key=lambda c: c["id"]):  # oldest first, so the newest wins
        idx = None
        if c.get("text"):
            idx = by_hash.get(text_hash(c["text"]))
        if idx is None and c.get("message_id") in by_id:
            idx = by_id[c["message_id"]]
        if idx is None and c.get("text"):
            h = text_hash(c["text"])
            if h not in added:
                if c.get("corrected_reason") is None or c.get("corrected_sentiment") is None:
                    stats["unmatched_id_only"] += 1  # a new text needs both labels to be trained on
                    continue
                merged.append(
                    {
                        "id": f"fb-{c['id']}",
                        "text": c["text"],
                        "reason": c["corrected_reason"],
                        "sentiment": c["corrected_sentiment"],
                        "language": "other",
                        "kind": "email",
                        "hard": False,
                        "origin": "feedback",
                        "source": "feedback",
                        "split": "train",
                    }
                )
                added[h] = len(merged) - 1
                stats["added"] += 1
                continue
            idx = added[h]
        if idx is None:
            stats["unmatched_id_only"] += 1
            continue
        row = merged[idx]
        if c.get("corrected_reason"):
            row["reason"] = c["corrected_reason"]
        if c.get("corrected_sentiment"):
            row["sentiment"] = c["corrected_sentiment"]
        stats["relabelled"] += 1
    return merged, stats


def compare(candidate: dict[str, Any], current: dict[str, Any], gate: GateConfig) -> dict[str, Any]:
    cand_f1 = {r: candidate["reason"]["per_class"][r]["f1"] for r in REASONS}
    cur_f1 = {r: current["reason"]["per_class"][r]["f1"] for r in REASONS}
    macro_drop = current["reason"]["macro_f1"] - candidate["reason"]["macro_f1"]
    class_drops = {r: cur_f1[r] - cand_f1[r] for r in REASONS}
    worst = max(class_drops, key=class_drops.get)
    reasons = []
    if macro_drop > gate.max_macro_drop:
        reasons.append(f"reason macro-F1 drops {100 * macro_drop:.2f} points (limit {100 * gate.max_macro_drop:.2f})")
    for r, d in class_drops.items():
        if d > gate.max_class_drop:
            reasons.append(f"{r} F1 drops {100 * d:.2f} points (limit {100 * gate.max_class_drop:.2f})")
    return {
        "current": {
            "reason_macro_f1": current["reason"]["macro_f1"],
            "per_class_f1": cur_f1,
            "sentiment_macro_f1": current["sentiment"]["macro_f1"],
        },
        "candidate": {
            "reason_macro_f1": candidate["reason"]["macro_f1"],
            "per_class_f1": cand_f1,
            "sentiment_macro_f1": candidate["sentiment"]["macro_f1"],
        },
        "macro_drop": macro_drop,
        "worst_class": worst,
        "worst_class_drop": class_drops[worst],
        "passed": not reasons,
        "why_rejected": reasons,
    }


def comparison_markdown(cmp: dict[str, Any], current_version: str, candidate_version: str) -> str:
    lines = [f"| | {current_version} (current) | {candidate_version} (candidate) |", "|---|---:|---:|"]
    lines.append(
        f"| reason macro-F1 | {cmp['current']['reason_macro_f1']:.3f} | {cmp['candidate']['reason_macro_f1']:.3f} |"
    )
    lines.append(
        f"| sentiment macro-F1 | {cmp['current']['sentiment_macro_f1']:.3f} "
        f"| {cmp['candidate']['sentiment_macro_f1']:.3f} |"
    )
    for r in REASONS:
        lines.append(
            f"| {r} F1 | {cmp['current']['per_class_f1'][r]:.3f} | {cmp['candidate']['per_class_f1'][r]:.3f} |"
        )
    return "\n".join(lines)


def _next_version(current: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    return f"{current.split('-r')[0]}-r{stamp}"


def retrain(
    rows: list[dict],
    store: FeedbackStore,
    models_dir: Path,
    base_model: str,
    cfg: TrainConfig,
    gate: GateConfig = GateConfig(),
    warm_start: bool = True,
    version: str | None = None,
    work_dir: Path | None = None,
    cards_dir: Path | None = None,
    baselines: bool = False,
) -> RetrainResult:
    from training.release import evaluate_shipped, release
    from training.train import train

    models_dir = Path(models_dir)
    current_dir = current_model_dir(models_dir)
    current_metrics = json.loads((current_dir / "metrics.json").read_text())
    current_version = current_dir.name
    seen = int(current_metrics.get("feedback_max_id", 0))
    corrections = list(store.iter_rows(since_id=0))
    new = [c for c in corrections if c["id"] > seen]
    if not new:
        log.info("no new corrections since %s (feedback id %d): nothing to do", current_version, seen)
        return RetrainResult("nothing_to_do", None, {}, 0)
    merged, merge_stats = merge_corrections(rows, corrections)
    log.info("%d corrections (%d new): %s", len(corrections), len(new), merge_stats)

    work = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="churnlens-retrain-"))
    run_dir = work / "run"
    start_from = base_model
    previous_run = Path(current_metrics.get("run_dir", "")) / "best" / "encoder"
    if warm_start and previous_run.is_dir():
        start_from = str(previous_run)
    elif warm_start:
        log.warning("the current model's training run is not on this machine; starting from the base encoder")
    heads = str(previous_run.parent / "heads.safetensors") if start_from != base_model else ""
    run_cfg = dataclasses.replace(cfg, model=start_from, output_dir=str(run_dir), init_heads=heads)
    train(run_cfg, *train_and_dev(merged, run_cfg.sentiment_extra, run_cfg.seed))

    version = version or _next_version(current_version)
    staging = work / "models"
    staging.mkdir(parents=True, exist_ok=True)
    max_id = max(c["id"] for c in corrections)
    metrics = release(
        run_dir,
        version,
        staging,
        make_current=False,
        rows=merged,
        baselines=baselines,
        write_card=False,  # the card is written on promotion, with the comparison
        extra_metrics={"feedback_max_id": max_id, "corrections": merge_stats, "warm_start": start_from != base_model},
    )
    current_eval = evaluate_shipped(current_dir, "test", baselines=False, all_rows=merged)["reports"]
    current_report = next(iter(current_eval.values()))
    candidate_report = metrics["test"][f"churnlens-{version}"]
    cmp = compare(candidate_report, current_report, gate)
    if not cmp["passed"]:
        log.warning("candidate %s rejected: %s", version, "; ".join(cmp["why_rejected"]))
        return RetrainResult("rejected", version, cmp, len(new))

    metrics["previous_version"] = current_version
    metrics["comparison"] = cmp
    (staging / version / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
    shutil.move(str(staging / version), str(models_dir / version))
    from training.model_card import CARDS_DIR, write_model_card

    card = write_model_card(models_dir / version, metrics, cards_dir or CARDS_DIR)
    with card.open("a", encoding="utf-8") as fh:
        fh.write(f"\n## Compared with {current_version} (same test split)\n\n")
        fh.write(comparison_markdown(cmp, current_version, version) + "\n")
    switch_current(models_dir, version)
    shutil.rmtree(current_dir)  # the repo keeps only the shipped version's files; its card stays
    log.info("promoted %s (was %s)", version, current_version)
    return RetrainResult("promoted", version, cmp, len(new))
