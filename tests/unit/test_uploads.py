"""mailer.graph.uploads' pure parts: chunk sizes, nextExpectedRanges."""
import pytest

from mailer.graph.uploads import CHUNK_SIZE, MAX_CHUNK, UNIT, check_chunk_size, next_expected


def test_default_chunk_is_ten_units_under_4mb():
    assert CHUNK_SIZE == 3_276_800 == 10 * 320 * 1024 and CHUNK_SIZE <= MAX_CHUNK


@pytest.mark.parametrize("size", [0, -UNIT, UNIT + 1, 13 * UNIT, 1000])
def test_bad_chunk_sizes_are_refused(size):
    with pytest.raises(ValueError, match="multiple of 327680"):
        check_chunk_size(size)


@pytest.mark.parametrize("body, expected", [
    ({"nextExpectedRanges": ["0-"]}, 0),
    ({"nextExpectedRanges": ["3276800"]}, 3_276_800),
    ({"NextExpectedRanges": ["12-99", "5-6"]}, 5),
    ({"nextExpectedRanges": []}, None),
    ({"nextExpectedRanges": ["x-"]}, None),
    (None, None),
])
def test_next_expected(body, expected):
    assert next_expected(body) == expected
