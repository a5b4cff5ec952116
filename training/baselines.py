"""Baselines the fine-tuned model must beat, trained or defined on the same train split.

(a) keyword rules: hand-written Scandinavian/English patterns, first matching reason wins;
(b) TF-IDF word (1-2) + character (2-5, within word boundaries) n-grams with logistic regression.
Both return probability matrices over REASONS and SENTIMENTS so the same report applies to them.
"""

from __future__ import annotations

import re

import numpy as np

from serving.labels import REASONS, SENTIMENTS

KEYWORDS: dict[str, str] = {
    "died": r"dödsbo|dødsbo|\bdöd|\bdød|gått bort|gået bort|gått bort|avled|døydde|døde|afdød|passed away|deceased"
    r"|died|estate|begravning|begravelse|gravferd",
    "moved": r"flytta|flytte|flytter|flyttar|utomlands|udlandet|utlandet|moving|relocat|moved to|abroad",
    "other_contacts": r"svåger|svoger|svigers|min bror|min syster|min søster|arbetsgivare|arbejdsgiver|arbeidsgiver"
    r"|employer|another agency|annan byrå|anden|annet byrå|via jobbet|gennem jobbet|gjennom jobben|friend|kompis"
    r"|brother-in-law|bundle|paket hos|pakke hos",
    "price": r"dyr|pris|billig|avgift|gebyr|faktura|regning|kostar|koster|kostnad|expensive|price|cheaper|fee|invoice",
    "treatment": r"otrevlig|uhøflig|uhøfleg|frekk|oförskämd|bemött|ignor|svarar inte|svarer ikke|svarer ikkje"
    r"|inget svar|intet svar|ikke svar|ingen svar|rude|no answer|never replied|kundtjänst|kundeservice|kundservice"
    r"|attitude|respekt",
    "quality": r"trasig|sönder|i stykker|øydelagd|defekt|fungerar inte|virker ikke|fungerer ikke|fungerer ikkje"
    r"|fel|fejl|feil|broken|bug|late|försen|forsink|kvalitet|quality|kall|kold|kald",
}
POSITIVE = r"tack|tak\b|takk|bra|god|gód|nöjd|fornøyd|tilfreds|super|fantastisk|perfekt|great|thanks|excellent|❤|😊"
NEGATIVE = r"inte|ikke|ikkje|aldrig|aldri|dålig|dårlig|elendig|tyvärr|desværre|dessverre|never|bad|worst|problem|😡"


class KeywordBaseline:
    def __init__(self) -> None:
        self.patterns = {k: re.compile(v, re.IGNORECASE) for k, v in KEYWORDS.items()}
        self.pos, self.neg = re.compile(POSITIVE, re.IGNORECASE), re.compile(NEGATIVE, re.IGNORECASE)

    def fit(self, texts: list[str], reasons: list[str], sentiments: list[str]) -> KeywordBaseline:
        return self  # rules are fixed; nothing to learn

    def predict_proba(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        r = np.zeros((len(texts), len(REASONS)))
        s = np.zeros((len(texts), len(SENTIMENTS)))
        for i, t in enumerate(texts):
            hit = next((k for k, p in self.patterns.items() if p.search(t)), "none")
            r[i, REASONS.index(hit)] = 1.0
            score = len(self.pos.findall(t)) - len(self.neg.findall(t))
            s[i, 0 if score < 0 else 2 if score > 0 else 1] = 1.0
        return r, s


class TfidfBaseline:
    def __init__(self, seed: int = 0) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, make_pipeline

        def make():
            features = FeatureUnion(
                [
                    ("word", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True)),
                    ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)),
                ]
            )
            clf = LogisticRegression(max_iter=2000, C=10.0, class_weight="balanced", random_state=seed)
            return make_pipeline(features, clf)

        self.reason_model, self.sentiment_model = make(), make()

    def fit(self, texts: list[str], reasons: list[str], sentiments: list[str]) -> TfidfBaseline:
        self.reason_model.fit(texts, reasons)
        self.sentiment_model.fit(texts, sentiments)
        return self

    @staticmethod
    def _aligned(model, texts: list[str], classes: tuple[str, ...]) -> np.ndarray:
        proba = model.predict_proba(texts)
        out = np.zeros((len(texts), len(classes)))
        for j, c in enumerate(model.classes_):
            out[:, classes.index(c)] = proba[:, j]
        return out

    def predict_proba(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        return (
            self._aligned(self.reason_model, texts, REASONS),
            self._aligned(self.sentiment_model, texts, SENTIMENTS),
        )
