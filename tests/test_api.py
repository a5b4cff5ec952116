"""The HTTP API with Litestar's test client, on the tiny shipped model."""

from __future__ import annotations

import pytest

pytest.importorskip("litestar")

from litestar.testing import TestClient

from serving.api.app import create_app
from serving.api.settings import ServeSettings


@pytest.fixture(scope="module")
def settings(tiny_models_dir, tmp_path_factory) -> ServeSettings:
    db = tmp_path_factory.mktemp("db") / "fb.sqlite3"
    return ServeSettings(
        model_dir=str(tiny_models_dir / "t1"), threads=1, max_batch_messages=8, database_url=f"sqlite:///{db}"
    )


@pytest.fixture(scope="module")
def client(settings):
    with TestClient(create_app(settings)) as c:
        yield c


def test_classify_one(client):
    r = client.post("/v1/classify", json={"text": "otrevlig personal svarar aldrig", "id": "m-1"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == "m-1" and body["model"] == "churnlens-t1"
    assert set(body["reason_scores"]) == {"died", "moved", "other_contacts", "price", "quality", "treatment", "none"}
    assert body["treatment"] == (body["reason"] == "treatment")
    assert r.headers["x-request-id"]


def test_batch_keeps_order_and_ids(client):
    msgs = [{"text": t, "id": str(i)} for i, t in enumerate(["för dyrt pris", "tack så mycket", "otrevlig"])]
    r = client.post("/v1/classify/batch", json={"messages": msgs})
    assert r.status_code == 200, r.text
    assert [p["id"] for p in r.json()["predictions"]] == ["0", "1", "2"]


def test_empty_text_is_422_naming_field_and_index(client):
    r = client.post("/v1/classify/batch", json={"messages": [{"text": "ok"}, {"text": "  \n"}]})
    assert r.status_code == 422
    assert "messages[1].text" in r.text
    r = client.post("/v1/classify", json={"text": ""})
    assert r.status_code == 422 and "text" in r.text


def test_too_many_messages_is_422(client):
    r = client.post("/v1/classify/batch", json={"messages": [{"text": "hej"}] * 9})
    assert r.status_code == 422 and "at most 8" in r.text


@pytest.mark.parametrize(
    ("body", "field"),
    [({"text": 5}, "text"), ({"txt": "hej"}, "txt"), ({"messages": "hej"}, "messages")],
)
def test_wrong_types_are_400_naming_the_field(client, body, field):
    path = "/v1/classify/batch" if "messages" in body else "/v1/classify"
    r = client.post(path, json=body)
    assert r.status_code == 400
    assert field in r.text


def test_undecodable_body_is_400(client):
    r = client.post("/v1/classify", content=b"\xff\xfe{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400


def test_long_text_is_truncated_not_rejected(client):
    r = client.post("/v1/classify", json={"text": "otrevlig personal " * 2000})
    assert r.status_code == 200 and r.json()["truncated"] is True


def test_labels_model_health_ready_metrics_schema(client):
    labels = client.get("/v1/labels").json()
    treatment = next(x for x in labels["reasons"] if x["name"] == "treatment")
    assert treatment["classic_study_share"] == 0.68
    assert client.get("/v1/model").json()["version"] == "t1"
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json() == {"status": "ready"}
    metrics = client.get("/metrics").text
    assert "churnlens_requests_total" in metrics and "churnlens_inference_batch_size" in metrics
    assert "churnlens_predictions_total" in metrics
    assert "/v1/classify/batch" in client.get("/schema/openapi.json").json()["paths"]


def test_api_keys(settings):
    from dataclasses import replace

    with TestClient(create_app(replace(settings, api_keys=("s3cret", "other")))) as c:
        assert c.post("/v1/classify", json={"text": "hej"}).status_code == 401
        bad = {"Authorization": "Bearer nope"}
        assert c.post("/v1/classify", json={"text": "hej"}, headers=bad).status_code == 403
        good = {"Authorization": "Bearer s3cret"}
        assert c.post("/v1/classify", json={"text": "hej"}, headers=good).status_code == 200
        assert c.get("/health").status_code == 200
        assert c.post("/v1/admin/reload", headers=good).json()["current"] == "t1"


def test_admin_reload_refused_without_keys(client):
    assert client.post("/v1/admin/reload").status_code == 403


def test_message_text_never_logged(settings, caplog):
    secret = "Mitt personnummer är 19121212-1212 och jag heter Sven"
    with caplog.at_level("DEBUG"), TestClient(create_app(settings)) as c:
        c.post("/v1/classify", json={"text": secret})
    assert "1212" not in caplog.text and "Sven" not in caplog.text
    assert "request id=" in caplog.text


def test_feedback_routes(settings, tmp_path):
    from dataclasses import replace

    s = replace(settings, api_keys=("k",), database_url=f"sqlite:///{tmp_path / 'fb.sqlite3'}")
    auth = {"Authorization": "Bearer k"}
    body = {"text": "Ingen svarar", "annotator": "a1", "corrected_reason": "treatment", "idempotency_key": "x1"}
    with TestClient(create_app(s)) as c:
        first = c.post("/v1/feedback", json=body, headers=auth)
        assert first.status_code == 201
        again = c.post("/v1/feedback", json=body, headers=auth)
        assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
        bad = c.post("/v1/feedback", json={**body, "corrected_reason": "rude", "idempotency_key": None}, headers=auth)
        assert bad.status_code == 422 and "corrected_reason" in bad.text
        export = c.get("/v1/admin/feedback/export", headers=auth)
        lines = export.text.strip().splitlines()
        assert export.status_code == 200 and len(lines) == 1 and '"treatment"' in lines[0]
        assert c.delete(f"/v1/admin/feedback/{first.json()['id']}", headers=auth).status_code == 204
        assert c.delete(f"/v1/admin/feedback/{first.json()['id']}", headers=auth).status_code == 404


def test_reload_under_load_loses_no_request(settings):
    """Requests keep flowing from several threads while the model is swapped three times: every one succeeds."""
    import threading
    from dataclasses import replace

    statuses: list[int] = []
    lock = threading.Lock()
    with TestClient(create_app(replace(settings, api_keys=("k",)))) as c:
        auth = {"Authorization": "Bearer k"}

        def caller(n: int) -> None:
            for i in range(n):
                r = c.post("/v1/classify", json={"text": f"otrevlig personal {i}"}, headers=auth)
                with lock:
                    statuses.append(r.status_code)

        threads = [threading.Thread(target=caller, args=(40,)) for _ in range(4)]
        for t in threads:
            t.start()
        reloads = [c.post("/v1/admin/reload", headers=auth).status_code for _ in range(3)]
        for t in threads:
            t.join(timeout=120)
    assert reloads == [200, 200, 200]
    assert len(statuses) == 160 and set(statuses) == {200}


def test_full_queue_is_503_with_retry_after(settings):
    from dataclasses import replace

    with TestClient(create_app(replace(settings, queue_size=2))) as c:
        r = c.post("/v1/classify/batch", json={"messages": [{"text": "hej"}] * 3})
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        assert c.post("/v1/classify", json={"text": "hej"}).status_code == 200
        assert "churnlens_overloaded_total 1.0" in c.get("/metrics").text


def test_body_over_the_limit_is_413(settings):
    from dataclasses import replace

    with TestClient(create_app(replace(settings, max_body_bytes=1000))) as c:
        assert c.post("/v1/classify", json={"text": "x" * 5000}).status_code == 413


def test_serving_imports_without_torch_transformers_or_datasets():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "for name in ('torch', 'transformers', 'datasets'):\n"
        "    sys.modules[name] = None\n"
        "import serving.predictor, serving.api.app, serving.bulk.score, serving.bulk.report, serving.bulk.notebook\n"
        "import serving.bulk.ray_engine, serving.feedback.store\n"
        "import churnlens.cli\n"
        "churnlens.cli.build_parser()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
