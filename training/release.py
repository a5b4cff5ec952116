"""From a training run to a shipped model: export int8 ONNX, calibrate on dev, check parity, evaluate on test
beside the baselines, write metrics and the model card, switch the manifest."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from serving.labels import REASONS, SENTIMENTS
from serving.model_files import switch_current
from training.baselines import KeywordBaseline, TfidfBaseline
from training.config import TrainConfig
from training.data.load import DATA_DIR, load_rows, rows_by_source
from training.evaluate import coverage_table, fit_temperature, full_report, markdown_summary, softmax

log = logging.getLogger("churnlens.release")
REVIEW_TARGET_ACCURACY = 0.90
MIN_MARGIN = 0.10


def _onnx_outputs(model_dir: Path, rows: list[dict]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    from serving.predictor import Predictor

    pred = Predictor(model_dir)
    texts = pred._clean([r["text"] for r in rows])
    ids, _ = pred.encode(texts)
    r, s = pred.logits(ids)
    langs = [pred.languages.detect(t) for t in texts]
    return r, s, langs


def choose_min_top_prob(y: np.ndarray, prob: np.ndarray, target: float = REVIEW_TARGET_ACCURACY) -> float:
    """The lowest top-probability threshold at which the messages left unflagged reach the target accuracy."""
    for t in np.round(np.arange(0.0, 0.96, 0.05), 2):
        m = prob.max(1) >= t
        if m.any() and (prob[m].argmax(1) == y[m]).mean() >= target:
            return float(t)
    return 0.95


def evaluate_shipped(
    model_dir: Path,
    split: str = "test",
    baselines: bool = True,
    data_dir: Path = DATA_DIR,
    all_rows: list[dict] | None = None,
) -> dict[str, Any]:
    all_rows = all_rows if all_rows is not None else load_rows(data_dir)
    rows = [r for r in all_rows if r["split"] == split]
    labels = json.loads((Path(model_dir) / "labels.json").read_text())
    r_logits, s_logits, langs = _onnx_outputs(Path(model_dir), rows)
    t_r, t_s = labels["temperature"]["reason"], labels["temperature"]["sentiment"]
    model_report = full_report(rows, softmax(r_logits, t_r), softmax(s_logits, t_s), langs)
    model_report["reason"]["ece_before_temperature"] = full_report(rows, softmax(r_logits), softmax(s_logits))[
        "reason"
    ]["ece"]
    reports = {f"churnlens-{labels['version']}": model_report}
    if baselines:
        train = [r for r in all_rows if r["split"] == "train"]
        texts = [r["text"] for r in rows]
        for name, base in (("keyword rules", KeywordBaseline()), ("TF-IDF + LR", TfidfBaseline())):
            base.fit([r["text"] for r in train], [r["reason"] for r in train], [r["sentiment"] for r in train])
            rp, sp = base.predict_proba(texts)
            reports[name] = full_report(rows, rp, sp)
    return {"split": split, "reports": reports, "summary_markdown": markdown_summary(reports)}


def parity(run_best: Path, model_dir: Path, rows: list[dict], cfg: TrainConfig) -> dict[str, float]:
    """int8 ONNX against torch fp32 on the same rows: agreement of the predicted reason, largest probability gap."""
    import torch
    from transformers import AutoTokenizer

    from training.encode import encode_rows, pad
    from training.train import load_model

    model = load_model(run_best)
    tok = AutoTokenizer.from_pretrained(run_best / "encoder")
    enc = encode_rows(tok, rows, cfg.max_length, cfg.truncation, cfg.text_prefix)
    probs = []
    with torch.no_grad():
        for start in range(0, len(enc.ids), 32):
            ids, mask = pad(enc.ids[start : start + 32], enc.pad_id)
            probs.append(torch.softmax(model(ids, mask)[0], -1).numpy())
    torch_prob = np.concatenate(probs)
    onnx_prob = softmax(_onnx_outputs(model_dir, rows)[0])
    return {
        "reason_agreement": float((torch_prob.argmax(1) == onnx_prob.argmax(1)).mean()),
        "max_abs_prob_diff": float(np.abs(torch_prob - onnx_prob).max()),
        "n": len(rows),
    }


def _rows_by_source(rows: list[dict], cfg: TrainConfig) -> dict[str, int]:
    """The training rows per source, rebuilt from the config for runs that did not record it (the draw is seeded)."""
    from training.data.sentiment_extra import train_and_dev

    train, _ = train_and_dev([r for r in rows if r["origin"] in cfg.origins], cfg.sentiment_extra, cfg.seed)
    return rows_by_source(train)


def release(
    run_dir: Path,
    version: str,
    models_dir: Path,
    make_current: bool = True,
    data_dir: Path = DATA_DIR,
    rows: list[dict] | None = None,
    extra_metrics: dict[str, Any] | None = None,
    baselines: bool = True,
    cards_dir: Path | None = None,
    write_card: bool = True,
) -> dict[str, Any]:
    from training.model_card import CARDS_DIR, write_model_card
    from training.package import labels_json, package_model
    from training.train import load_model

    run_best = Path(run_dir) / "best"
    meta = json.loads((run_best / "churnlens_model.json").read_text())
    cfg = TrainConfig(**meta["config"])
    out = Path(models_dir) / version
    model = load_model(run_best, attn_implementation="eager")
    export_report = package_model(model, run_best / "encoder", out, version, cfg)

    rows = rows if rows is not None else load_rows(data_dir)
    dev = [r for r in rows if r["split"] == "dev"]
    test = [r for r in rows if r["split"] == "test"]
    r_dev, s_dev, _ = _onnx_outputs(out, dev)
    y_r = np.array([REASONS.index(r["reason"]) for r in dev])
    y_s = np.array([SENTIMENTS.index(r["sentiment"]) for r in dev])
    temperature = {"reason": fit_temperature(r_dev, y_r), "sentiment": fit_temperature(s_dev, y_s)}
    min_top = choose_min_top_prob(y_r, softmax(r_dev, temperature["reason"]))
    thresholds = {"min_top_prob": min_top, "min_margin": MIN_MARGIN}
    (out / "labels.json").write_text(
        json.dumps(labels_json(version, cfg, temperature, thresholds), indent=2, ensure_ascii=False) + "\n"
    )
    evaluation = evaluate_shipped(out, "test", baselines=baselines, all_rows=rows)
    metrics = {
        "version": version,
        "export": export_report,
        "parity_test_split": parity(run_best, out, test, cfg),
        "temperature": temperature,
        "thresholds": thresholds,
        "dev_coverage": coverage_table(y_r, softmax(r_dev, temperature["reason"])),
        "train": {
            "config": meta["config"],
            "best_step": meta.get("step"),
            "dev": meta.get("dev"),
            "rows_by_source": meta.get("train_rows") or _rows_by_source(rows, cfg),
        },
        "test": evaluation["reports"],
        "run_dir": str(Path(run_dir).resolve()),
        **(extra_metrics or {}),
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
    (out / "metrics.md").write_text(evaluation["summary_markdown"] + "\n")
    if write_card:
        write_model_card(out, metrics, cards_dir or CARDS_DIR)
    if make_current:
        switch_current(Path(models_dir), version)
    return metrics
