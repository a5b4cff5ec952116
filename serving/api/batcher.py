"""Dynamic batching across concurrent requests, after infinity's batch handler: one inference worker fed by a
bounded queue, flushing at a maximum batch size or after a short wait, so many callers sending one message each
still get batch throughput. A full queue is an overload signal (the API answers 503 + Retry-After), never
unbounded memory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from serving.predictor import Predictor
from serving.schema import Prediction

log = logging.getLogger("churnlens.batcher")


class Overloaded(Exception):
    """The queue cannot take the request's messages now."""


class ModelHolder:
    """The current predictor, swapped atomically: a batch takes its reference once at its start, so in-flight work
    finishes on the model it started with."""

    def __init__(self, predictor: Predictor) -> None:
        self._predictor = predictor
        self._lock = threading.Lock()

    @property
    def predictor(self) -> Predictor:
        return self._predictor

    def swap(self, new: Predictor) -> Predictor:
        with self._lock:
            old, self._predictor = self._predictor, new
        return old


@dataclass
class _Item:
    text: str
    id: str | None
    future: asyncio.Future = field(repr=False)


class DynamicBatcher:
    def __init__(
        self,
        holder: ModelHolder,
        max_batch: int = 64,
        max_wait_ms: float = 5.0,
        queue_size: int = 2048,
        on_batch: Callable[[int, float], None] | None = None,
    ) -> None:
        self.holder = holder
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000.0
        self.queue_size = queue_size
        self.on_batch = on_batch
        self._queue: asyncio.Queue[_Item] | None = None
        self._worker: asyncio.Task | None = None

    @property
    def depth(self) -> int:
        return self._queue.qsize() if self._queue is not None else 0

    async def start(self) -> None:
        self._queue = asyncio.Queue(maxsize=self.queue_size)
        self._worker = asyncio.create_task(self._run(), name="churnlens-batcher")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def submit(self, texts: list[str], ids: list[str | None]) -> list[Prediction]:
        """Queue every message of one request (all or none) and wait for their predictions, in order."""
        assert self._queue is not None, "batcher not started"
        if self._queue.qsize() + len(texts) > self.queue_size:
            raise Overloaded
        loop = asyncio.get_running_loop()
        items = [_Item(t, i, loop.create_future()) for t, i in zip(texts, ids, strict=True)]
        for item in items:
            self._queue.put_nowait(item)
        return list(await asyncio.gather(*(item.future for item in items)))

    async def _run(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            deadline = loop.time() + self.max_wait
            while len(batch) < self.max_batch:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(), remaining))
                except TimeoutError:
                    break
            predictor = self.holder.predictor  # taken once: a swap mid-batch does not touch this batch
            started = time.perf_counter()
            try:
                preds = await asyncio.to_thread(predictor.predict, [b.text for b in batch], [b.id for b in batch])
            except Exception as exc:  # a failed batch fails its own requests, never the worker
                log.exception("batch of %d failed", len(batch))
                for b in batch:
                    if not b.future.done():
                        b.future.set_exception(exc)
                continue
            for b, p in zip(batch, preds, strict=True):
                if not b.future.done():
                    b.future.set_result(p)
            if self.on_batch is not None:
                self.on_batch(len(batch), time.perf_counter() - started)
