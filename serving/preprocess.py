"""Text preprocessing shared by training and serving, so both sides tokenize identically."""

from __future__ import annotations

import unicodedata

_CONTROL_KEEP = {"\n", "\t"}


def normalize_text(text: str) -> str:
    """NFC (decomposed å/ä/ø would otherwise split into two pieces), control characters dropped, ends stripped."""
    text = unicodedata.normalize("NFC", text)
    if any(unicodedata.category(ch) == "Cc" and ch not in _CONTROL_KEEP for ch in text):
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc" or ch in _CONTROL_KEEP)
    return text.strip()


def head_tail(ids: list[int], max_content: int, head_fraction: float = 0.5) -> tuple[list[int], bool]:
    """Keep the first and last tokens of a too-long sequence (content ids, no specials). Returns (ids, truncated).

    Long e-mails put the greeting and the quoted history at the ends and the reason anywhere; keeping both ends
    is measured against plain head truncation in training's evaluation.
    """
    if len(ids) <= max_content:
        return ids, False
    head = max(1, round(max_content * head_fraction))
    tail = max_content - head
    return ids[:head] + (ids[-tail:] if tail else []), True
