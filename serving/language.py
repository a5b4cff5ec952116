"""Language identification with py3langid (a small offline n-gram model shipped in its wheel).

Chosen over a third encoder head because it was trained on far more text per language than our data holds; its
accuracy on our test split is measured by `churnlens evaluate`. Its `no` class is Bokmål-dominated and reported
as `nb`; texts whose best language over all 97 it knows is none of ours are `other`.
"""

from __future__ import annotations

from functools import cached_property

OURS = {"sv": "sv", "da": "da", "no": "nb", "nn": "nn", "en": "en"}


class LanguageDetector:
    @cached_property
    def _full(self):
        import py3langid.langid as langid

        return langid.LanguageIdentifier.from_modelpath(langid.MODEL_DIR / langid.MODEL_FILE, norm_probs=True)

    @cached_property
    def _ours(self):
        import py3langid.langid as langid

        ident = langid.LanguageIdentifier.from_modelpath(langid.MODEL_DIR / langid.MODEL_FILE, norm_probs=True)
        ident.set_languages(list(OURS))
        return ident

    def detect(self, text: str) -> str:
        if not any(ch.isalpha() for ch in text):
            return "other"
        top, prob = self._full.classify(text)
        if top not in OURS and prob >= 0.9 and len(text) >= 20:
            return "other"
        return OURS[self._ours.classify(text)[0]]
