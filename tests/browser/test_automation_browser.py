"""Automation for people, in real Chromium on a fresh demo (demo mode: AUTOMATION_SENDERS as
config.py gives it, nothing set by hand): the admin makes a key and sends a test mail with the
curl line the page shows (run here by a shell); a 50-row merge with one bad row, previewed,
started, paused, resumed, every good row delivered exactly once; a Mailer.Sender's merge, and
the keys page refused to her."""
from __future__ import annotations

import json
import re
import subprocess
import time

import pytest
from playwright.sync_api import expect

from automation.automation_support import inbox_subjects, wait_until

pytestmark = pytest.mark.browser

ADMIN, MEGAN = "admin@contoso.example", "megan@contoso.example"
RECIPIENTS = ["alex@contoso.example", "megan@contoso.example", "patti@contoso.example",
              "adele@contoso.example"]
RATE = 120  # messages a minute, the app's and the emulator's (Exchange's 30, scaled): 2 a second
BAD_ROW = 17


@pytest.fixture
def app_config(emu, tmp_path):
    """Demo mode on the test's emulator, as ./env.sh starts it: nothing about automation set."""
    return {"EMULATOR_STATE_DIR": str(emu.state_dir), "APP_STATE_DIR": str(tmp_path / "app"),
            "HTTP_TIMEOUT": 10, "MESSAGES_PER_MINUTE": RATE}


@pytest.fixture
def runtime(live_app, emu, https):
    """The app's own delivery runtime (to read mailboxes app-only), the emulator at RATE."""
    answer = https.put(f"{emu.api_url}/_emulator/limits", json={"messages_per_minute": RATE},
                       timeout=10)
    assert answer.status_code == 200, answer.text
    return live_app.app.extensions["mailer"]["delivery"]


def delivered(rt, prefix: str) -> list[str]:
    return [s for upn in RECIPIENTS for s in inbox_subjects(rt, upn, prefix)]


def status(page, live_app, merge_id: str) -> dict:
    answer = page.request.get(f"{live_app.url}/merges/{merge_id}/status.json")
    assert answer.ok, answer.text()
    return answer.json()


def csv_rows(count: int) -> bytes:
    lines = ["email,first_name"]
    for n in range(1, count + 1):
        address = "not an address" if n == BAD_ROW else RECIPIENTS[n % 4]
        lines.append(f"{address},Guest {n}")
    return ("\n".join(lines) + "\n").encode()


