"""The Litestar app: classification (single and batch, dynamically batched across requests), taxonomy, model
info, health, readiness, Prometheus metrics, OpenAPI at /schema, optional API keys and hot model reload."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar, MediaType, Request, Response, Router, delete, get, post
from litestar.config.cors import CORSConfig
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ServiceUnavailableException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.params import JSONBody
from litestar.response import Stream
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from serving.api.batcher import DynamicBatcher, ModelHolder, Overloaded
from serving.api.metrics import ApiMetrics
from serving.api.schemas import (
    BatchRequest,
    BatchResponse,
    ClassifyRequest,
    FeedbackResponse,
    HealthResponse,
    LabelInfo,
    LabelsResponse,
    ModelResponse,
    ReloadResponse,
)
from serving.api.settings import ServeSettings
from serving.feedback.store import FeedbackIn, FeedbackStore, InvalidFeedback
from serving.labels import CLASSIC_STUDY_SHARES, LANGUAGES, REASON_DESCRIPTIONS, REASONS, SENTIMENTS
from serving.model_files import MODELS_DIR, current_model_dir
from serving.predictor import Predictor
from serving.preprocess import normalize_text
from serving.schema import Prediction

log = logging.getLogger("churnlens.api")


class Unprocessable(ClientException):
    """Well-formed JSON of the right types whose content cannot be scored (422), naming the field."""

    status_code = 422


WARMUP_TEXTS = ["Hej, jag vill säga upp mitt abonnemang.", "Tak for hjælpen!", "Ingen har svart meg på tre uker."]


class State:
    """Everything the handlers share, kept on app.state.churnlens."""

    def __init__(self, settings: ServeSettings, metrics: ApiMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.holder: ModelHolder | None = None
        self.batcher: DynamicBatcher | None = None
        self.ready = False
        self.reload_lock = asyncio.Lock()
        self.feedback: FeedbackStore | None = None


def _state(request: Request | ASGIConnection) -> State:
    return request.app.state.churnlens


def load_predictor(settings: ServeSettings) -> Predictor:
    if settings.model_dir:
        model_dir = Path(settings.model_dir)
    else:
        model_dir = current_model_dir(Path(settings.models_dir) if settings.models_dir else MODELS_DIR)
    predictor = Predictor(model_dir, threads=settings.threads)
    predictor.predict(WARMUP_TEXTS)  # warm-up: first runs allocate and pick kernels
    return predictor


# --- guards ---------------------------------------------------------------------------------------------------


def _presented_key(connection: ASGIConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _key_matches(token: str, keys: tuple[str, ...]) -> bool:
    ok = False
    for key in keys:  # compare against every key, in constant time each, without stopping early
        ok |= hmac.compare_digest(token.encode(), key.encode())
    return ok


def api_key_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    keys = _state(connection).settings.api_keys
    if not keys:
        return
    token = _presented_key(connection)
    if token is None:
        raise NotAuthorizedException("missing API key: send Authorization: Bearer <key>")
    if not _key_matches(token, keys):
        raise PermissionDeniedException("API key not accepted")


def admin_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    if not _state(connection).settings.api_keys:
        raise PermissionDeniedException("admin routes are disabled until CHURNLENS_API_KEYS is set")
    api_key_guard(connection, handler)


# --- input checks ---------------------------------------------------------------------------------------------


def _check_texts(texts: list[str], field: str) -> None:
    bad = [i for i, t in enumerate(texts) if not normalize_text(t)]
    if bad:
        where = field.format(bad[0])
        raise Unprocessable(
            detail=f"{where} is empty or whitespace only",
            extra=[{"key": field.format(i), "message": "empty or whitespace-only text"} for i in bad[:20]],
        )


async def _classify(state: State, texts: list[str], ids: list[str | None]) -> list[Prediction]:
    if not state.ready or state.batcher is None:
        raise ServiceUnavailableException("model is loading", headers={"Retry-After": "2"})
    try:
        preds = await state.batcher.submit(texts, ids)
    except Overloaded:
        state.metrics.overloaded.inc()
        raise ServiceUnavailableException(
            "overloaded: too many messages waiting", headers={"Retry-After": "1"}
        ) from None
    for p in preds:
        state.metrics.predictions.labels(p.reason).inc()
    return preds


# --- handlers -------------------------------------------------------------------------------------------------


@post("/classify", status_code=200, summary="Classify one message")
async def classify(request: Request, data: JSONBody[ClassifyRequest]) -> Prediction:
    _check_texts([data.text], "text")
    return (await _classify(_state(request), [data.text], [data.id]))[0]


@post("/classify/batch", status_code=200, summary="Classify up to N messages, each with an optional id")
async def classify_batch(request: Request, data: JSONBody[BatchRequest]) -> BatchResponse:
    state = _state(request)
    limit = state.settings.max_batch_messages
    if not data.messages:
        raise Unprocessable(detail="messages must hold at least one message", extra=[{"key": "messages"}])
    if len(data.messages) > limit:
        raise Unprocessable(
            detail=f"messages holds {len(data.messages)} messages; at most {limit} per request",
            extra=[{"key": "messages", "message": f"at most {limit}"}],
        )
    texts = [m.text for m in data.messages]
    _check_texts(texts, "messages[{}].text")
    preds = await _classify(state, texts, [m.id for m in data.messages])
    return BatchResponse(predictions=preds, model=preds[0].model)


@get("/labels", summary="The taxonomy, with descriptions and the classic study's shares")
async def labels() -> LabelsResponse:
    return LabelsResponse(
        reasons=[LabelInfo(r, REASON_DESCRIPTIONS[r], CLASSIC_STUDY_SHARES.get(r)) for r in REASONS],
        sentiments=list(SENTIMENTS),
        languages=list(LANGUAGES),
    )


@get("/model", summary="The served model: version and a summary of its test metrics")
async def model_info(request: Request) -> ModelResponse:
    state = _state(request)
    if state.holder is None:
        raise ServiceUnavailableException("model is loading", headers={"Retry-After": "2"})
    p = state.holder.predictor
    return ModelResponse(
        version=p.version,
        model=p.model_name,
        metrics=p.metrics_summary(),
        thresholds={"min_top_prob": p.spec.min_top_prob, "min_margin": p.spec.min_margin},
        temperature={"reason": p.spec.reason_temperature, "sentiment": p.spec.sentiment_temperature},
    )


@post("/admin/reload", status_code=200, guards=[admin_guard], summary="Swap in the model the manifest names")
async def admin_reload(request: Request) -> ReloadResponse:
    return await reload_model(request.app)


@post("/feedback", status_code=201, summary="Store a human correction of a prediction")
async def feedback(request: Request, data: JSONBody[FeedbackIn]) -> Response[FeedbackResponse]:
    store = _state(request).feedback
    if store is None:
        raise ServiceUnavailableException("feedback store is not open", headers={"Retry-After": "2"})
    item = data
    try:
        fid, created = await asyncio.to_thread(store.add, item)
    except InvalidFeedback as exc:
        raise Unprocessable(detail=str(exc), extra=[{"key": exc.field}]) from None
    log.info("feedback id=%d created=%s annotator=%s", fid, created, item.annotator)
    return Response(FeedbackResponse(id=fid, created=created), status_code=201 if created else 200)


@get("/admin/feedback/export", guards=[admin_guard], summary="All corrections as JSON lines (streamed)")
async def feedback_export(request: Request) -> Stream:
    store = _state(request).feedback
    if store is None:
        raise ServiceUnavailableException("feedback store is not open", headers={"Retry-After": "2"})

    def lines():
        for row in store.iter_rows():
            yield (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")

    return Stream(lines(), media_type="application/x-ndjson")


@delete("/admin/feedback/{feedback_id:int}", guards=[admin_guard], status_code=204, summary="Delete a correction")
async def feedback_delete(request: Request, feedback_id: int) -> None:
    store = _state(request).feedback
    if store is None or not await asyncio.to_thread(store.delete, feedback_id):
        raise NotFoundException(f"no feedback with id {feedback_id}")


@get("/health", summary="Liveness")
async def health() -> HealthResponse:
    return HealthResponse(status="ok")


@get("/ready", summary="Model loaded and warmed up")
async def ready(request: Request) -> Response[HealthResponse]:
    if _state(request).ready:
        return Response(HealthResponse(status="ready"))
    return Response(HealthResponse(status="loading"), status_code=503, headers={"Retry-After": "2"})


@get("/metrics", media_type=MediaType.TEXT, summary="Prometheus metrics", include_in_schema=False)
async def metrics(request: Request) -> Response[bytes]:
    state = _state(request)
    state.metrics.queue_depth.set(state.batcher.depth if state.batcher else 0)
    return Response(state.metrics.render(), media_type="text/plain; version=0.0.4")


async def reload_model(app: Litestar) -> ReloadResponse:
    """Load and warm the manifest's model off the event loop, then swap it in; requests keep flowing meanwhile."""
    state: State = app.state.churnlens
    async with state.reload_lock:
        assert state.holder is not None
        previous = state.holder.predictor.version
        try:
            new = await asyncio.to_thread(load_predictor, state.settings)
        except Exception as exc:
            state.metrics.reloads.labels("failed").inc()
            log.exception("reload failed; keeping %s", previous)
            raise HTTPException(status_code=409, detail=f"reload failed, still serving {previous}: {exc}") from exc
        state.holder.swap(new)
        state.metrics.reloads.labels("ok").inc()
        log.info("model reloaded: %s -> %s", previous, new.version)
        return ReloadResponse(previous=previous, current=new.version)


