"""The label schema, shared by training and serving (the one thing besides preprocessing that both import)."""

from __future__ import annotations

from typing import Final

REASONS: Final[tuple[str, ...]] = ("died", "moved", "other_contacts", "price", "quality", "treatment", "none")
SENTIMENTS: Final[tuple[str, ...]] = ("negative", "neutral", "positive")
LANGUAGES: Final[tuple[str, ...]] = ("sv", "da", "nb", "nn", "en", "other")
KINDS: Final[tuple[str, ...]] = ("email", "survey", "chat", "review")
ORIGINS: Final[tuple[str, ...]] = ("written", "real")
SPLITS: Final[tuple[str, ...]] = ("train", "dev", "test")

REASON_DESCRIPTIONS: Final[dict[str, str]] = {
    "died": "The customer (or the person or animal the product was for) died; relatives or an estate end it.",
    "moved": "The customer moves away: abroad, another city, out of the delivery or service area.",
    "other_contacts": "The customer goes elsewhere through another relationship: a friend or relative, a new "
    "employer's or partner's deal, a bundle, another agency.",
    "price": "Too expensive, price increases, fees, an unfair invoice, cheaper elsewhere, poor value.",
    "quality": "The product or service itself fails: defects, bugs, wrong or late delivery, poor food.",
    "treatment": "How people at the company dealt with the customer: rudeness, indifference, no answer, being "
    "passed around, blame, broken promises, no apology.",
    "none": "No churn reason: praise, a neutral question, an order, a change of address, a complaint naming no cause.",
}

# Share of lost customers per reason in the classic study (taxonomy.md); a yardstick for reports, not a prior.
CLASSIC_STUDY_SHARES: Final[dict[str, float]] = {
    "died": 0.01,
    "moved": 0.03,
    "other_contacts": 0.05,
    "price": 0.09,
    "quality": 0.14,
    "treatment": 0.68,
}

# Tie rule from the taxonomy: when two reasons are stressed equally, prefer the earlier one here.
TIE_PREFERENCE: Final[tuple[str, ...]] = ("treatment", "quality", "price")


def sentiment_from_stars(stars: int) -> str:
    """Star ratings to sentiment: 1-2 negative, 3 neutral, 4-5 positive."""
    if not 1 <= stars <= 5:
        raise ValueError(f"stars must be 1..5, got {stars}")
    return "negative" if stars <= 2 else "neutral" if stars == 3 else "positive"
