"""Upload sessions from GraphClient: no Authorization header, bounded memory, progress."""
import subprocess
import sys
from pathlib import Path

import pytest

from mailer.sending.compose import Attachment
from mailer.graph.client import GraphError
from mailer.sending.sizes import MB
from mailer.graph.uploads import CHUNK_SIZE

MEGAN = "megan@contoso.example"


def _draft_and_session(graph, path, name="big.bin"):
    draft = graph.create_draft({"subject": "upload", "toRecipients": [
        {"emailAddress": {"address": MEGAN}}]})
    attachment = Attachment(name, path, path.stat().st_size)
    return draft, graph.create_upload_session(draft["id"], attachment)


def test_chunks_carry_no_bearer_even_when_the_session_has_one(graph, https, token_for, make_file):
    https.headers["Authorization"] = f"Bearer {token_for()}"  # a careless default
    path = make_file("big.bin", 4 * MB + 5)
    draft, session = _draft_and_session(graph, path)
    assert session["nextExpectedRanges"] == ["0-"]
    seen = []
    location = graph.upload_file(session["uploadUrl"], path, lambda done, total: seen.append(done))
    assert "/Attachments(" in location
    assert seen == [CHUNK_SIZE, path.stat().st_size]
    got = graph.get_message(draft["id"], select=["hasAttachments"])
    assert got["hasAttachments"] is True


def test_a_bearer_on_the_upload_url_is_what_breaks_other_sdks(graph, https, token_for, make_file):
    # The emulator answers as Outlook does; this is why uploads.py strips the header.
    path = make_file("big.bin", 3 * MB)
    _, session = _draft_and_session(graph, path)
    response = https.put(session["uploadUrl"], data=b"x" * 10,
                         headers={"Authorization": f"Bearer {token_for()}",
                                  "Content-Range": f"bytes 0-9/{3 * MB}"}, timeout=10)
    assert response.status_code == 401


def test_an_expired_session_url_fails_with_a_graph_error(graph, make_file):
    path = make_file("big.bin", 3 * MB)
    _, session = _draft_and_session(graph, path)
    graph.cancel_upload(session["uploadUrl"])
    with pytest.raises(GraphError) as info:
        graph.upload_file(session["uploadUrl"], path)
    assert info.value.status == 404


MEASURE = """
import sys, tracemalloc
from config import defaults
from mailer.graph.client import GraphClient
from mailer.graph.http import build_session
from mailer.web.compose.services import graph_options
endpoint, ca_file, upload_url, path = sys.argv[1:5]
client = GraphClient(endpoint, lambda: "unused", build_session(ca_file), **graph_options(defaults()))
tracemalloc.start()
client.upload_file(upload_url, path)
print(tracemalloc.get_traced_memory()[1])
"""


@pytest.mark.slow
def test_streaming_upload_memory_stays_at_a_few_chunks(emu, graph, make_file):
    """Measured in a process of its own, so only the client's allocations count: an upload
    that read the file whole would peak above 30 MB; chunked, it stays near one chunk."""
    size = 30 * MB
    path = make_file("huge.bin", size)
    draft, session = _draft_and_session(graph, path)
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, emu.client_config()["graph_endpoint"],
         str(emu.ca_file), session["uploadUrl"], str(path)],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[2])
    assert result.returncode == 0, result.stderr[-2000:]
    peak = int(result.stdout.strip())
    print(f"upload of {size / MB:.0f} MB: traced peak {peak / MB:.1f} MB")
    assert peak < 8 * MB, f"peak {peak / MB:.1f} MB for a {size / MB:.0f} MB file"
    assert graph.get_message(draft["id"], select=["hasAttachments"])["hasAttachments"] is True


def test_add_attachment_and_read_it_back(graph, make_file):
    path = make_file("small.pdf", 200_000)
    draft = graph.create_draft({"subject": "small"})
    added = graph.add_attachment(draft["id"], Attachment("résumé.pdf", path, 200_000,
                                                         "application/pdf"))
    assert added["name"] == "résumé.pdf" and added["size"] == 200_000
    graph.delete_message(draft["id"])
    with pytest.raises(GraphError) as info:
        graph.get_message(draft["id"])
    assert info.value.status == 404


