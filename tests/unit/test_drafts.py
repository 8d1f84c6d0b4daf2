"""drafts.py on the file store (one host): typed fields and streamed files survive, per owner,
within bounds. tests/integration/test_draft_store.py runs the same promises on Redis too."""
import io
import os
import time
import tracemalloc

import pytest

from helpers.settings import draft_store
from mailer.sending.compose import ComposeData
from mailer.sending.drafts import DraftError, DraftNotFound

OWNER = "oid-adele"


@pytest.fixture
def store(tmp_path):
    return draft_store(tmp_path / "uploads", max_file=10_000, max_draft=15_000, max_age=3600,
                      max_drafts_per_owner=3)


class Chunks(io.RawIOBase):
    """A stream of ``size`` bytes produced piece by piece, never held whole."""

    def __init__(self, size):
        self.left = size

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.left)
        buffer[:n] = b"x" * n
        self.left -= n
        return n


def test_fields_and_files_come_back_after_a_failure(store):
    draft_id = store.new(OWNER)
    typed = ComposeData(to="a@x.org", cc="b@x.org", subject="Quarterly", body="<p>hi</p>",
                        importance="high", from_address="sales@contoso.example",
                        save_to_sent_items=False)
    store.save_fields(draft_id, OWNER, typed)
    att = store.add_file(draft_id, OWNER, "C:\\Users\\a\\Q1 résumé.pdf", io.BytesIO(b"%PDF-1"),
                         "application/pdf")
    again = draft_store(store.root).load(draft_id, OWNER)  # as another worker would
    assert (again.to, again.subject, again.importance, again.save_to_sent_items) == \
        ("a@x.org", "Quarterly", "high", False)
    [loaded] = again.attachments
    assert (loaded.name, loaded.size, loaded.content_type, loaded.file_id) == \
        ("Q1 résumé.pdf", 6, "application/pdf", att.file_id)
    assert loaded.read_bytes() == b"%PDF-1"  # small: bytes in the store, under a generated key
    assert loaded.path is None and not (store.root / draft_id).exists()


def test_inline_files_get_a_content_id(store):
    draft_id = store.new(OWNER)
    att = store.add_file(draft_id, OWNER, "logo.png", io.BytesIO(b"\x89PNG"), "image/png",
                         inline=True)
    assert att.is_inline and att.content_id.endswith("@mailer")


@pytest.mark.parametrize("name, data, message", [
    ("empty.txt", b"", "'empty.txt' is empty (0 bytes); attach a file with content."),
    ("big.bin", b"x" * 10_001, "'big.bin' is larger than the 10 KB allowed per file."),
    ("../", b"x", "empty once folder parts are removed"),
])
def test_bad_files_are_refused_and_leave_nothing(store, name, data, message):
    draft_id = store.new(OWNER)
    with pytest.raises(ValueError) as info:
        store.add_file(draft_id, OWNER, name, io.BytesIO(data))
    assert message in str(info.value)
    assert not (store.root / draft_id).exists()
    assert [p.suffix for p in (store.root / "store").iterdir()].count(".bin") == 0
    assert store.load(draft_id, OWNER).attachments == []


def test_the_draft_total_is_bounded(store):
    draft_id = store.new(OWNER)
    store.add_file(draft_id, OWNER, "a.bin", io.BytesIO(b"x" * 9000))
    with pytest.raises(DraftError, match="'b.bin' does not fit"):
        store.add_file(draft_id, OWNER, "b.bin", io.BytesIO(b"x" * 9000))


def test_a_file_of_the_small_limit_is_refused_early_with_memory_bounded(tmp_path):
    """The store keeps only files under SMALL_ATTACHMENT_MAX; a larger one (it belongs in the
    mailbox's draft) is refused once that much arrived, never read whole."""
    store = draft_store(tmp_path, max_file=64 * 1024 * 1024, max_draft=64 * 1024 * 1024,
                        small_max=1024 * 1024)
    draft_id = store.new(OWNER)
    stream = io.BufferedReader(Chunks(30_000_000))
    tracemalloc.start()
    try:
        with pytest.raises(DraftError, match="'big.bin' is 1,048,576 bytes or more"):
            store.add_file(draft_id, OWNER, "big.bin", stream)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * 1024 * 1024, f"peak {peak} bytes"
    assert store.load(draft_id, OWNER).attachments == []
    assert not any(p.suffix == ".bin" for p in (tmp_path / "store").iterdir())