def test_the_admin_sends_a_test_mail_with_the_curl_line_and_runs_a_merge(
        page, live_app, browser_sign_in, console_errors, runtime):
    browser_sign_in(page, ADMIN)
    page.goto(f"{live_app.url}/admin/")
    expect(page.locator("#app-only-state")).to_contain_text("Granted.")
    expect(page.locator("#senders")).to_contain_text("sales@contoso.example, admin@contoso.example")
    page.click("#make-key")
    page.fill("#name", "First try")
    page.check('input[name=senders][value="admin@contoso.example"]')
    page.click("#create-key")
    line = page.locator("#curl-line").inner_text()
    assert line.startswith("curl ") and "mk_" in line and "mk_" not in page.url
    sent = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=60)
    assert sent.returncode == 0, sent.stderr
    job = json.loads(sent.stdout)
    assert job["sender"] == ADMIN and job["state"] in ("queued", "sending", "sent")
    assert wait_until(lambda: inbox_subjects(runtime, ADMIN, "Test from the Mail sender API"), 30)
    page.goto(f"{live_app.url}/admin/jobs/{job['id']}")
    expect(page.locator("#job-state")).to_have_text("Sent")

    page.goto(f"{live_app.url}/merges/new")
    page.set_input_files("#csv_file", files=[{"name": "guests.csv", "mimeType": "text/csv",
                                              "buffer": csv_rows(50)}])
    chip = page.locator("#variables button", has_text="{{ first_name }}")
    expect(chip).to_be_visible()
    page.click("#subject")
    page.keyboard.type("Invitation for ")
    chip.click()
    page.click(".compose-editor .ql-editor")
    page.keyboard.type("Dear ")
    chip.click()
    page.keyboard.type(", you are invited.")
    assert page.input_value("#subject") == "Invitation for {{ first_name }}"
    page.select_option("#sender", "sales@contoso.example")
    page.click("#preview")
    expect(page.locator("#total")).to_contain_text("49 messages will go from sales@contoso.example")
    expect(page.locator("#total")).to_contain_text("1 row is left out")
    refused = page.locator(f'#refused [data-row="{BAD_ROW}"]')
    expect(refused).to_contain_text(f"Row {BAD_ROW} (not an address): To: 'not an address' is "
                                    "not a valid email address")
    expect(page.locator("#duration")).to_contain_text(f"at {RATE} a minute")
    sample = page.locator(".merge-sample").first
    expect(sample.locator(".sample-subject")).to_have_text("Invitation for Guest 1")
    frame = page.frame_locator(".merge-sample iframe").first
    expect(frame.locator("body")).to_contain_text("Dear Guest 1, you are invited.")

    page.click("#start")
    page.wait_for_url(re.compile(r"/merges/m[0-9a-f]{16}$"))
    merge_id = page.url.rsplit("/", 1)[1]
    page.click("#pause")
    expect(page.locator("#resume")).to_be_visible()
    held = wait_until(lambda: (s := status(page, live_app, merge_id))["counts"].get("held")
                      and s, 10, 0.2)
    assert held and held["state"] == "paused", held
    time.sleep(3)  # a row a worker had at the pause finishes; then nothing more goes
    still = status(page, live_app, merge_id)["counts"].get("sent", 0)
    time.sleep(2)
    assert status(page, live_app, merge_id)["counts"].get("sent", 0) == still < 49
    page.click("#resume")
    expect(page.locator("#merge")).to_have_attribute("data-state", "finished", timeout=90_000)
    expect(page.locator("#merge-done")).to_have_text("50 of 50 finished")
    final = status(page, live_app, merge_id)
    assert final["counts"] == {"sent": 49, "refused": 1}, final["counts"]
    got = wait_until(lambda: (d := delivered(runtime, "Invitation for ")) and len(d) >= 49 and d,
                     30)
    expected = [f"Invitation for Guest {n}" for n in range(1, 51) if n != BAD_ROW]
    assert sorted(got) == sorted(expected)  # every good row once: none twice, none missing
    assert not console_errors, console_errors


def test_a_sender_runs_a_merge_but_the_keys_page_is_not_hers(page, live_app, browser_sign_in,
                                                              console_errors, runtime):
    browser_sign_in(page, MEGAN)
    expect(page.locator("#main-nav a", has_text="Merges")).to_be_visible()
    expect(page.locator("#main-nav a", has_text="Admin")).to_have_count(0)
    page.goto(f"{live_app.url}/admin/keys")
    expect(page.locator("#error-page")).to_contain_text("Mailer.Admin")
    console_errors.remove(next(e for e in console_errors if "403" in e))  # the 403 itself
    page.goto(f"{live_app.url}/merges/new")
    page.locator("details summary").click()
    page.fill("#csv_text", "email,name\nalex@contoso.example,Alex\npatti@contoso.example,Patti\n")
    page.fill("#subject", "Team lunch, {{ name }}")
    page.click(".compose-editor .ql-editor")
    page.keyboard.type("See you at noon.")
    page.click("#preview")
    expect(page.locator("#total")).to_contain_text("2 messages will go")
    page.click("#start")
    expect(page.locator("#merge")).to_have_attribute("data-state", "finished", timeout=60_000)
    assert sorted(wait_until(lambda: len(d := delivered(runtime, "Team lunch, ")) == 2 and d,
                             30)) == ["Team lunch, Alex", "Team lunch, Patti"]
    page.goto(f"{live_app.url}/merges/")
    expect(page.locator("#merges tbody tr")).to_have_count(1)
    expect(page.locator("#merges")).to_contain_text(MEGAN)
    assert not console_errors, console_errors
