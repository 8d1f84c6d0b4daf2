"""Test files of varied bytes, written in pieces so that no large buffer is held."""
from __future__ import annotations

from pathlib import Path

_PRIME = 65_521  # a piece length that is no multiple of 3: base64 never lines up with it


def write_file(path: Path, size: int, seed: int = 7) -> Path:
    """``size`` bytes at ``path``, a repeating pattern that depends on ``seed``."""
    piece = bytes((i * seed + 13) % 256 for i in range(_PRIME))
    with path.open("wb") as out:
        left = size
        while left:
            out.write(piece[: min(left, len(piece))])
            left -= min(left, len(piece))
    return path
