"""Evaluation report: macro-F1 and per-class scores, per language and origin, confusion matrix, treatment flag,
calibration (ECE before and after temperature scaling), coverage versus accuracy for the needs-review threshold,
and language-identification accuracy. The same report runs for the model and the baselines."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from serving.labels import LANGUAGES, REASONS, SENTIMENTS

COVERAGE_THRESHOLDS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
MIN_SUPPORT = 10


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def ece(prob: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error of the top-class probability, equal-width bins."""
    conf, pred = prob.max(1), prob.argmax(1)
    correct = (pred == y).astype(float)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            total += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(total)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimising dev negative log-likelihood (grid, then a finer grid around the best)."""

    def nll(t: float) -> float:
        p = softmax(logits, t)
        return float(-np.log(p[np.arange(len(y)), y] + 1e-12).mean())

    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 60))
    best = min(grid, key=nll)
    fine = np.linspace(best * 0.9, best * 1.1, 41)
    return float(min(fine, key=nll))


def _macro(y: np.ndarray, pred: np.ndarray) -> float:
    return float(f1_score(y, pred, average="macro")) if len(y) else float("nan")


def classification_block(y: np.ndarray, prob: np.ndarray, classes: tuple[str, ...]) -> dict[str, Any]:
    pred = prob.argmax(1)
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=range(len(classes)), zero_division=0)
    return {
        "macro_f1": _macro(y, pred),
        "accuracy": float((pred == y).mean()),
        "per_class": {
            c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, c in enumerate(classes)
        },
        "confusion": confusion_matrix(y, pred, labels=range(len(classes))).tolist(),
        "ece": ece(prob, y),
    }


def coverage_table(y: np.ndarray, prob: np.ndarray) -> list[dict[str, float]]:
    conf, pred = prob.max(1), prob.argmax(1)
    rows = []
    for t in COVERAGE_THRESHOLDS:
        m = conf >= t
        rows.append(
            {
                "min_top_prob": t,
                "coverage": float(m.mean()),
                "accuracy": float((pred[m] == y[m]).mean()) if m.any() else float("nan"),
                "macro_f1": _macro(y[m], pred[m]) if m.any() else float("nan"),
            }
        )
    return rows


def full_report(
    rows: list[dict[str, Any]],
    reason_prob: np.ndarray,
    sentiment_prob: np.ndarray,
    language_pred: list[str] | None = None,
) -> dict[str, Any]:
    y_r = np.array([REASONS.index(r["reason"]) for r in rows])
    y_s = np.array([SENTIMENTS.index(r["sentiment"]) for r in rows])
    out: dict[str, Any] = {
        "n": len(rows),
        "reason": classification_block(y_r, reason_prob, REASONS),
        "sentiment": classification_block(y_s, sentiment_prob, SENTIMENTS),
        "coverage": coverage_table(y_r, reason_prob),
    }
    t_true, t_pred = y_r == REASONS.index("treatment"), reason_prob.argmax(1) == REASONS.index("treatment")
    tp = float((t_true & t_pred).sum())
    prec = tp / max(1.0, float(t_pred.sum()))
    rec = tp / max(1.0, float(t_true.sum()))
    out["treatment_flag"] = {"precision": prec, "recall": rec, "f1": 2 * prec * rec / max(1e-12, prec + rec)}
    for key in ("language", "origin"):
        groups: dict[str, Any] = {}
        for g in sorted({r[key] for r in rows}):
            m = np.array([r[key] == g for r in rows])
            supported = [c for c in range(len(REASONS)) if (y_r[m] == c).sum() >= MIN_SUPPORT]
            groups[g] = {
                "n": int(m.sum()),
                "reason_macro_f1": _macro(y_r[m], reason_prob[m].argmax(1)),
                # macro-F1 over the reasons with at least MIN_SUPPORT examples in the group: real reviews hold
                # almost no died / moved / other_contacts, whose near-empty F1s otherwise dominate the mean
                "reason_macro_f1_supported": float(
                    f1_score(y_r[m], reason_prob[m].argmax(1), labels=supported, average="macro", zero_division=0)
                )
                if supported
                else float("nan"),
                "reasons_supported": [REASONS[c] for c in supported],
                "sentiment_macro_f1": _macro(y_s[m], sentiment_prob[m].argmax(1)),
            }
        out[f"by_{key}"] = groups
    if language_pred is not None:
        truth = [r["language"] for r in rows]
        out["language_id"] = {
            "accuracy": float(np.mean([a == b for a, b in zip(truth, language_pred, strict=True)])),
            "per_language": {
                lang: float(np.mean([p == lang for t, p in zip(truth, language_pred, strict=True) if t == lang]))
                for lang in LANGUAGES
                if lang in truth
            },
        }
    return out


def markdown_summary(reports: dict[str, dict[str, Any]]) -> str:
    """One table: each system's headline figures side by side."""
    lines = [
        "| system | reason macro-F1 | written | real | treatment F1 | sentiment macro-F1 (real) | ECE |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, rep in reports.items():
        origin = rep.get("by_origin", {})
        lines.append(
            f"| {name} | {rep['reason']['macro_f1']:.3f} "
            f"| {origin.get('written', {}).get('reason_macro_f1', float('nan')):.3f} "
            f"| {origin.get('real', {}).get('reason_macro_f1', float('nan')):.3f} "
            f"| {rep['treatment_flag']['f1']:.3f} "
            f"| {origin.get('real', {}).get('sentiment_macro_f1', float('nan')):.3f} "
            f"| {rep['reason']['ece']:.3f} |"
        )
    return "\n".join(lines)
