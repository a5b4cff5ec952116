"""The feedback store: SQLAlchemy 2 over SQLite (WAL, a file in the data directory) or PostgreSQL
(`CHURNLENS_DATABASE_URL`), schema managed by Alembic. Message text is customers' data: it can be deleted by id,
and rows older than the retention setting are purged."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import create_engine, delete, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from serving.feedback.models import Feedback
from serving.labels import REASONS, SENTIMENTS

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def default_url() -> str:
    url = os.environ.get("CHURNLENS_DATABASE_URL")
    if url:
        return url
    data_dir = Path(os.environ.get("CHURNLENS_DATA_DIR", Path.home() / ".local" / "share" / "churnlens"))
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'feedback.sqlite3'}"


def text_hash(text: str) -> str:
    from serving.preprocess import normalize_text

    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


class InvalidFeedback(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class FeedbackIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A correction as the API receives it and the store keeps it."""

    annotator: str
    message_id: str | None = None
    text: str | None = None
    model_version: str | None = None
    predicted_reason: str | None = None
    predicted_sentiment: str | None = None
    corrected_reason: str | None = None
    corrected_sentiment: str | None = None
    idempotency_key: str | None = None

    def validate(self) -> None:
        if not (self.annotator or "").strip():
            raise InvalidFeedback("annotator", "must not be empty")
        if not (self.message_id or (self.text or "").strip()):
            raise InvalidFeedback("message_id", "give the message's id, its text, or both")
        if self.corrected_reason is None and self.corrected_sentiment is None:
            raise InvalidFeedback("corrected_reason", "give a corrected reason, a corrected sentiment, or both")
        for name, value, allowed in (
            ("corrected_reason", self.corrected_reason, REASONS),
            ("predicted_reason", self.predicted_reason, REASONS),
            ("corrected_sentiment", self.corrected_sentiment, SENTIMENTS),
            ("predicted_sentiment", self.predicted_sentiment, SENTIMENTS),
        ):
            if value is not None and value not in allowed:
                raise InvalidFeedback(name, f"{value!r} is not one of {', '.join(allowed)}")


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def to_json(row: Feedback) -> dict[str, Any]:
    return {
        "id": row.id,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "message_id": row.message_id,
        "text": row.text,
        "model_version": row.model_version,
        "predicted_reason": row.predicted_reason,
        "predicted_sentiment": row.predicted_sentiment,
        "corrected_reason": row.corrected_reason,
        "corrected_sentiment": row.corrected_sentiment,
        "annotator": row.annotator,
    }


class FeedbackStore:
    def __init__(self, url: str | None = None, retention_days: int | None = None) -> None:
        self.url = url or default_url()
        self.engine = make_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.retention_days = retention_days
        migrate(self.engine)

    def add(self, item: FeedbackIn) -> tuple[int, bool]:
        """Store a correction. Returns (id, created); a repeated idempotency key returns the first row's id."""
        item.validate()
        row = Feedback(
            idempotency_key=item.idempotency_key,
            message_id=item.message_id,
            text=item.text,
            text_sha256=text_hash(item.text) if item.text else None,
            model_version=item.model_version,
            predicted_reason=item.predicted_reason,
            predicted_sentiment=item.predicted_sentiment,
            corrected_reason=item.corrected_reason,
            corrected_sentiment=item.corrected_sentiment,
            annotator=item.annotator.strip(),
        )
        with self.sessions() as s:
            s.add(row)
            try:
                s.commit()
                return row.id, True
            except IntegrityError:
                s.rollback()
                if item.idempotency_key is None:
                    raise
                existing = s.scalar(select(Feedback.id).where(Feedback.idempotency_key == item.idempotency_key))
                if existing is None:
                    raise
                return existing, False

    def iter_rows(self, since_id: int = 0, batch: int = 1000) -> Iterator[dict[str, Any]]:
        """Every row in id order, read in pages (streams however large the table)."""
        last = since_id
        while True:
            with Session(self.engine) as s:
                rows = s.scalars(select(Feedback).where(Feedback.id > last).order_by(Feedback.id).limit(batch)).all()
            if not rows:
                return
            for r in rows:
                yield to_json(r)
            last = rows[-1].id

    def count(self) -> int:
        from sqlalchemy import func

        with Session(self.engine) as s:
            return int(s.scalar(select(func.count(Feedback.id))) or 0)

    def delete(self, feedback_id: int) -> bool:
        with self.sessions() as s:
            result = s.execute(delete(Feedback).where(Feedback.id == feedback_id))
            s.commit()
            return result.rowcount > 0

    def purge_expired(self, now: datetime | None = None) -> int:
        """Delete rows older than the retention period (none when retention is unset)."""
        if not self.retention_days:
            return 0
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self.retention_days)
        with self.sessions() as s:
            result = s.execute(delete(Feedback).where(Feedback.created_at < cutoff))
            s.commit()
            return result.rowcount

    def close(self) -> None:
        self.engine.dispose()
