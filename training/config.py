"""Typed training configuration: defaults here, overridden by a TOML file, then by CLI flags."""

from __future__ import annotations

import argparse
import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class TrainConfig:
    model: str = ".cache/base-e5-small"  # any Hugging Face model id or local path
    output_dir: str = "runs/default"
    data_dir: str = "data"
    max_length: int = 128
    truncation: str = "head_tail"  # or "head"
    text_prefix: str = "query: "
    batch_size: int = 16
    epochs: float = 3.0
    lr: float = 5e-5
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    grad_clip: float = 1.0
    reason_loss_weight: float = 1.0
    sentiment_loss_weight: float = 0.5
    class_weighting: str = "sqrt_inverse"  # "none" | "inverse" | "sqrt_inverse"
    freeze_layers: int = 0  # freeze the embeddings and the first N encoder layers
    dropout: float = 0.1
    eval_every: int = 200
    checkpoint_every: int = 200
    patience: int = 4  # evaluations without dev reason macro-F1 improvement before stopping
    seed: int = 13
    device: str = "auto"  # "auto" picks cuda when present
    threads: int = 0  # torch intra-op threads on CPU; 0 = torch's default
    origins: list[str] = field(default_factory=lambda: ["written", "real"])
    # sentiment-only rows drawn from ../shared/data (star-rated reviews, NoReC sentences); 0 = none
    sentiment_extra: int = 0
    limit_train: int = 0  # use only the first N training rows (0 = all), for smoke runs
    init_heads: str = ""  # a heads.safetensors to start the heads from (warm start); empty = fresh heads
    stop_after: int = 0  # leave after this many steps in this invocation (checkpointed; continue with --resume)


def _field_type(f: dataclasses.Field) -> Any:
    hints = typing.get_type_hints(TrainConfig)
    return hints[f.name]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="a TOML file whose keys override the defaults")
    for f in dataclasses.fields(TrainConfig):
        t = _field_type(f)
        flag = "--" + f.name.replace("_", "-")
        if typing.get_origin(t) in (list, types.GenericAlias) or t == list[str]:
            parser.add_argument(flag, nargs="+", default=None, help=f"default: {f.default_factory()}")  # type: ignore[misc]
        else:
            parser.add_argument(flag, type=t, default=None, help=f"default: {f.default}")


def from_args(args: argparse.Namespace) -> TrainConfig:
    values: dict[str, Any] = {}
    if getattr(args, "config", None):
        values.update(tomllib.loads(Path(args.config).read_text(encoding="utf-8")))
    unknown = set(values) - {f.name for f in dataclasses.fields(TrainConfig)}
    if unknown:
        raise ValueError(f"unknown config keys: {sorted(unknown)}")
    for f in dataclasses.fields(TrainConfig):
        v = getattr(args, f.name, None)
        if v is not None:
            values[f.name] = v
    return TrainConfig(**values)
