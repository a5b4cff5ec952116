"""The onnxruntime predictor: tokenizers fast tokenizer, length-sorted micro-batches with dynamic padding,
temperature-scaled probabilities and the needs-review signal from the shipped thresholds."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from serving.language import LanguageDetector
from serving.model_files import ModelSpec, default_model_dir, read_spec
from serving.preprocess import head_tail, normalize_text
from serving.schema import Prediction

MAX_CHARS = 20_000  # longer texts keep their first and last 10k characters before tokenising


class InvalidText(ValueError):
    """A text the model cannot score: not a string, or empty after normalisation."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(f"text[{index}]: {message}")
        self.index = index


def softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class Predictor:
    def __init__(self, model_dir: str | Path | None = None, threads: int = 0, batch_size: int = 8) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
        self.spec: ModelSpec = read_spec(self.model_dir)
        self.batch_size = batch_size
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads or (os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(self.model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self.bos = self.tokenizer.token_to_id("<s>")
        self.eos = self.tokenizer.token_to_id("</s>")
        self.pad = self.tokenizer.token_to_id("<pad>")
        self.languages = LanguageDetector()

    @property
    def version(self) -> str:
        return self.spec.version

    @property
    def model_name(self) -> str:
        return f"churnlens-{self.spec.version}"

    def metrics_summary(self) -> dict[str, object]:
        """Headline test figures from the model directory's metrics.json (empty when it has none)."""
        path = self.model_dir / "metrics.json"
        if not path.is_file():
            return {}
        metrics = json.loads(path.read_text(encoding="utf-8"))
        main = metrics.get("test", {}).get(self.model_name, {})
        summary: dict[str, object] = {}
        if main:
            summary["test_reason_macro_f1"] = main["reason"]["macro_f1"]
            summary["test_sentiment_macro_f1"] = main["sentiment"]["macro_f1"]
            summary["test_treatment_f1"] = main["treatment_flag"]["f1"]
            summary["by_origin"] = main.get("by_origin", {})
        return summary

    def _clean(self, texts: Sequence[object]) -> list[str]:
        out = []
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise InvalidText(i, f"must be a string, got {type(t).__name__}")
            clean = normalize_text(t)
            if not clean:
                raise InvalidText(i, "is empty or whitespace only")
            if len(clean) > MAX_CHARS:
                clean = clean[: MAX_CHARS // 2] + "\n…\n" + clean[-MAX_CHARS // 2 :]
            out.append(clean)
        return out

    def encode(self, texts: list[str]) -> tuple[list[list[int]], list[bool]]:
        spec = self.spec
        encs = self.tokenizer.encode_batch([spec.text_prefix + t for t in texts], add_special_tokens=False)
        ids, truncated = [], []
        for enc in encs:
            if spec.truncation == "head":
                kept, cut = enc.ids[: spec.max_length - 2], len(enc.ids) > spec.max_length - 2
            else:
                kept, cut = head_tail(enc.ids, spec.max_length - 2)
            ids.append([self.bos, *kept, self.eos])
            truncated.append(cut)
        return ids, truncated

    def logits(self, ids: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Raw logits in input order, computed in length-sorted micro-batches padded to their own longest row."""
        n = len(ids)
        reason = np.zeros((n, len(self.spec.reasons)), dtype=np.float32)
        sentiment = np.zeros((n, len(self.spec.sentiments)), dtype=np.float32)
        order = sorted(range(n), key=lambda i: len(ids[i]))
        for start in range(0, n, self.batch_size):
            chunk = order[start : start + self.batch_size]
            width = max(len(ids[i]) for i in chunk)
            batch = np.full((len(chunk), width), self.pad, dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                batch[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            r, s = self.session.run(None, {"input_ids": batch, "attention_mask": mask})
            reason[chunk] = r
            sentiment[chunk] = s
        return reason, sentiment

    def predict(self, texts: Sequence[str], ids: Sequence[str | None] | None = None) -> list[Prediction]:
        if ids is not None and len(ids) != len(texts):
            raise ValueError("ids and texts differ in length")
        if not texts:
            return []
        clean = self._clean(texts)
        token_ids, truncated = self.encode(clean)
        r_logits, s_logits = self.logits(token_ids)
        spec = self.spec
        r_prob = softmax(r_logits, spec.reason_temperature)
        s_prob = softmax(s_logits, spec.sentiment_temperature)
        out = []
        for i, text in enumerate(clean):
            rp, sp = r_prob[i], s_prob[i]
            top2 = np.sort(rp)[-2:]
            reason = spec.reasons[int(rp.argmax())]
            out.append(
                Prediction(
                    id=ids[i] if ids is not None else None,
                    reason=reason,
                    reason_scores={k: round(float(v), 6) for k, v in zip(spec.reasons, rp, strict=True)},
                    treatment=reason == "treatment",
                    sentiment=spec.sentiments[int(sp.argmax())],
                    sentiment_scores={k: round(float(v), 6) for k, v in zip(spec.sentiments, sp, strict=True)},
                    language=self.languages.detect(text),
                    needs_review=bool(top2[1] < spec.min_top_prob or top2[1] - top2[0] < spec.min_margin),
                    truncated=truncated[i],
                    model=self.model_name,
                )
            )
        return out

    def predict_one(self, text: str, id: str | None = None) -> Prediction:
        return self.predict([text], None if id is None else [id])[0]

    def predict_iter(self, texts: Iterable[str], chunk_size: int = 1024) -> Iterable[Prediction]:
        """Score any iterable of texts in chunks, for notebooks and pipelines."""
        chunk: list[str] = []
        for t in texts:
            chunk.append(t)
            if len(chunk) >= chunk_size:
                yield from self.predict(chunk)
                chunk = []
        if chunk:
            yield from self.predict(chunk)
