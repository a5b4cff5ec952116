"""Prometheus metrics for the API, on a registry of the app's own (so several apps in one process never clash)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("churnlens_requests", "HTTP requests", ["route", "status"], registry=self.registry)
        self.latency = Histogram(
            "churnlens_request_latency_seconds",
            "Request latency",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "churnlens_inference_batch_size",
            "Messages per inference batch",
            buckets=SIZE_BUCKETS,
            registry=self.registry,
        )
        self.batch_latency = Histogram(
            "churnlens_inference_batch_seconds",
            "Inference time per batch",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.queue_depth = Gauge("churnlens_queue_depth", "Messages waiting for inference", registry=self.registry)
        self.predictions = Counter("churnlens_predictions", "Predictions by reason", ["reason"], registry=self.registry)
        self.overloaded = Counter("churnlens_overloaded", "Requests refused with 503", registry=self.registry)
        self.reloads = Counter("churnlens_model_reloads", "Model reloads", ["outcome"], registry=self.registry)

    def on_batch(self, size: int, seconds: float) -> None:
        self.batch_size.observe(size)
        self.batch_latency.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
