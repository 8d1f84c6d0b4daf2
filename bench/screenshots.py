"""The README's screenshots, taken from the real thing: ``python bench/screenshots.py``.

Starts the emulator and the app (gunicorn, demo mode) as bench/harness.py does, drives Debian's
Chromium through Playwright as the browser tests do: Adele signs in, picks Megan and Alex in the
people picker, writes formatted text with a pasted picture, attaches a file (docs/compose.png),
sends; Megan opens her Inbox and the message (docs/mailbox.png). Each step waits for what it
shows (chips, the picture decoded, the file uploaded, the draft saved, the body's picture in the
frame), so a broken page stops the script instead of leaving a wrong picture in the README.
tests/browser/test_screenshots_browser.py runs it into a temporary folder.

    python bench/screenshots.py [--out docs]
"""
from __future__ import annotations

import argparse
import base64
import struct
import sys
import time
import zlib
from pathlib import Path

from harness import ROOT, stack

from app_fixtures import CHROMIUM_ARGS, answer_sign_in_pages
from helpers.mailbox import GraphAsApp

ADELE, MEGAN = "adele@contoso.example", "megan@contoso.example"
ALEX, PATTI = "alex@contoso.example", "patti@contoso.example"
VIEWPORT = {"width": 1280, "height": 800}
EDITOR = "#body-editor .ql-editor"
SUBJECT = "Q3 figures for Thursday"
FIGURES = ("region,quarter,orders,revenue\nNorth,Q3,1284,412300\nSouth,Q3,977,301950\n"
           "East,Q3,1102,356400\nWest,Q3,865,268150\n").encode()
# A picture on the clipboard, pasted into the editor (as the rich-text browser test does).
PASTE = """([selector, b64]) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], "chart.png", {type: "image/png"}));
  const target = document.querySelector(selector);
  target.focus();
  target.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true,
                                                    cancelable: true}));
}"""


def chart(width: int = 320, height: int = 100) -> bytes:
    """A small bar chart as a PNG, drawn here (no imaging library needed)."""
    bars = [(0.78, (0, 120, 212)), (0.60, (0, 153, 188)), (0.68, (16, 124, 16)),
            (0.53, (202, 80, 16))]
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # filter: none
        for x in range(width):
            colour = (250, 250, 250)
            slot, within = divmod(x - 20, 75)
            if 0 <= slot < len(bars) and 10 <= within < 60:
                share, fill = bars[slot]
                if y >= height - 10 - int(share * (height - 20)) and y < height - 10:
                    colour = fill
            if y == height - 10:
                colour = (96, 96, 96)
            row += bytes(colour)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


class Emu:
    """What GraphAsApp needs of an emulator, from the running one's demo-app.json."""

    def __init__(self, config: dict):
        self.config, self.api_url, self.ca_file = config, config["api_url"], config["ca_file"]

    def client_config(self) -> dict:
        return self.config


def seed(config: dict) -> None:
    """A few earlier messages in Megan's Inbox, so that her list looks lived in."""
    graph = GraphAsApp(Emu(config))
    try:
        graph.send(ALEX, MEGAN, "Team lunch on Friday?", "<p>Pizza or sushi?</p>")
        graph.send(PATTI, MEGAN, "Updated travel policy", "<p>Please read the new policy.</p>")
        graph.send(ALEX, MEGAN, "Re: Launch checklist", "<p>Done on my side.</p>")
    finally:
        graph.http.close()


def shown(picture, timeout: float = 15.0) -> None:
    """Wait until ``picture`` (a locator of an <img>) is loaded and decoded. A polled locator,
    not wait_for_function: the app's CSP (script-src 'self') refuses Playwright's string eval."""
    deadline = time.monotonic() + timeout
    picture.wait_for()
    while not picture.evaluate("img => img.complete && img.naturalWidth > 0"):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the picture never showed: {picture}")
        time.sleep(0.1)


def sign_in(page, app_url: str, username: str, scopes: str, after: str) -> None:
    page.goto(f"{app_url}/login?scopes={scopes}&next={after}")
    answer_sign_in_pages(page, app_url, username)


