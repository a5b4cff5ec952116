"""What a shipped model directory holds, and which one is current.

models/<version>/ : model.onnx (int8), tokenizer.json, labels.json (classes, descriptions, temperature,
thresholds, preprocessing), metrics.json.  models/current : one line naming the default version.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from serving.labels import REASONS, SENTIMENTS

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
MANIFEST = "current"


@dataclass(frozen=True)
class ModelSpec:
    version: str
    reasons: tuple[str, ...]
    sentiments: tuple[str, ...]
    reason_temperature: float = 1.0
    sentiment_temperature: float = 1.0
    min_top_prob: float = 0.5
    min_margin: float = 0.15
    max_length: int = 128
    truncation: str = "head_tail"
    text_prefix: str = "query: "
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelSpec:
        reasons = tuple(data["reasons"])
        sentiments = tuple(data["sentiments"])
        if set(reasons) != set(REASONS) or set(sentiments) != set(SENTIMENTS):
            raise ValueError("labels.json does not match the label schema")
        temp = data.get("temperature", {})
        thr = data.get("thresholds", {})
        pre = data.get("preprocessing", {})
        return cls(
            version=data["version"],
            reasons=reasons,
            sentiments=sentiments,
            reason_temperature=float(temp.get("reason", 1.0)),
            sentiment_temperature=float(temp.get("sentiment", 1.0)),
            min_top_prob=float(thr.get("min_top_prob", 0.5)),
            min_margin=float(thr.get("min_margin", 0.15)),
            max_length=int(pre.get("max_length", 128)),
            truncation=pre.get("truncation", "head_tail"),
            text_prefix=pre.get("text_prefix", "query: "),
            extra={k: v for k, v in data.items() if k not in {"version", "reasons", "sentiments"}},
        )


def read_spec(model_dir: Path) -> ModelSpec:
    return ModelSpec.from_json(json.loads((Path(model_dir) / "labels.json").read_text(encoding="utf-8")))


def default_model_dir() -> Path:
    """CHURNLENS_MODEL_DIR when set, else the version that CHURNLENS_MODELS_DIR/current (default models/) names."""
    override = os.environ.get("CHURNLENS_MODEL_DIR")
    if override:
        return Path(override)
    return current_model_dir(Path(os.environ.get("CHURNLENS_MODELS_DIR") or MODELS_DIR))


def current_model_dir(models_dir: Path = MODELS_DIR) -> Path:
    """The directory that models_dir/current names."""
    manifest = Path(models_dir) / MANIFEST
    if not manifest.is_file():
        raise FileNotFoundError(f"no model manifest at {manifest}")
    return Path(models_dir) / manifest.read_text(encoding="utf-8").strip()


def switch_current(models_dir: Path, version: str) -> None:
    """Point the manifest at `version` atomically (write a temp file, then rename over)."""
    if not (Path(models_dir) / version / "model.onnx").is_file():
        raise FileNotFoundError(f"{models_dir}/{version} has no model.onnx")
    tmp = Path(models_dir) / f".{MANIFEST}.tmp"
    tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(tmp, Path(models_dir) / MANIFEST)
