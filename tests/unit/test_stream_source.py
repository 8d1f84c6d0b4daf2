"""uploads.StreamSource: a request body forwarded chunk by chunk, read ahead within bounds."""
import io
import os
import tracemalloc

import pytest

from mailer.graph.uploads import CHUNK_SIZE, StreamSource

MB = 1024 * 1024


def test_chunks_come_out_whole_across_piece_boundaries_and_a_resume_goes_back_within_one():
    data = os.urandom(3 * CHUNK_SIZE + 12345)
    source = StreamSource(io.BytesIO(data), len(data), "f.bin")
    try:
        first = source.read(0, CHUNK_SIZE)
        assert first == data[:CHUNK_SIZE]
        assert source.read(100, CHUNK_SIZE) == data[100:100 + CHUNK_SIZE]  # resumed within
        rest, at = [], 100 + CHUNK_SIZE
        while at < len(data):
            piece = source.read(at, min(CHUNK_SIZE, len(data) - at))
            rest.append(piece)
            at += len(piece)
        assert b"".join([data[:100 + CHUNK_SIZE], *rest]) == data
        with pytest.raises(ValueError, match="no longer held"):
            source.read(0, 10)  # already forwarded: never re-sent from nowhere
    finally:
        source.close()


def test_a_body_that_ends_early_says_how_much_arrived():
    source = StreamSource(io.BytesIO(b"x" * 1000), 5000, "cut.bin")
    try:
        with pytest.raises(ValueError, match="ended after 1,000 of 5,000 bytes"):
            source.read(0, 5000)
    finally:
        source.close()


def test_reading_ahead_holds_a_bounded_amount():
    size = 64 * MB

    class Endless(io.RawIOBase):
        left = size

        def readable(self):
            return True

        def readinto(self, buffer):
            n = min(len(buffer), self.left)
            buffer[:n] = b"y" * n
            self.left -= n
            return n

    tracemalloc.start()
    try:
        source = StreamSource(io.BufferedReader(Endless()), size, "big.bin")
        at = 0
        while at < size:
            at += len(source.read(at, min(CHUNK_SIZE, size - at)))
        _, peak = tracemalloc.get_traced_memory()
        source.close()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MB, f"peak {peak / MB:.1f} MB for 64 MB forwarded"
