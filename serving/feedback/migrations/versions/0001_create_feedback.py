"""create the feedback table

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=True, unique=True),
        sa.Column("message_id", sa.String(256), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("text_sha256", sa.String(64), nullable=True),
        sa.Column("model_version", sa.String(64), nullable=True),
        sa.Column("predicted_reason", sa.String(32), nullable=True),
        sa.Column("predicted_sentiment", sa.String(16), nullable=True),
        sa.Column("corrected_reason", sa.String(32), nullable=True),
        sa.Column("corrected_sentiment", sa.String(16), nullable=True),
        sa.Column("annotator", sa.String(128), nullable=False),
        sa.CheckConstraint("message_id IS NOT NULL OR text IS NOT NULL", name="ck_feedback_message"),
        sa.CheckConstraint(
            "corrected_reason IS NOT NULL OR corrected_sentiment IS NOT NULL", name="ck_feedback_correction"
        ),
    )
    op.create_index("ix_feedback_created_at", "feedback", ["created_at"])
    op.create_index("ix_feedback_text_sha256", "feedback", ["text_sha256"])
    op.create_index("ix_feedback_message_id", "feedback", ["message_id"])


def downgrade() -> None:
    op.drop_table("feedback")
