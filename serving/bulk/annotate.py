"""Append predictions to a table of rows: the one function both bulk engines (local and Ray) call, so they give
the same output. A row whose text is missing, empty or not text gets an `error` and no prediction; every input
row comes out exactly once, in order, with its other columns unchanged."""

from __future__ import annotations

import pyarrow as pa

from serving.bulk.tableio import INPUT_ERROR
from serving.labels import REASONS, SENTIMENTS
from serving.predictor import Predictor
from serving.preprocess import normalize_text

REASON_COLUMNS = [f"p_{r}" for r in REASONS]
SENTIMENT_COLUMNS = [f"p_{s}" for s in SENTIMENTS]
OUTPUT_COLUMNS = [
    "reason",
    *REASON_COLUMNS,
    "treatment",
    "sentiment",
    *SENTIMENT_COLUMNS,
    "language",
    "needs_review",
    "model",
    "error",
]


def output_schema() -> list[pa.Field]:
    fields = [pa.field("reason", pa.string())]
    fields += [pa.field(c, pa.float64()) for c in REASON_COLUMNS]
    fields += [pa.field("treatment", pa.bool_()), pa.field("sentiment", pa.string())]
    fields += [pa.field(c, pa.float64()) for c in SENTIMENT_COLUMNS]
    fields += [pa.field(n, t) for n, t in (("language", pa.string()), ("needs_review", pa.bool_()))]
    fields += [pa.field("model", pa.string()), pa.field("error", pa.string())]
    return fields


def check_columns(schema: pa.Schema, text_column: str) -> None:
    if text_column not in schema.names and INPUT_ERROR not in schema.names:
        raise ValueError(f"text column {text_column!r} not in the input (columns: {', '.join(schema.names)})")
    clash = [c for c in OUTPUT_COLUMNS if c in schema.names]
    if clash:
        raise ValueError(f"the input already has column(s) {', '.join(clash)} that scoring would add; rename them")


def _row_error(value: object) -> str | None:
    if value is None:
        return "missing text"
    if not isinstance(value, str):
        return f"text is {type(value).__name__}, not a string"
    if not normalize_text(value):
        return "empty text"
    return None


def annotate(table: pa.Table, predictor: Predictor, text_column: str) -> pa.Table:
    texts = table.column(text_column).to_pylist() if text_column in table.column_names else [None] * table.num_rows
    errors = [_row_error(v) for v in texts]
    if INPUT_ERROR in table.column_names:
        errors = [given or e for given, e in zip(table.column(INPUT_ERROR).to_pylist(), errors, strict=True)]
        table = table.drop_columns([INPUT_ERROR])
    ok = [i for i, e in enumerate(errors) if e is None]
    preds = predictor.predict([texts[i] for i in ok]) if ok else []
    n = table.num_rows
    cols: dict[str, list] = {c: [None] * n for c in OUTPUT_COLUMNS}
    for i, p in zip(ok, preds, strict=True):
        cols["reason"][i] = p.reason
        for r, c in zip(REASONS, REASON_COLUMNS, strict=True):
            cols[c][i] = p.reason_scores[r]
        cols["treatment"][i] = p.treatment
        cols["sentiment"][i] = p.sentiment
        for s, c in zip(SENTIMENTS, SENTIMENT_COLUMNS, strict=True):
            cols[c][i] = p.sentiment_scores[s]
        cols["language"][i] = p.language
        cols["needs_review"][i] = p.needs_review
    cols["model"] = [predictor.model_name] * n
    cols["error"] = errors
    out = table
    for f in output_schema():
        out = out.append_column(f, pa.array(cols[f.name], type=f.type))
    return out
