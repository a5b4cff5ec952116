"""The feedback table (SQLAlchemy 2 declarative)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def utcnow() -> datetime:
    return datetime.now(UTC)


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    text_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    model_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    predicted_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    predicted_sentiment: Mapped[str | None] = mapped_column(String(16), nullable=True)
    corrected_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    corrected_sentiment: Mapped[str | None] = mapped_column(String(16), nullable=True)
    annotator: Mapped[str] = mapped_column(String(128), nullable=False)

    __table_args__ = (
        CheckConstraint("message_id IS NOT NULL OR text IS NOT NULL", name="ck_feedback_message"),
        CheckConstraint(
            "corrected_reason IS NOT NULL OR corrected_sentiment IS NOT NULL", name="ck_feedback_correction"
        ),
        Index("ix_feedback_created_at", "created_at"),
        Index("ix_feedback_text_sha256", "text_sha256"),
        Index("ix_feedback_message_id", "message_id"),
    )
