"""The mailbox viewer shows a message's inline pictures (cid:) from its own attachments."""
from __future__ import annotations

import base64
import re
import struct
import zlib
from html import unescape

import pytest
import requests

MEGAN = "megan@contoso.example"


def png(width: int, height: int) -> bytes:
    """A real, decodable PNG of one colour (no image library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"\xcc\x22\x22" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


PICTURE = png(7, 5)


@pytest.fixture
def message_url(graph_api, emu):
    response = graph_api.post("/me/sendMail", json={"message": {
        "subject": "Chart", "toRecipients": [{"emailAddress": {"address": MEGAN}}],
        "body": {"contentType": "html",
                 "content": '<p>Our chart:</p><img id="chart" src="cid:chart%40x">'
                            '<img id="missing" src="cid:nothere">'},
        "attachments": [{"@odata.type": "#microsoft.graph.fileAttachment", "name": "chart.png",
                         "contentType": "image/png", "isInline": True, "contentId": "chart@x",
                         "contentBytes": base64.b64encode(PICTURE).decode()}]}})
    assert response.status_code == 202, response.text
    from emulator.graph.mail.store import MailStore
    megan = emu.state.directory.user(MEGAN)
    item = emu.state.extension("mail", MailStore).mailbox(megan.id).in_folder("inbox")[0]
    return f"{emu.pages_url}/mailbox/{megan.id}/messages/{item.id}"


def test_cid_sources_point_at_the_attachment(message_url, emu):
    session = requests.Session()
    session.trust_env = False
    page = session.get(message_url, timeout=10).text
    srcdoc = unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))
    src = re.search(r'id="chart" src="([^"]+)"', srcdoc).group(1)
    assert src.startswith("/mailbox/") and "inline=1" in src
    assert 'src="cid:nothere"' in srcdoc  # an unknown cid is left alone
    picture = session.get(f"{emu.pages_url}{unescape(src)}", timeout=10)
    assert picture.content == PICTURE and picture.headers["Content-Type"] == "image/png"
    assert picture.headers["Content-Disposition"].startswith("inline")
    session.close()


@pytest.mark.browser
def test_inline_picture_renders_in_the_sandboxed_body(page, message_url):
    page.goto(message_url)
    frame = page.frame_locator('[data-testid="html-body"]')
    chart = frame.locator("#chart")
    chart.wait_for()
    size = chart.evaluate("""img => new Promise(done => {
        const report = () => done([img.complete, img.naturalWidth, img.naturalHeight]);
        if (img.complete) report(); else { img.onload = report; img.onerror = report; }
    })""")
    assert size == [True, 7, 5]
