"""One person's browser for the day-in-the-app walk (tests/browser/test_day_in_the_app.py): a
Chromium context of their own, the sign-in pages answered as they come (consent pages counted:
the permission prompts), a screenshot of every page with axe run on the app's pages, and the
app's console errors and CSP violations collected."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from emulator.directory import DEMO_PASSWORD
from helpers.axe import serious_violations

VIEWPORT = {"width": 1280, "height": 800}  # the README's pictures
DRAFT = re.compile(r".*/compose/[0-9a-f-]{36}(\?.*)?$")
# A PNG decoded by Chromium: its size and how many colours it has (a blank page has a handful).
DECODE = """async (b64) => {
  const img = new Image();
  img.src = "data:image/png;base64," + b64;
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const g = canvas.getContext("2d");
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, canvas.width, canvas.height).data, seen = new Set();
  for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  return [canvas.width, canvas.height, seen.size];
}"""


def screenshots_script():
    """bench/screenshots.py, which takes the README's pictures from this day's."""
    path = Path(__file__).resolve().parents[2] / "bench" / "screenshots.py"
    spec = importlib.util.spec_from_file_location("bench_screenshots", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Person:
    """``name`` in a browser context of their own, on the app at ``app_url``."""

    def __init__(self, chromium, name: str, username: str, app_url: str, pages_url: str,
                 shots: Path, counter: list, zone: str | None = None):
        self.name, self.username, self.app_url, self.pages_url = name, username, app_url, pages_url
        self.shots, self.counter = shots, counter  # the counter numbers the day's pictures
        self.context = chromium.new_context(viewport=VIEWPORT, timezone_id=zone)  # None: the host's
        self.context.set_default_timeout(20_000)
        self.consents: list[str] = []  # the consent pages shown to this person, in order
        self.trips = 0  # sign-in round trips (authorize requests)
        self.errors: list[str] = []
        self.violations: dict[str, list] = {}
        self.context.on("request", self._request)
        self.context.on("page", self._watch)
        self.page = self.context.new_page()
        self.page.on("dialog", lambda dialog: dialog.accept())  # "Discard this draft?": yes

    def _request(self, request):
        if request.url.startswith(self.pages_url) and "/oauth2/v2.0/authorize" in request.url:
            self.trips += 1

    def _watch(self, page):
        def console(message):
            if message.type == "error" and message.location.get("url", "").startswith(
                    self.app_url):
                self.errors.append(f"{message.text} ({message.location['url']})")
        page.on("console", console)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    @property
    def mail_prompts(self) -> int:
        """Consent pages after the first sign-in's: what was asked for the mail pages."""
        return len(self.consents[1:]) if self.consents and self.consents[0] == "sign-in" \
            else len(self.consents)

    def go(self, path: str) -> None:
        self.page.goto(self.app_url + path)

    def answer(self, page=None, first: bool = False) -> None:
        """Answer the emulator's pages until ``page`` is back at the app (or closed itself)."""
        page = page or self.page
        for _ in range(10):
            try:
                page.wait_for_load_state()
                if page.url.startswith(self.app_url):
                    return
                kind = page.get_attribute("main[data-page]", "data-page")
            except Exception:  # noqa: BLE001 - a consent window that closed itself
                if page.is_closed():
                    return
                raise
            if kind == "picker":
                tile = page.locator(f"[data-test-id='{self.username}']")
                (tile if tile.count() else page.locator("#otherTile")).click()
            elif kind == "username":
                page.fill("[name=loginfmt]", self.username)
                page.click("#idSIButton9")
            elif kind == "password":
                page.fill("[name=passwd]", DEMO_PASSWORD)
                page.click("#idSIButton9")
            elif kind in ("consent", "adminconsent"):
                self.consents.append("sign-in" if first and not self.consents else kind)
                self.shot(f"{kind}-page", page=page, axe=False)
                page.click("#idSIButton9")
            else:
                raise AssertionError(f"unexpected sign-in page {kind}: "
                                     f"{page.inner_text('body')[:300]}")
        raise AssertionError("the sign-in never came back to the app")

    def sign_in(self, start: str = "/") -> None:
        self.go(start)
        if start == "/":
            self.page.click("#sign-in")
        self.away_and_back(first=True)

    def away_and_back(self, page=None, first: bool = False) -> None:
        """A click that leaves for the sign-in pages: wait to be there, then answer them."""
        page = page or self.page
        page.wait_for_url(lambda url: url.startswith(self.pages_url))
        self.answer(page, first=first)

    def consent_in_popup(self, selector: str, press: str | None = None) -> None:
        """Click ``selector`` (or press ``press``), answer the consent window it opens."""
        with self.page.expect_popup() as opened:
            if press:
                self.page.keyboard.press(press)
            else:
                self.page.click(selector)
        popup = opened.value
        self.away_and_back(popup)
        if not popup.is_closed():  # back at the app: its last page closes the window
            popup.wait_for_event("close", timeout=10_000)

    def shot(self, name: str, page=None, axe: bool = True) -> Path:
        """A picture of the page as it is now; axe's serious findings kept for the app's pages."""
        page = page or self.page
        self.counter.append(name)
        path = self.shots / f"{len(self.counter):02d}-{self.name}-{name}.png"
        page.screenshot(path=str(path))
        if axe and page.url.startswith(self.app_url):
            found = serious_violations(page)
            if found:
                self.violations[f"{self.name}-{name}"] = found
        return path

    def close(self) -> None:
        self.context.close()
