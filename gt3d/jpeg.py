"""A minimal baseline JPEG writer for the demo's camera images: flat 8x8 blocks, DC coefficients only.

Enough for a browser (and Ground Truth's worker UI) to show a recognisable picture, with no imaging library:
ITU T.81 baseline, YCbCr, one quantization table of ones and the standard luminance DC Huffman table.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

_DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)  # ITU T.81 table K.3, luminance DC
_DC_VALUES = tuple(range(12))


def _huffman_codes(bits: Sequence[int], values: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Return ``symbol -> (code, length)`` for a canonical JPEG Huffman table."""
    codes: dict[int, tuple[int, int]] = {}
    code, position = 0, 0
    for length, count in enumerate(bits, start=1):
        for _ in range(count):
            codes[values[position]] = (code, length)
            code += 1
            position += 1
        code <<= 1
    return codes


class _BitWriter:
    def __init__(self) -> None:
        self.data = bytearray()
        self._acc = 0
        self._count = 0

    def write(self, value: int, length: int) -> None:
        for shift in range(length - 1, -1, -1):
            self._acc = (self._acc << 1) | ((value >> shift) & 1)
            self._count += 1
            if self._count == 8:
                self._emit(self._acc)
                self._acc = self._count = 0

    def flush(self) -> bytes:
        while self._count:
            self.write(1, 1)  # pad the last byte with 1-bits, as T.81 asks
        return bytes(self.data)

    def _emit(self, byte: int) -> None:
        self.data.append(byte)
        if byte == 0xFF:
            self.data.append(0x00)  # byte stuffing


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">HH", marker, len(payload) + 2) + payload


def encode_jpeg(width: int, height: int, block_colors: Sequence[Sequence[tuple[int, int, int]]]) -> bytes:
    """Encode a baseline YCbCr JPEG whose every 8x8 block is one flat colour (rows of RGB tuples per block)."""
    if width % 8 or height % 8:
        raise ValueError("width and height must be multiples of 8")
    dc_codes = _huffman_codes(_DC_BITS, _DC_VALUES)
    out = bytearray(b"\xff\xd8")
    out += _segment(0xFFE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    out += _segment(0xFFDB, b"\x00" + b"\x01" * 64)  # quantization table 0: all ones (lossless DC)
    components = b"".join(bytes((ident, 0x11, 0)) for ident in (1, 2, 3))
    out += _segment(0xFFC0, struct.pack(">BHHB", 8, height, width, 3) + components)
    out += _segment(0xFFC4, b"\x00" + bytes(_DC_BITS) + bytes(_DC_VALUES))  # DC table 0
    out += _segment(0xFFC4, b"\x10" + bytes((1,) + (0,) * 15) + b"\x00")  # AC table 0: end-of-block only
    out += _segment(0xFFDA, b"\x03" + b"".join(bytes((ident, 0x00)) for ident in (1, 2, 3)) + b"\x00\x3f\x00")
    writer = _BitWriter()
    predictors = [0, 0, 0]
    for row in block_colors:
        for red, green, blue in row:
            ycc = (
                0.299 * red + 0.587 * green + 0.114 * blue,
                128 - 0.168736 * red - 0.331264 * green + 0.5 * blue,
                128 + 0.5 * red - 0.418688 * green - 0.081312 * blue,
            )
            for component, value in enumerate(ycc):
                dc = 8 * (min(255, max(0, int(value + 0.5))) - 128)
                diff = dc - predictors[component]
                predictors[component] = dc
                size = abs(diff).bit_length()
                code, length = dc_codes[size]
                writer.write(code, length)
                if size:
                    writer.write(diff if diff >= 0 else diff + (1 << size) - 1, size)
                writer.write(0, 1)  # end of block: every AC coefficient is zero
    out += writer.flush()
    out += b"\xff\xd9"
    return bytes(out)