# --- request ids and access log (ids, lengths, statuses, latencies: never text) -------------------------------


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        rid = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode("latin-1"))]
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            path = scope.get("path", "")
            # the route template, not the raw path, labels the metrics: ids in paths would grow series without bound
            route = scope.get("path_template") or "unmatched"
            state: State | None = getattr(scope["app"].state, "churnlens", None) if "app" in scope else None
            if state is not None:
                state.metrics.requests.labels(route, str(status)).inc()
                state.metrics.latency.labels(route).observe(elapsed)
            log.info("request id=%s %s %s status=%d %.1fms", rid, scope.get("method"), path, status, elapsed * 1000)

    return middleware


def create_app(settings: ServeSettings | None = None, predictor: Predictor | None = None) -> Litestar:
    settings = settings or ServeSettings.from_env()
    state = State(settings, ApiMetrics())

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        loaded = predictor or await asyncio.to_thread(load_predictor, settings)
        state.holder = ModelHolder(loaded)
        state.batcher = DynamicBatcher(
            state.holder,
            settings.batch_max_size,
            settings.batch_max_wait_ms,
            settings.queue_size,
            on_batch=state.metrics.on_batch,
        )
        await state.batcher.start()
        state.feedback = await asyncio.to_thread(
            FeedbackStore, settings.database_url or None, settings.feedback_retention_days or None
        )
        purged = await asyncio.to_thread(state.feedback.purge_expired)
        if purged:
            log.info("feedback retention: purged %d rows", purged)
        state.ready = True
        log.info("serving %s", loaded.model_name)
        try:
            yield
        finally:
            state.ready = False
            await state.batcher.stop()
            if state.feedback is not None:
                state.feedback.close()

    v1 = Router(
        path="/v1",
        route_handlers=[
            classify,
            classify_batch,
            labels,
            model_info,
            admin_reload,
            feedback,
            feedback_export,
            feedback_delete,
        ],
        guards=[api_key_guard],
    )
    app = Litestar(
        route_handlers=[v1, health, ready, metrics],
        lifespan=[lifespan],
        middleware=[request_id_middleware],
        openapi_config=OpenAPIConfig(title="churnlens", version="1", path="/schema"),
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins)) if settings.cors_origins else None,
        request_max_body_size=settings.max_body_bytes,
        debug=False,
        logging_config=None,  # the process configures logging (churnlens serve does); the app never takes it over
    )
    app.state.churnlens = state
    return app
