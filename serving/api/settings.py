"""Serving settings: typed, with defaults, read from environment variables (CLI flags override them)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(f"CHURNLENS_{name}", default)


def read_api_keys(keys: str, key_file: str) -> tuple[str, ...]:
    found = [k.strip() for k in keys.split(",") if k.strip()]
    if key_file:
        found += [line.strip() for line in Path(key_file).read_text().splitlines() if line.strip()]
    return tuple(found)


@dataclass(frozen=True)
class ServeSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    model_dir: str = ""  # a fixed model directory; empty: the version that MODELS_DIR/current names (reloadable)
    models_dir: str = ""  # empty: the repository's models/
    threads: int = 0  # onnxruntime intra-op threads; 0 = all cores
    max_batch_messages: int = 256  # messages per /v1/classify/batch request
    max_body_bytes: int = 4 * 1024 * 1024
    batch_max_size: int = 64  # dynamic batching: flush at this many messages...
    batch_max_wait_ms: float = 5.0  # ...or after this long
    queue_size: int = 2048  # messages waiting; beyond it requests get 503 + Retry-After
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    cors_origins: tuple[str, ...] = ()
    log_text: bool = False  # never log message text unless explicitly asked for
    database_url: str = ""  # empty: SQLite in CHURNLENS_DATA_DIR (default ~/.local/share/churnlens)
    feedback_retention_days: int = 0  # 0 keeps corrections until deleted; N purges rows older than N days

    @classmethod
    def from_env(cls) -> ServeSettings:
        return cls(
            host=_env("HOST", cls.host),
            port=int(_env("PORT", str(cls.port))),
            model_dir=_env("MODEL_DIR", ""),
            models_dir=_env("MODELS_DIR", ""),
            threads=int(_env("THREADS", "0")),
            max_batch_messages=int(_env("MAX_BATCH_MESSAGES", str(cls.max_batch_messages))),
            max_body_bytes=int(_env("MAX_BODY_BYTES", str(cls.max_body_bytes))),
            batch_max_size=int(_env("BATCH_MAX_SIZE", str(cls.batch_max_size))),
            batch_max_wait_ms=float(_env("BATCH_MAX_WAIT_MS", str(cls.batch_max_wait_ms))),
            queue_size=int(_env("QUEUE_SIZE", str(cls.queue_size))),
            api_keys=read_api_keys(_env("API_KEYS", ""), _env("API_KEY_FILE", "")),
            cors_origins=tuple(o for o in _env("CORS_ORIGINS", "").split(",") if o),
            database_url=_env("DATABASE_URL", ""),
            feedback_retention_days=int(_env("FEEDBACK_RETENTION_DAYS", "0")),
        )
