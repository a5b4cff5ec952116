"""The HTML report, opened offline in headless Chromium: the three charts are drawn, in their colours."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest

from serving.bulk.report import CLASSIC, OURS, REASON_COLOURS, SENTIMENT_COLOURS, render_html
from serving.bulk.summary import Summary
from tests.pngread import read_png

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def _summary() -> dict:
    import pyarrow as pa

    s = Summary(model="churnlens-test")
    reasons = ["treatment"] * 41 + ["quality"] * 20 + ["price"] * 15 + ["none"] * 20 + ["moved"] * 4
    n = len(reasons)
    s.add_table(
        pa.table(
            {
                "reason": reasons,
                "sentiment": (["negative"] * 3 + ["neutral", "positive"]) * (n // 5),
                "language": (["sv", "da", "nb", "en"] * n)[:n],
                "needs_review": [i % 7 == 0 for i in range(n)],
                "error": pa.array([None] * n, type=pa.string()),
            }
        )
    )
    return s.to_json()


def _hex(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])


def test_report_charts_are_drawn(tmp_path):
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have chromium (.ci/run installs it)")
        pytest.skip("chromium is not installed (.ci/run installs it)")
    page = tmp_path / "report.html"
    page.write_text(render_html(_summary()), encoding="utf-8")
    dom = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile-dom'}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert dom.count("<svg") == 3 and dom.count('class="bar"') >= 12
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={tmp_path / 'profile-png'}",
            f"--screenshot={shot}",
            "--window-size=820,2000",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    pixels = read_png(shot).reshape(-1, 3).astype(int)
    for colour in (
        OURS,
        CLASSIC,
        REASON_COLOURS["treatment"],
        REASON_COLOURS["quality"],
        SENTIMENT_COLOURS["positive"],
    ):
        drawn = int((np.abs(pixels - _hex(colour)).sum(1) <= 6).sum())
        assert drawn > 200, (colour, drawn)
