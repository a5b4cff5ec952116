"""Scoring from Python: an iterable of texts, or a pandas DataFrame (same columns as `churnlens score` adds)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from serving.bulk.annotate import annotate, check_columns
from serving.predictor import Predictor
from serving.schema import Prediction

if TYPE_CHECKING:
    import pandas as pd


def score_texts(
    texts: Iterable[str], predictor: Predictor | None = None, model_dir: str | Path | None = None
) -> Iterator[Prediction]:
    """Predictions for any iterable of texts, lazily, in chunks. Raises InvalidText on an empty text."""
    predictor = predictor or Predictor(model_dir)
    yield from predictor.predict_iter(texts)


def score_dataframe(
    df: pd.DataFrame,
    text_column: str = "text",
    predictor: Predictor | None = None,
    model_dir: str | Path | None = None,
    chunk_rows: int = 4096,
) -> pd.DataFrame:
    """A copy of `df` with the prediction columns appended; bad texts get an `error` instead of a prediction."""
    import pandas as pd
    import pyarrow as pa

    predictor = predictor or Predictor(model_dir)
    table = pa.Table.from_pandas(df, preserve_index=False)
    check_columns(table.schema, text_column)
    parts = [
        annotate(table.slice(start, chunk_rows), predictor, text_column).to_pandas()
        for start in range(0, table.num_rows, chunk_rows)
    ]
    out = pd.concat(parts, ignore_index=True) if parts else df.iloc[0:0].copy()
    out.index = df.index
    return out
