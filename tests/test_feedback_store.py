"""The feedback store, the same suite on SQLite and on a real PostgreSQL (CHURNLENS_TEST_POSTGRES_URL)."""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text, update

from serving.feedback.models import Feedback
from serving.feedback.store import FeedbackIn, FeedbackStore, InvalidFeedback

PG_URL = os.environ.get("CHURNLENS_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = FeedbackStore(f"sqlite:///{tmp_path / 'fb.sqlite3'}", retention_days=30)
    else:
        if not PG_URL:
            if os.environ.get("CI"):
                pytest.fail("CI must provide CHURNLENS_TEST_POSTGRES_URL (.ci/run starts PostgreSQL)")
            pytest.skip("no PostgreSQL: set CHURNLENS_TEST_POSTGRES_URL")
        schema_free = FeedbackStore(PG_URL, retention_days=30)
        with schema_free.engine.begin() as conn:
            conn.execute(text("DELETE FROM feedback"))
        s = schema_free
    yield s
    s.close()


def _item(i: int = 0, **kw) -> FeedbackIn:
    base = dict(
        annotator="agent-7",
        text=f"Ingen svarar på mina mejl ({i})",
        model_version="v1",
        predicted_reason="quality",
        corrected_reason="treatment",
    )
    return FeedbackIn(**(base | kw))


def test_add_export_delete(store):
    fid, created = store.add(_item(message_id="m-1"))
    assert created
    rows = list(store.iter_rows())
    assert [r["id"] for r in rows] == [fid]
    assert rows[0]["corrected_reason"] == "treatment" and rows[0]["message_id"] == "m-1"
    assert store.delete(fid) and not store.delete(fid)
    assert store.count() == 0


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"annotator": " "}, "annotator"),
        ({"text": None, "message_id": None}, "message_id"),
        ({"corrected_reason": None}, "corrected_reason"),
        ({"corrected_reason": "rude"}, "corrected_reason"),
        ({"corrected_sentiment": "angry"}, "corrected_sentiment"),
    ],
)
def test_invalid_feedback_names_the_field(store, kw, field):
    with pytest.raises(InvalidFeedback) as err:
        store.add(_item(**kw))
    assert err.value.field == field


def test_idempotency_key_stores_once(store):
    key = str(uuid.uuid4())
    a = store.add(_item(idempotency_key=key))
    b = store.add(_item(idempotency_key=key))
    assert a[0] == b[0] and a[1] and not b[1]
    assert store.count() == 1


def test_thousand_concurrent_writes_stored_exactly_once(store):
    keys = [f"k-{i}" for i in range(1000)]

    def write(i: int) -> int:
        store.add(_item(i, idempotency_key=keys[i]))
        return store.add(_item(i, idempotency_key=keys[i]))[0]  # a client retry

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(write, range(1000)))
    assert len(set(ids)) == 1000
    assert store.count() == 1000
    texts = sorted(r["text"] for r in store.iter_rows(batch=97))
    assert texts == sorted(f"Ingen svarar på mina mejl ({i})" for i in range(1000))


def test_retention_purges_old_rows(store):
    old, _ = store.add(_item(1))
    new, _ = store.add(_item(2))
    with store.engine.begin() as conn:
        conn.execute(
            update(Feedback).where(Feedback.id == old).values(created_at=datetime.now(UTC) - timedelta(days=40))
        )
    assert store.purge_expired() == 1
    assert [r["id"] for r in store.iter_rows()] == [new]


def test_migrations_are_idempotent(store):
    from serving.feedback.store import migrate

    migrate(store.engine)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
