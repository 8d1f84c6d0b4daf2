"""uploads.py's pure parts: chunk sizes and byte ranges, nextExpectedRanges."""
import pytest

from mailer.graph.uploads import CHUNK_SIZE, MAX_CHUNK, UNIT, check_chunk_size, chunk_ranges, next_expected


def test_default_chunk_is_ten_units_under_4mb():
    assert CHUNK_SIZE == 3_276_800 == 10 * 320 * 1024 and CHUNK_SIZE <= MAX_CHUNK


@pytest.mark.parametrize("size", [0, -UNIT, UNIT + 1, 13 * UNIT, 1000])
def test_bad_chunk_sizes_are_refused(size):
    with pytest.raises(ValueError, match="multiple of 327680"):
        check_chunk_size(size)


@pytest.mark.parametrize("total, chunk, start, expected", [
    (1, UNIT, 0, [(0, 0)]),
    (UNIT, UNIT, 0, [(0, UNIT - 1)]),
    (UNIT + 1, UNIT, 0, [(0, UNIT - 1), (UNIT, UNIT)]),
    (10_000_000, CHUNK_SIZE, 0,
     [(0, 3_276_799), (3_276_800, 6_553_599), (6_553_600, 9_830_399), (9_830_400, 9_999_999)]),
    (10_000_000, CHUNK_SIZE, 5_000_000, [(5_000_000, 8_276_799), (8_276_800, 9_999_999)]),
    (100, UNIT, 100, []),
])
def test_chunk_ranges_are_inclusive_and_cover_the_file(total, chunk, start, expected):
    ranges = list(chunk_ranges(total, chunk, start))
    assert ranges == expected
    assert sum(e - s + 1 for s, e in ranges) == total - start


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
