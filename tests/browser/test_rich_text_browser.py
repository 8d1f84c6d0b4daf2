"""The compose page's formatted body in real Chromium against the live app and the emulator:
bold text, a list and a pasted picture reach the recipient as HTML with a cid: picture and an
inline attachment of the same bytes, read back through the emulator's Graph."""
from __future__ import annotations

import base64
import os
import random
import re
import struct
import zlib

import pytest
from playwright.sync_api import expect

from app_fixtures import ADELE
from helpers.mailbox import GraphAsApp

pytestmark = pytest.mark.browser

MEGAN = "megan@contoso.example"
SIGN_IN = "/login?scopes=Mail.Send%20Mail.ReadWrite&next=/compose"  # no consent round trip
EDITOR = "#body-editor .ql-editor"
SHOTS = os.environ.get("COMPOSE_SCREENSHOTS")  # a folder: keep screenshots for a human look


def png(width: int, height: int, seed: int = 1) -> bytes:
    """A real PNG of noisy pixels (so its bytes are not trivially alike), made here."""
    noise = random.Random(seed).randbytes(width * height * 3)
    rows = b"".join(b"\x00" + noise[y * width * 3:(y + 1) * width * 3] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# A picture put on the clipboard and pasted into the editor, as a screenshot tool would.
PASTE = """([selector, b64, name, type]) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], name, {type}));
  const target = document.querySelector(selector);
  target.focus();
  target.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
}"""

# HTML copied from another editor, its picture inside as a data: URL.
PASTE_HTML = """([selector, html]) => {
  const data = new DataTransfer();
  data.setData("text/html", html);
  data.setData("text/plain", "from elsewhere");
  const target = document.querySelector(selector);
  target.focus();
  target.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
}"""

# The same, dropped from the desktop onto the editor's text.
DROP = """([selector, b64, name, type]) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], name, {type}));
  const target = document.querySelector(selector), box = target.getBoundingClientRect();
  const where = {clientX: box.left + 20, clientY: box.top + 12, dataTransfer: data, bubbles: true, cancelable: true};
  for (const kind of ["dragenter", "dragover", "drop"]) target.dispatchEvent(new DragEvent(kind, where));
}"""

PICTURE_SHOWN = f"document.querySelector('{EDITOR} img').naturalWidth > 0"  # loaded, decoded


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def put(page, script, data: bytes, name: str, kind: str = "image/png"):
    page.evaluate(script, [EDITOR, base64.b64encode(data).decode(), name, kind])


def received(graph: GraphAsApp, user: str, subject: str) -> tuple[dict, list[dict]]:
    """The message and its attachments (with their bytes) as Graph answers for ``user``."""
    base = f"{graph.graph}/users/{user}"
    found = graph.http.get(f"{base}/mailFolders/inbox/messages", headers=graph.headers,
                           timeout=10).json()["value"]
    [message] = [m for m in found if m["subject"] == subject]
    files = graph.http.get(f"{base}/messages/{message['id']}/attachments",
                           headers=graph.headers, timeout=10).json()["value"]
    return message, files


def test_bold_list_and_pasted_picture_reach_the_recipient_inline(
        page, live_app, browser_sign_in, emu, console_errors):
    browser_sign_in(page, ADELE, start=SIGN_IN)
    page.wait_for_selector(EDITOR)
    assert page.locator("#body").is_hidden()  # the editor stands in for the textarea
    page.fill("#to", MEGAN)
    page.fill("#subject", "Formatted, with a picture")
    page.click(EDITOR)
    page.keyboard.type("Plain then ")
    page.click("#body-editor button.ql-bold")
    page.keyboard.type("bold words")
    page.click("#body-editor button.ql-bold")
    page.keyboard.press("Enter")
    page.click("#body-editor button.ql-list[value=bullet]")
    page.keyboard.type("first point")
    page.keyboard.press("Enter")
    page.keyboard.type("second point")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # out of the list
    picture = png(40, 30)
    put(page, PASTE, picture, "image.png")
    shown = page.locator(f"{EDITOR} img")
    expect(shown).to_have_count(1)
    assert re.search(r"/compose/[0-9a-f-]{36}/files/[0-9a-f]{32}/inline$",
                     shown.get_attribute("src"))
    page.wait_for_function(PICTURE_SHOWN)
    expect(page.locator("#save-state")).to_contain_text("Draft saved")
    body = page.input_value("#body")
    assert "<strong>bold words</strong>" in body and "<ul><li>first point</li>" in body
    assert re.search(r'<img src="cid:[0-9a-f]{12}@mailer">', body), body
    assert "/inline" not in body and "&nbsp;" not in body  # spaces wrap in the recipient's client
    expect(page.locator("#file-list li")).to_have_count(0)  # a picture in the text is no attachment

    page.reload()  # the saved draft comes back with its picture shown
    page.wait_for_selector(EDITOR)
    expect(page.locator(f"{EDITOR} img")).to_have_count(1)
    page.wait_for_function(PICTURE_SHOWN)
    expect(page.locator(f"{EDITOR} strong")).to_have_text("bold words")
    shot(page, "compose-rich-text")
    expect(page.locator("#file-list li")).to_have_count(0)

    with page.expect_navigation():
        page.click("#send")
    page.wait_for_selector("#send-status:not([data-state=running])", timeout=20_000)
    assert page.inner_text("#status-title") == "Sent"

    message, files = received(GraphAsApp(emu), MEGAN, "Formatted, with a picture")
    html = message["body"]["content"]
    assert message["body"]["contentType"] == "html"
    assert re.search(r"<(b|strong)>bold words</(b|strong)>", html), html
    assert re.search(r"<ul>\s*<li>first point</li>\s*<li>second point</li>\s*</ul>", html), html
    cid = re.search(r'<img src="cid:([^"]+)"', html).group(1)
    [inline] = files
    assert inline["isInline"] is True and inline["contentId"] == cid
    assert inline["contentType"] == "image/png"
    assert base64.b64decode(inline["contentBytes"]) == picture
    assert console_errors == []  # no CSP violation: the editor runs under the app's own CSP


def test_a_dropped_picture_goes_in_the_text_and_a_large_one_is_refused_in_words(
        page, live_app, browser_sign_in, emu, console_errors):
    browser_sign_in(page, ADELE, start=SIGN_IN)
    page.wait_for_selector(EDITOR)
    page.click(EDITOR)
    page.keyboard.type("Before the picture")
    put(page, DROP, png(8, 8, seed=3), "dropped.png")
    expect(page.locator(f"{EDITOR} img")).to_have_count(1)
    expect(page.locator("#file-list li")).to_have_count(0)  # not attached as a file as well

    inside = png(6, 5, seed=4)  # a data: URL would not survive the sanitizer: uploaded instead
    page.evaluate(PASTE_HTML, [EDITOR, '<p>from elsewhere <img src="data:image/png;base64,'
                               f'{base64.b64encode(inside).decode()}"></p>'])
    pictures = page.locator(f"{EDITOR} img[src$='/inline']")
    expect(pictures).to_have_count(2)
    expect(page.locator(f"{EDITOR} img[src^='data:']")).to_have_count(0)
    expect(page.locator("#save-state")).to_contain_text("Draft saved")
    body = page.input_value("#body")
    assert len(re.findall(r'<img src="cid:[0-9a-f]{12}@mailer">', body)) == 2, body
    assert {page.request.get(pictures.nth(i).evaluate("img => img.src")).body() for i in (0, 1)} == \
        {inside, png(8, 8, seed=3)}

    large = b"\x89PNG\r\n\x1a\n" + bytes(3 * 1024 * 1024)  # 3 MB and a bit: refused unsent
    requests = []
    page.on("request", lambda r: requests.append(r.url) if r.url.endswith("/files") else None)
    put(page, PASTE, large, "huge.png")
    expect(page.locator("#body-editor-note")).to_have_text(
        "The picture 'huge.png' is 3 MB; a picture in the message must be smaller than 3 MB. "
        "Attach it as a file instead.")
    expect(page.locator(f"{EDITOR} img")).to_have_count(2)
    assert requests == []

    page.check("input[name=body_type][value=text]")  # plain text keeps the words
    expect(page.locator("#body")).to_be_visible()
    assert page.input_value("#body") == "from elsewhere Before the picture"  # where each went
    assert page.locator("#body-editor").is_hidden()
    assert console_errors == []
