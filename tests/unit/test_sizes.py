"""mailer.sending.sizes: sizes in words, and the one answer to "may this file join the message?"."""
import pytest

from mailer.sending.sizes import MB, file_refusal, human, human_pair, message_refusal


@pytest.mark.parametrize("size, text", [(12, "12 bytes"), (2048, "2 KB"), (3 * MB, "3 MB"),
                                        (int(3.5 * MB), "3.5 MB"),
                                        # halves up, as static/sizes.js (toFixed, Math.round)
                                        (int(1.25 * MB), "1.3 MB"), (2560, "3 KB"), (1536, "2 KB"),
                                        (37, "37 bytes"), (50_000, "49 KB")])
def test_human_sizes(size, text):
    assert human(size) == text


@pytest.mark.parametrize("size, limit, words", [
    (MB + 1, MB, ("1,048,577 bytes", "1,048,576 bytes")),  # both would read "1 MB"
    (10 * 1024 + 100, 10 * 1024, ("10,340 bytes", "10,240 bytes")),  # both "10 KB"
    (1001, 1000, ("1001 bytes", "1000 bytes")),  # already different
    (int(1.2 * MB), MB, ("1.2 MB", "1 MB")),
])
def test_human_pair_is_exact_only_when_rounding_hides_the_difference(size, limit, words):
    assert human_pair(size, limit) == words


@pytest.mark.parametrize("size, used, streaming, words", [
    (MB + 1, 0, False, "'a.bin' is 1,048,577 bytes; a single attachment can be at most "
                       "1,048,576 bytes."),
    (MB + 1, 0, True, "'a.bin' is larger than the 1 MB allowed per file."),
    (300 * 1024, 1900 * 1024, False, "'a.bin' (300 KB) does not fit: the attachments of one "
                                     "message may total 2 MB, and 1.9 MB are attached already."),
    (300 * 1024, 1900 * 1024, True, "'a.bin' does not fit: the attachments of one message may "
                                    "total 2 MB."),
    (MB, MB, False, None),
])
def test_one_answer_for_a_file(size, used, streaming, words):
    assert file_refusal("a.bin", size, used, MB, 2 * MB, streaming=streaming) == words


def test_one_answer_for_a_message():
    assert message_refusal(5000, 5000, None) is None
    assert message_refusal(5500, 5000, ("big.pdf", 3000)) == (
        "The message is 5,500 bytes with its attachments; the mailbox accepts at most 5,000 bytes "
        "per message. The largest file is 'big.pdf' (3 KB).")
