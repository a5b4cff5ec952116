"""The prediction every surface returns (Python API, HTTP, bulk output), as a msgspec Struct."""

from __future__ import annotations

import msgspec


class Prediction(msgspec.Struct, kw_only=True):
    id: str | None = None
    reason: str
    reason_scores: dict[str, float]
    treatment: bool
    sentiment: str
    sentiment_scores: dict[str, float]
    language: str
    needs_review: bool
    truncated: bool = False
    model: str
