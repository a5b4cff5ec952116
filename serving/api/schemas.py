"""Request and response bodies at the API edge (msgspec Structs)."""

from __future__ import annotations

import msgspec

from serving.schema import Prediction


class ClassifyRequest(msgspec.Struct, forbid_unknown_fields=True):
    text: str
    id: str | None = None


class BatchItem(msgspec.Struct, forbid_unknown_fields=True):
    text: str
    id: str | None = None


class BatchRequest(msgspec.Struct, forbid_unknown_fields=True):
    messages: list[BatchItem]


class BatchResponse(msgspec.Struct):
    predictions: list[Prediction]
    model: str


class LabelInfo(msgspec.Struct):
    name: str
    description: str
    classic_study_share: float | None


class LabelsResponse(msgspec.Struct):
    reasons: list[LabelInfo]
    sentiments: list[str]
    languages: list[str]


class ModelResponse(msgspec.Struct):
    version: str
    model: str
    metrics: dict[str, object]
    thresholds: dict[str, float]
    temperature: dict[str, float]


class HealthResponse(msgspec.Struct):
    status: str


class ReloadResponse(msgspec.Struct):
    previous: str
    current: str


class FeedbackResponse(msgspec.Struct):
    id: int
    created: bool
