"""Reading a hostile message in Chromium: no script runs, nothing leaves for a remote host until
"Show images", and the message's own cid: picture shows."""
from __future__ import annotations

from app_fixtures import answer_sign_in_pages
from helpers.compose import mailbox
from helpers.mailbox import PNG, GraphAsApp, attachment

ADELE, MEGAN = "adele@contoso.example", "megan@contoso.example"
HOSTILE = ('<p id="hello">Hello Megan</p>'
           '<script>document.title = "owned"; fetch("/mail/script-ran")</script>'
           '<img id="remote" src="https://tracker.example/pixel.png?who=megan">'
           '<img id="logo" src="cid:logo@contoso" alt="logo">'
           '<img src="x" onerror="document.title=\'owned\'">'
           '<a href="javascript:document.title=\'owned\'">click</a>')


def test_a_hostile_message_is_read_safely(page, live_app, emu, browser_sign_in, console_errors):
    graph = GraphAsApp(emu)
    try:
        graph.send(ADELE, MEGAN, "Hostile", HOSTILE,
                   [attachment("logo.png", PNG, "image/png", "logo@contoso")])
    finally:
        graph.http.close()
    [got] = mailbox(emu, MEGAN)
    requests_seen = []
    page.on("request", lambda r: requests_seen.append(r.url))
    page.route("https://tracker.example/**",
               lambda route: route.fulfill(status=200, content_type="image/png", body=PNG))

    browser_sign_in(page, MEGAN)
    page.goto(f"{live_app.url}/mail/me/inbox")
    answer_sign_in_pages(page, live_app.url, MEGAN)  # consent to Mail.Read, on first use
    page.click(f"[data-id='{got.id}'] a")
    page.wait_for_selector("#mail-body")
    frame = page.frame_locator("#mail-body")
    frame.locator("p", has_text="Hello Megan").wait_for()
    logo = frame.locator("img[alt=logo]")
    logo.wait_for()
    page.wait_for_load_state("networkidle")
    assert logo.evaluate("img => img.complete && img.naturalWidth") > 0
    assert "owned" not in page.title()
    assert not any("tracker.example" in url for url in requests_seen)
    assert not any("script-ran" in url for url in requests_seen)
    assert not any("/x" == url[len(live_app.url):] for url in requests_seen)

    page.click("#show-images")
    frame = page.frame_locator("#mail-body")
    frame.locator("img[src^='https://tracker.example']").wait_for()
    page.wait_for_load_state("networkidle")
    assert any(url.startswith("https://tracker.example/pixel.png") for url in requests_seen)
    assert frame.locator("img[src^='https://tracker.example']").evaluate(
        "img => img.naturalWidth") > 0
    assert "owned" not in page.title()
    assert not any("script-ran" in url for url in requests_seen)
    assert console_errors == [], console_errors
