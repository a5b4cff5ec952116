"""Property-based API tests from the OpenAPI schema at /schema against a real server: no input gives a 5xx.

(schemathesis' own pytest plugin does not run under this pytest, so operations are driven with Hypothesis here.)
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from tests.test_server import server  # noqa: E402,F401  (the real-server fixture)


def test_no_input_gives_a_server_error(server):  # noqa: F811
    base, _ = server
    schema = schemathesis.openapi.from_url(base + "/schema/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = sorted(op.label for op in operations)
    assert "POST /v1/classify" in labels and "POST /v1/classify/batch" in labels and "POST /v1/feedback" in labels
    for op in operations:
        _fuzz(op, base)


def _fuzz(op, base: str) -> None:
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=op.as_strategy())
    def check(case):
        response = case.call(base_url=base, timeout=30)
        assert response.status_code < 500, (op.label, response.status_code, response.text[:300])
        case.validate_response(response, checks=[not_a_server_error])

    check()