def pick(page, field: str, typed: str, name: str) -> None:
    page.fill(f"#{field}-picker", typed)
    page.locator(f"#{field}-picker").locator("xpath=ancestor::*[contains(@class,"
                                             "'compose-field')][1]").locator(
        "[role=option]", has_text=name).first.click()
    page.locator(f"#{field}-picker").locator("xpath=..").locator(
        ".pp-chip-text", has_text=name).wait_for()


def compose(page, app_url: str, out: Path, folder: Path) -> None:
    sign_in(page, app_url, ADELE, "Mail.Send%20Mail.ReadWrite%20People.Read%20User.ReadBasic.All",
            "/compose")
    page.wait_for_selector(EDITOR)
    pick(page, "to", "meg", "Megan Bowen")
    pick(page, "cc", "wil", "Alex Wilber")
    page.fill("#subject", SUBJECT)
    page.click(EDITOR)
    page.keyboard.type("Hi Megan, here are the ")
    page.click("#body-editor button.ql-bold")
    page.keyboard.type("third-quarter figures")
    page.click("#body-editor button.ql-bold")
    page.keyboard.type(" for Thursday:")
    page.keyboard.press("Enter")
    page.click("#body-editor button.ql-list[value=bullet]")
    page.keyboard.type("North is up 12% on Q2")
    page.keyboard.press("Enter")
    page.keyboard.type("West needs a closer look")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.evaluate(PASTE, [EDITOR, base64.b64encode(chart()).decode()])
    shown(page.locator(f"{EDITOR} img"))
    page.keyboard.press("Enter")
    page.keyboard.type("The numbers are in the attached file. Adele")
    figures = folder / "Q3 figures.csv"
    figures.write_bytes(FIGURES)
    page.set_input_files("#attachments", [str(figures)])
    page.locator("#file-list li[data-size]").wait_for()
    page.locator("#save-state", has_text="Draft saved").wait_for()
    page.locator("#subject").focus()  # no open suggestion list in the picture
    # From the To field down, just below the sticky bars: the chips, the subject, the text.
    page.evaluate("""() => {
      const label = document.querySelector('label[for=to-picker]');
      const covered = Math.max(...Array.from(document.querySelectorAll('*')).filter(e =>
        getComputedStyle(e).position === 'sticky' && e.getBoundingClientRect().top < 200)
        .map(e => e.getBoundingClientRect().bottom), 0);
      // "instant": Bootstrap's smooth scrolling would still be moving at the screenshot.
      window.scrollBy({top: label.getBoundingClientRect().top - covered - 12,
                       behavior: 'instant'});
    }""")
    page.screenshot(path=str(out / "compose.png"))
    with page.expect_navigation():
        page.click("#send")
    page.wait_for_selector("#send-status:not([data-state=running])", timeout=30_000)
    title = page.inner_text("#status-title")
    if title != "Sent":
        raise RuntimeError(f"the message was not sent: {title}")


def read(page, app_url: str, out: Path) -> None:
    sign_in(page, app_url, MEGAN, "Mail.Read%20Mail.ReadWrite", "/mail/me/inbox")
    row = page.locator("#messages li", has_text=SUBJECT)
    row.locator("a").first.click()
    page.wait_for_selector("#mail-body")
    frame = page.frame_locator("#mail-body")
    frame.locator("strong", has_text="third-quarter figures").wait_for()
    shown(frame.locator("img").first)
    page.locator("#attachments", has_text="Q3 figures.csv").wait_for()
    page.screenshot(path=str(out / "mailbox.png"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    with stack() as s, sync_playwright() as p:
        seed(s.config)
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            for step in (lambda page: compose(page, s.app_url, args.out, s.dir),
                         lambda page: read(page, s.app_url, args.out)):
                context = browser.new_context(viewport=VIEWPORT)  # each person's own browser
                context.set_default_timeout(15_000)
                try:
                    step(context.new_page())
                finally:
                    context.close()
        finally:
            browser.close()
    for name in ("compose.png", "mailbox.png"):
        path = args.out / name
        print(f"{path} {path.stat().st_size:,} bytes")
    print(f"took {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
