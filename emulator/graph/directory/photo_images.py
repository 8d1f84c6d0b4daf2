"""Small, valid demo photos drawn in pure Python: a baseline JPEG and a PNG, byte-for-byte stable.

Exchange serves profile photos as JPEG, so that is what most demo users get; one user has a PNG
so that clients are seen to honour the Content-Type instead of assuming JPEG. Each picture is a
square of one colour with a pattern drawn on the 8x8-pixel block grid: every JPEG block is then
flat, which lets the encoder write only DC coefficients (no DCT, no AC tables worth the name)
and still decode to exactly these colours. No imaging library is needed, nor wanted here.
"""
from __future__ import annotations

import struct
import zlib
from typing import Callable

RGB = tuple[int, int, int]
BLOCK = 8

# ITU T.81 Annex K.3 table K.3 (luminance DC): code-length counts for lengths 1..16, and symbols.
_DC_COUNTS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)
_DC_SYMBOLS = tuple(range(12))
# Every block is flat, so the only AC symbol ever written is end-of-block (0x00): one 1-bit code.
_AC_COUNTS = (1,) + (0,) * 15
_AC_SYMBOLS = (0x00,)


def pattern(size: int, background: RGB, ink: RGB, shape: str) -> Callable[[int, int], RGB]:
    """The colour of block (bx, by) of a ``size``-pixel square: a diamond, rings or stripes."""
    blocks = size // BLOCK
    centre = (blocks - 1) / 2

    def colour(bx: int, by: int) -> RGB:
        dx, dy = abs(bx - centre), abs(by - centre)
        if shape == "diamond":
            on = dx + dy <= blocks / 3
        elif shape == "rings":
            on = int(max(dx, dy)) % 3 == 0
        else:  # stripes
            on = (bx + by) % 4 < 2
        return ink if on else background
    return colour


def png(size: int, colour: Callable[[int, int], RGB]) -> bytes:
    """An 8-bit RGB PNG (filter 0 on every row)."""
    rows = bytearray()
    for y in range(size):
        rows.append(0)
        for x in range(size):
            rows.extend(colour(x // BLOCK, y // BLOCK))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b""))


def jpeg(size: int, colour: Callable[[int, int], RGB]) -> bytes:
    """A baseline JFIF JPEG, YCbCr 4:4:4, one flat 8x8 block per MCU and component.

    A flat block of value v (level-shifted) has the DC coefficient 8v and nothing else; with a
    DC quantizer of 8 the stored value is v itself, so decoding gives the colour back exactly.
    """
    if size % BLOCK:
        raise ValueError("the size must be a multiple of 8")
    dc_codes, ac_codes = _codes(_DC_COUNTS, _DC_SYMBOLS), _codes(_AC_COUNTS, _AC_SYMBOLS)
    bits = _BitWriter()
    previous = [0, 0, 0]
    blocks = size // BLOCK
    for by in range(blocks):
        for bx in range(blocks):
            for component, value in enumerate(_ycbcr(colour(bx, by))):
                diff, previous[component] = value - 128 - previous[component], value - 128
                category = abs(diff).bit_length()
                bits.write(*dc_codes[category])
                if category:
                    bits.write(diff if diff > 0 else diff + (1 << category) - 1, category)
                bits.write(*ac_codes[0x00])
    components = b"".join(bytes((cid, 0x11, 0)) for cid in (1, 2, 3))
    return b"".join((
        b"\xff\xd8",
        _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
        _segment(0xDB, b"\x00" + bytes([8] * 64)),  # only the DC entry (8) is ever used
        _segment(0xC0, struct.pack(">BHHB", 8, size, size, 3) + components),
        _segment(0xC4, b"\x00" + bytes(_DC_COUNTS) + bytes(_DC_SYMBOLS)
                 + b"\x10" + bytes(_AC_COUNTS) + bytes(_AC_SYMBOLS)),
        _segment(0xDA, b"\x03" + b"".join(bytes((cid, 0x00)) for cid in (1, 2, 3))
                 + b"\x00\x3f\x00"),
        bits.flush(),
        b"\xff\xd9",
    ))


def _ycbcr(rgb: RGB) -> tuple[int, int, int]:
    r, g, b = rgb
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    return tuple(min(255, max(0, round(v))) for v in (y, cb, cr))


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def _codes(counts, symbols) -> dict[int, tuple[int, int]]:
    """Canonical Huffman codes (T.81 Annex C): symbol -> (code, length)."""
    codes, code, index = {}, 0, 0
    for length, count in enumerate(counts, start=1):
        for _ in range(count):
            codes[symbols[index]] = (code, length)
            code, index = code + 1, index + 1
        code <<= 1
    return codes


class _BitWriter:
    """Entropy-coded bits, most significant first, with 0xFF bytes stuffed (0xFF 0x00)."""

    def __init__(self) -> None:
        self.out, self.acc, self.count = bytearray(), 0, 0

    def write(self, value: int, length: int) -> None:
        self.acc = (self.acc << length) | (value & ((1 << length) - 1))
        self.count += length
        while self.count >= 8:
            self.count -= 8
            self._byte((self.acc >> self.count) & 0xFF)
        self.acc &= (1 << self.count) - 1

    def flush(self) -> bytes:
        if self.count:
            self.write((1 << (8 - self.count)) - 1, 8 - self.count)  # pad with 1-bits
        return bytes(self.out)

    def _byte(self, byte: int) -> None:
        self.out.append(byte)
        if byte == 0xFF:
            self.out.append(0x00)