@pytest.mark.parametrize("draft_id", ["../etc", "not-a-uuid", "", "0b9f5e0e8a6f4d4c9d561b1f0f3f3c11"])
def test_bad_ids_are_not_found(store, draft_id):
    with pytest.raises(DraftNotFound):
        store.load(draft_id, OWNER)


def test_another_users_draft_is_not_found(store):
    draft_id = store.new(OWNER)
    with pytest.raises(DraftNotFound):
        store.load(draft_id, "oid-patti")
    with pytest.raises(DraftNotFound):
        store.add_file(draft_id, "oid-patti", "a.txt", io.BytesIO(b"x"))


def test_remove_file(store):
    draft_id = store.new(OWNER)
    att = store.add_file(draft_id, OWNER, "a.txt", io.BytesIO(b"x"))
    store.remove_file(draft_id, OWNER, att.file_id)
    assert store.load(draft_id, OWNER).attachments == []
    with pytest.raises(DraftError, match="no longer stored"):
        att.read_bytes()


def test_a_sent_draft_keeps_its_fields_but_not_its_files(store):
    draft_id = store.new(OWNER)
    store.save_fields(draft_id, OWNER, ComposeData(to="a@x.org"))
    att = store.add_file(draft_id, OWNER, "a.txt", io.BytesIO(b"x"))
    store.mark_sent(draft_id)
    assert store.is_sent(draft_id, OWNER) and store.load(draft_id, OWNER).attachments == []
    with pytest.raises(DraftError, match="no longer stored"):
        att.read_bytes()
    with pytest.raises(DraftError, match="already been sent"):
        store.save_fields(draft_id, OWNER, ComposeData(to="b@x.org"))


def _age(store, draft_id, seconds):
    """Make the draft's record (and its files) look untouched for ``seconds``."""
    past = time.time() - seconds
    for path in (store.root / "store").glob(f"*{draft_id}*"):
        os.utime(path, (past, past))


def test_cleanup_removes_old_drafts(store):
    old, fresh = store.new(OWNER), store.new(OWNER)
    store.add_file(old, OWNER, "a.txt", io.BytesIO(b"x"))
    _age(store, old, 7200)
    with pytest.raises(DraftNotFound):
        store.load(old, OWNER)  # expired: gone before any cleanup
    assert store.cleanup() == 1
    assert [p for p in (store.root / "store").iterdir() if old in p.name] == []
    assert store.load(fresh, OWNER).attachments == []


def test_a_new_draft_tidies_old_ones_without_a_cron(tmp_path):
    first = draft_store(tmp_path, max_age=3600)
    old = first.new(OWNER)
    _age(first, old, 7200)
    draft_store(tmp_path, max_age=3600).new("oid-megan")  # a fresh worker's first draft
    assert [p for p in (tmp_path / "store").iterdir() if old in p.name] == []


def test_each_owner_keeps_a_bounded_number_of_drafts(store):
    ids = []
    for _ in range(5):
        ids.append(store.new(OWNER))
        time.sleep(0.01)
    other = store.new("oid-megan")
    for gone in ids[:2]:
        with pytest.raises(DraftNotFound):
            store.load(gone, OWNER)
    for kept in ids[2:]:
        store.load(kept, OWNER)
    store.load(other, "oid-megan")



def test_sent_drafts_go_first_when_a_person_is_over_the_bound(store):
    """Three drafts at most: after two sends, a fresh unsaved draft and an old one written in
    are kept, and the sent ones (which only remember "already sent") make the room."""
    written = store.new(OWNER)
    store.save_fields(written, OWNER, ComposeData(subject="still being written"))
    time.sleep(0.01)
    sent = []
    for _ in range(2):
        sent.append(store.new(OWNER))
        store.mark_sent(sent[-1])
        time.sleep(0.01)
    fresh = store.new(OWNER)  # over the bound: one must go
    assert store.load(written, OWNER).subject == "still being written"
    store.load(fresh, OWNER)
    with pytest.raises(DraftNotFound):
        store.load(sent[0], OWNER)
    store.load(sent[1], OWNER)


def test_an_outlook_item_of_a_continued_draft_reads_as_kept_as_it_is(store):
    from mailer.sending.adopt import attachment_entry
    draft_id = store.new(OWNER)
    store.set_mailbox_id(draft_id, OWNER, "AAMkDraft=")
    store.add_entry(draft_id, OWNER, attachment_entry({
        "@odata.type": "#microsoft.graph.itemAttachment", "id": "AAMkX=", "name": "Minutes",
        "size": 5120, "contentType": None, "isInline": False}))
    [item] = store.load(draft_id, OWNER).attachments
    assert item.kept_as_is and item.graph_id == "AAMkX=" and item.name == "Minutes"
