"""Counts and shares of a scored file, beside the classic study's shares."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pyarrow as pa

from serving.labels import CLASSIC_STUDY_SHARES, LANGUAGES, REASONS, SENTIMENTS


@dataclass
class Summary:
    model: str = ""
    rows: int = 0
    errors: int = 0
    needs_review: int = 0
    reasons: Counter = field(default_factory=Counter)
    sentiments: Counter = field(default_factory=Counter)
    languages: Counter = field(default_factory=Counter)
    reason_by_language: Counter = field(default_factory=Counter)
    sentiment_by_reason: Counter = field(default_factory=Counter)

    COLUMNS: ClassVar[list[str]] = ["reason", "sentiment", "language", "needs_review", "error"]

    def add_table(self, table: pa.Table) -> None:
        cols = {c: table.column(c).to_pylist() for c in self.COLUMNS}
        self.rows += table.num_rows
        for reason, sentiment, language, review, error in zip(*cols.values(), strict=True):
            if error is not None or reason is None:
                self.errors += 1
                continue
            self.reasons[reason] += 1
            self.sentiments[sentiment] += 1
            self.languages[language] += 1
            self.reason_by_language[(language, reason)] += 1
            self.sentiment_by_reason[(reason, sentiment)] += 1
            self.needs_review += bool(review)

    @property
    def scored(self) -> int:
        return self.rows - self.errors

    def to_json(self) -> dict[str, Any]:
        scored = max(1, self.scored)
        churn = sum(self.reasons[r] for r in CLASSIC_STUDY_SHARES)
        return {
            "model": self.model,
            "rows": self.rows,
            "scored": self.scored,
            "errors": self.errors,
            "needs_review": self.needs_review,
            "reasons": {r: {"count": self.reasons[r], "share": self.reasons[r] / scored} for r in REASONS},
            # among messages that give a churn reason, beside the classic study's shares of leavers
            "churn_reasons_vs_classic_study": {
                r: {"share": (self.reasons[r] / churn) if churn else 0.0, "classic_study": s}
                for r, s in CLASSIC_STUDY_SHARES.items()
            },
            "treatment_share_of_churn_reasons": (self.reasons["treatment"] / churn) if churn else 0.0,
            "sentiments": {s: {"count": self.sentiments[s], "share": self.sentiments[s] / scored} for s in SENTIMENTS},
            "languages": {
                lang: {"count": self.languages[lang], "share": self.languages[lang] / scored}
                for lang in LANGUAGES
                if self.languages[lang]
            },
            "reason_by_language": {
                lang: {r: self.reason_by_language[(lang, r)] for r in REASONS}
                for lang in LANGUAGES
                if self.languages[lang]
            },
            "sentiment_by_reason": {r: {s: self.sentiment_by_reason[(r, s)] for s in SENTIMENTS} for r in REASONS},
        }

    def headline(self) -> str:
        j = self.to_json()
        return (
            f"{self.rows:,} rows, {self.scored:,} scored, {self.errors:,} with errors, "
            f"{self.needs_review:,} need review. Treatment: {j['treatment_share_of_churn_reasons']:.0%} of churn "
            f"reasons (classic study: 68 %)."
        )
