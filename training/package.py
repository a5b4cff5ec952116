"""Lay out a shipped model directory: int8 ONNX, tokenizer, labels.json (classes, descriptions, temperature,
thresholds, preprocessing) and metrics.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from serving.labels import CLASSIC_STUDY_SHARES, REASON_DESCRIPTIONS, REASONS, SENTIMENTS
from training.config import TrainConfig
from training.export import export_model
from training.model import ChurnModel


def labels_json(
    version: str,
    cfg: TrainConfig,
    temperature: dict[str, float] | None = None,
    thresholds: dict[str, float] | None = None,
) -> dict[str, Any]:
    return {
        "version": version,
        "reasons": list(REASONS),
        "sentiments": list(SENTIMENTS),
        "descriptions": REASON_DESCRIPTIONS,
        "classic_study_shares": CLASSIC_STUDY_SHARES,
        "temperature": temperature or {"reason": 1.0, "sentiment": 1.0},
        "thresholds": thresholds or {"min_top_prob": 0.5, "min_margin": 0.15},
        "preprocessing": {
            "max_length": cfg.max_length,
            "truncation": cfg.truncation,
            "text_prefix": cfg.text_prefix,
            "normalize": "NFC, control characters dropped, stripped",
        },
        "language": {"method": "py3langid restricted to sv/da/no(->nb)/nn/en, 'other' when none fits"},
    }


def package_model(
    model: ChurnModel,
    tokenizer_dir: Path,
    out_dir: Path,
    version: str,
    cfg: TrainConfig,
    metrics: dict[str, Any] | None = None,
    temperature: dict[str, float] | None = None,
    thresholds: dict[str, float] | None = None,
    int8: bool = True,
) -> dict[str, Any]:
    out_dir = Path(out_dir)
    report = export_model(model, out_dir, int8=int8)
    shutil.copy(Path(tokenizer_dir) / "tokenizer.json", out_dir / "tokenizer.json")
    (out_dir / "labels.json").write_text(
        json.dumps(labels_json(version, cfg, temperature, thresholds), indent=2, ensure_ascii=False) + "\n"
    )
    (out_dir / "metrics.json").write_text(json.dumps({"export": report, **(metrics or {})}, indent=2) + "\n")
    return report
