"""The one row schema every source is loaded into, and validation of the committed label files."""

from __future__ import annotations

from typing import Any

from serving.labels import KINDS, LANGUAGES, REASONS, SENTIMENTS, SPLITS

COLUMNS: tuple[str, ...] = (
    "id",
    "text",
    "reason",
    "sentiment",
    "language",
    "kind",
    "hard",
    "origin",
    "source",
    "split",
)

HARD_TYPES: tuple[str, ...] = (
    "",
    "understated",
    "sarcasm",
    "mixed_language",
    "typos",
    "caps_emoji",
    "long_email",
    "negation",
    "address_vs_moving",
    "positive_price",
    "two_reasons",
)


def _label_errors(row: dict[str, Any], where: str) -> list[str]:
    errors = []
    if row.get("reason") not in REASONS:
        errors.append(f"{where}: reason {row.get('reason')!r} not in {REASONS}")
    if row.get("sentiment") not in SENTIMENTS:
        errors.append(f"{where}: sentiment {row.get('sentiment')!r} not in {SENTIMENTS}")
    if "language" in row and row["language"] not in LANGUAGES:
        errors.append(f"{where}: language {row.get('language')!r} not in {LANGUAGES}")
    return errors


def written_row_errors(row: dict[str, Any]) -> list[str]:
    where = f"written {row.get('id')!r}"
    errors = _label_errors(row, where)
    if not isinstance(row.get("text"), str) or not row["text"].strip():
        errors.append(f"{where}: empty text")
    if row.get("kind") not in KINDS:
        errors.append(f"{where}: kind {row.get('kind')!r} not in {KINDS}")
    if not isinstance(row.get("hard"), bool):
        errors.append(f"{where}: hard must be a bool")
    if row.get("hard_type") not in HARD_TYPES or bool(row.get("hard_type")) != bool(row.get("hard")):
        errors.append(f"{where}: hard_type {row.get('hard_type')!r} does not fit hard={row.get('hard')!r}")
    if row.get("split") not in SPLITS:
        errors.append(f"{where}: split {row.get('split')!r}")
    if row.get("origin") != "written":
        errors.append(f"{where}: origin must be 'written'")
    annotations = row.get("annotations") or {}
    for who in ("writer", "second"):
        if who not in annotations:
            errors.append(f"{where}: missing {who} annotation")
        else:
            errors.extend(_label_errors(annotations[who], f"{where} ({who})"))
    return errors


def real_row_errors(row: dict[str, Any]) -> list[str]:
    where = f"real {row.get('id')!r}"
    errors = _label_errors(row, where)
    if "text" in row:
        errors.append(f"{where}: real review text must never be committed")
    if row.get("split") not in SPLITS:
        errors.append(f"{where}: split {row.get('split')!r}")
    if row.get("origin") != "real":
        errors.append(f"{where}: origin must be 'real'")
    stars = row.get("stars")
    if stars is not None and stars not in (1, 2, 3, 4, 5):
        errors.append(f"{where}: stars {stars!r}")
    annotations = row.get("annotations") or {}
    for who in ("a", "b"):
        if who not in annotations:
            errors.append(f"{where}: missing annotation {who}")
        else:
            errors.extend(_label_errors(annotations[who], f"{where} ({who})"))
    return errors
