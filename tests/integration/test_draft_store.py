"""drafts.py on both shared stores (files on one host, a real redis-server): a draft written on one
instance is whole on another, small files byte for byte, large ones on the receiving disk;
concurrent writers lose nothing; per-draft and per-person bounds; expiry; odd ids touch nothing."""
import io
import os
import threading
import time
import uuid

import pytest

from helpers.settings import draft_store, redis_draft_store
from mailer.sending.compose import ComposeData
from mailer.sending.draft_files import StoredAttachment
from mailer.sending.drafts import DraftError, DraftNotFound, FileNotFound, is_file_id

OWNER = "oid-adele"
SMALL_MAX = 64 * 1024


@pytest.fixture(params=["files", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request, tmp_path):
    """``make(**options)`` builds one instance's DraftStore; all share one backing store. With
    Redis each instance has its own UPLOAD_DIR, as separate hosts would."""
    made = []
    if request.param == "files":
        def make(**options):
            made.append(draft_store(tmp_path / "uploads", **{"small_max": SMALL_MAX, **options}))
            return made[-1]
        make.keys = lambda: sorted(p.name for p in (tmp_path / "uploads" / "store").iterdir()
                                   if p.suffix in (".json", ".bin"))
    else:
        url, prefix = request.getfixturevalue("redis_url"), f"test:{uuid.uuid4().hex}:"

        def make(**options):
            made.append(redis_draft_store(url, prefix, tmp_path / f"host-{len(made)}",
                                          **{"small_max": SMALL_MAX, **options}))
            return made[-1]
        make.keys = lambda: sorted(k.decode() for k in made[0].store.client.scan_iter(prefix + "*"))
    make.kind = request.param
    return make


def test_a_draft_written_on_one_instance_is_whole_on_another(backend):
    one, two = backend(), backend()
    draft_id = one.new(OWNER)
    one.save_fields(draft_id, OWNER, ComposeData(to="megan@contoso.example", subject="Q1",
                                                 body="<p>typed on A</p>", importance="high",
                                                 save_to_sent_items=False))
    content = os.urandom(SMALL_MAX - 1)  # the largest small file
    att = one.add_file(draft_id, OWNER, "figures.bin", io.BytesIO(content), "image/png",
                       inline=True)
    again = two.load(draft_id, OWNER)
    assert (again.to, again.subject, again.body, again.importance, again.save_to_sent_items) \
        == ("megan@contoso.example", "Q1", "<p>typed on A</p>", "high", False)
    [loaded] = again.attachments
    assert isinstance(loaded, StoredAttachment) and loaded.path is None
    assert (loaded.name, loaded.size, loaded.content_type, loaded.is_inline, loaded.file_id) == \
        ("figures.bin", len(content), "image/png", True, att.file_id)
    assert loaded.read_bytes() == content  # byte-identical, read on the other instance
    assert not any(p.is_file() for p in two.root.rglob("*") if p.parent.name != "store")
    two.remove_file(draft_id, OWNER, att.file_id)
    assert one.load(draft_id, OWNER).attachments == []
    assert [k for k in backend.keys() if "draft-file" in k] == []


def test_no_instance_keeps_a_large_file(backend):
    """A file of SMALL_ATTACHMENT_MAX goes to the mailbox's draft (mailbox_drafts.py): the store
    refuses it, and nothing of it is left on any disk or key."""
    one, two = backend(), backend()
    draft_id = one.new(OWNER)
    with pytest.raises(DraftError, match="bytes or more"):
        one.add_file(draft_id, OWNER, "big.bin", io.BytesIO(os.urandom(SMALL_MAX)))
    assert [k for k in backend.keys() if "draft-file" in k] == []
    assert two.load(draft_id, OWNER).attachments == []
    assert not any(p.is_file() for p in one.root.rglob("*") if p.parent.name != "store")


def test_concurrent_writers_lose_nothing(backend):
    one, two = backend(max_draft=10 * SMALL_MAX), backend(max_draft=10 * SMALL_MAX)
    draft_id = one.new(OWNER)
    start = threading.Barrier(2)

    def attach():
        start.wait()
        for n in range(12):
            one.add_file(draft_id, OWNER, f"f{n}.txt", io.BytesIO(b"%d" % n * 100))

    def autosave():
        start.wait()
        for n in range(40):
            two.save_fields(draft_id, OWNER, ComposeData(subject=f"typed {n}", body="b" * n))

    threads = [threading.Thread(target=attach), threading.Thread(target=autosave)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = one.load(draft_id, OWNER)
    assert (final.subject, final.body) == ("typed 39", "b" * 39)  # the last save, whole
    assert sorted(a.name for a in final.attachments) == sorted(f"f{n}.txt" for n in range(12))
    assert all(a.read_bytes() == b"%d" % int(a.name[1:-4]) * 100 for a in final.attachments)


def test_two_uploads_racing_past_the_draft_limit_store_one(backend):
    one, two = backend(max_draft=SMALL_MAX), backend(max_draft=SMALL_MAX)
    draft_id = one.new(OWNER)
    start, refused = threading.Barrier(2), []

    def upload(store, name):
        start.wait()
        try:
            store.add_file(draft_id, OWNER, name, io.BytesIO(b"x" * (SMALL_MAX // 2 + 1)))
        except DraftError as exc:
            refused.append(str(exc))

    threads = [threading.Thread(target=upload, args=(s, n)) for s, n in ((one, "a"), (two, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(refused) == 1 and "does not fit" in refused[0]
    assert len(one.load(draft_id, OWNER).attachments) == 1
    assert len([k for k in backend.keys() if "draft-file" in k]) == 1  # the refused bytes went


def test_what_one_person_can_put_in_the_store_is_bounded(backend):
    one = backend(max_draft=SMALL_MAX, max_drafts_per_owner=2)
    first = one.new(OWNER)
    one.add_file(first, OWNER, "a.bin", io.BytesIO(b"a" * 1000))
    with pytest.raises(DraftError, match="does not fit"):
        one.add_file(first, OWNER, "b.bin", io.BytesIO(b"b" * SMALL_MAX))
    time.sleep(0.01)
    second, megan = one.new(OWNER), one.new("oid-megan")
    time.sleep(0.01)
    third = one.new(OWNER)  # over the bound: the least recently saved draft goes, bytes too
    with pytest.raises(DraftNotFound):
        one.load(first, OWNER)
    assert [k for k in backend.keys() if first in k] == []
    for draft_id, who in ((second, OWNER), (third, OWNER), (megan, "oid-megan")):
        one.load(draft_id, who)


def test_an_untouched_draft_expires_and_a_saved_one_lives_on(backend):
    one = backend(max_age=1)
    kept, left = one.new(OWNER), one.new(OWNER)
    one.add_file(kept, OWNER, "a.txt", io.BytesIO(b"kept"))
    one.add_file(left, OWNER, "b.txt", io.BytesIO(b"left"))
    for _ in range(3):  # autosaves keep the draft, and its bytes, past its first second
        time.sleep(0.6)
        one.save_fields(kept, OWNER, ComposeData(subject="still typing"))
    [att] = one.load(kept, OWNER).attachments
    assert att.read_bytes() == b"kept"
    with pytest.raises(DraftNotFound):
        one.load(left, OWNER)
    one.cleanup()
    assert [k for k in backend.keys() if left in k] == []


def test_a_draft_scheduled_beyond_its_age_lives_until_its_time(backend):
    one = backend(max_age=1)
    scheduled, other = one.new(OWNER), one.new(OWNER)
    for draft_id in (scheduled, other):
        one.add_file(draft_id, OWNER, "a.txt", io.BytesIO(b"due later"))
    one.keep_until(scheduled, OWNER, time.time() + 10 * 86400)  # sent ten days from now
    time.sleep(1.5)  # past DRAFT_MAX_AGE
    [att] = one.load(scheduled, OWNER).attachments
    assert att.read_bytes() == b"due later"
    with pytest.raises(DraftNotFound):
        one.load(other, OWNER)


ODD_IDS = ["..", "../etc", "a\x00b", "", "x" * 300, "0B7E7A52-8F7C-4E0E-9A57-3C1A2B9D6F10",
           "0b9f5e0e8a6f4d4c9d561b1f0f3f3c11", "../" + str(uuid.uuid4()), str(uuid.uuid4()) + "/"]


def test_odd_ids_are_not_found_and_touch_nothing(backend, tmp_path):
    one = backend()
    draft_id = one.new(OWNER)
    one.add_file(draft_id, OWNER, "a.txt", io.BytesIO(b"a"))
    before = (sorted(map(str, tmp_path.rglob("*"))), backend.keys())
    for odd in ODD_IDS:
        for call in (lambda: one.load(odd, OWNER), lambda: one.is_sent(odd, OWNER),
                     lambda: one.save_fields(odd, OWNER, ComposeData(subject="x")),
                     lambda: one.add_file(odd, OWNER, "b.txt", io.BytesIO(b"b")),
                     lambda: one.remove_file(odd, OWNER, "0" * 32),
                     lambda: one.mark_sent(odd), lambda: one.copy(odd, OWNER)):
            with pytest.raises(DraftNotFound):
                call()
        if not is_file_id(odd):  # a well-formed file id gone already is a double click
            with pytest.raises(FileNotFound):
                one.remove_file(draft_id, OWNER, odd)
    assert (sorted(map(str, tmp_path.rglob("*"))), backend.keys()) == before
