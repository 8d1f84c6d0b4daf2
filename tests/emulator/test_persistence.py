"""``python -m emulator serve`` keeps the demo's mail across restarts (messages, attachments,
change logs, deferred sends, subscriptions, sign-ins) in its state folder; ``python -m emulator
reset`` starts clean; the tests' in-process emulator keeps nothing unless asked."""
from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
import sys
from urllib.parse import quote, urlsplit

import pytest

from emulator import Emulator
from emulator.directory import WORK_TENANT_ID
from emulator.graph.mail.store import MailStore
from emulator.identity.grants import issue_refresh_token
from helpers.webhook_receiver import Receiver
from mailer.graph.http import build_session

ADELE, ALEX = "adele@contoso.example", "alex@contoso.example"
SMALL = b"a small file\n"
LARGE = os.urandom(1536 * 1024)  # above the store's in-memory limit: a spool file


class Process:
    """The emulator as its own process, as ./env.sh runs it."""

    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "--state-dir", str(state_dir), "serve",
             "--api-port", "0", "--pages-port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        line = self.process.stdout.readline()
        assert "Emulator API (HTTPS): " in line, line
        self.api = line.split("Emulator API (HTTPS): ")[1].split()[0]
        self.http = build_session(str(state_dir / "ca.pem"))
        secret = json.loads((state_dir / "demo-app.json").read_text())
        token = self.http.post(f"{self.api}/{WORK_TENANT_ID}/oauth2/v2.0/token", data={
            "grant_type": "client_credentials", "client_id": secret["client_id"],
            "client_secret": secret["client_secret"],
            "scope": "https://graph.microsoft.com/.default"}, timeout=10).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def graph(self, method, path, **kwargs):
        url = path if path.startswith("https://") else f"{self.api}/v1.0{path}"
        return self.http.request(method, url, headers=self.headers, timeout=30, **kwargs)

    def inbox(self, user=ALEX):
        return self.graph("GET", f"/users/{user}/mailFolders/inbox/messages").json()["value"]

    def stop(self):
        self.process.terminate()  # SIGTERM, as ./env.sh's trap sends it
        assert self.process.wait(timeout=30) == 0
        self.process.stdout.close()
        self.http.close()


@pytest.fixture
def started(tmp_path):
    processes = []

    def start():
        processes.append(Process(tmp_path))
        return processes[-1]
    yield start
    for p in processes:
        if p.process.poll() is None:
            p.stop()


def attachment(name, data):
    return {"@odata.type": "#microsoft.graph.fileAttachment", "name": name,
            "contentType": "application/octet-stream",
            "contentBytes": base64.b64encode(data).decode()}


def send(emu, subject, attachments=(), deferred_minutes=None):
    message = {"subject": subject, "body": {"contentType": "text", "content": subject},
               "toRecipients": [{"emailAddress": {"address": ALEX}}],
               "attachments": list(attachments)}
    if deferred_minutes is not None:
        at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=deferred_minutes)
        message["singleValueExtendedProperties"] = [
            {"id": "SystemTime 0x3FEF", "value": at.strftime("%Y-%m-%dT%H:%M:%SZ")}]
    response = emu.graph("POST", f"/users/{ADELE}/sendMail", json={"message": message})
    assert response.status_code == 202, response.text


def test_mail_and_attachments_survive_a_restart_and_reset_empties_it(started, tmp_path):
    first = started()
    send(first, "with files", [attachment("small.txt", SMALL), attachment("large.bin", LARGE)])
    send(first, "later", deferred_minutes=60)
    link = first.graph("GET", f"/users/{ALEX}/mailFolders/inbox/messages/delta") \
        .json()["@odata.deltaLink"]
    with Receiver() as hook:
        subscription = first.graph("POST", "/subscriptions", json={
            "changeType": "created", "notificationUrl": hook.url,
            "resource": f"users/{ALEX}/mailFolders('inbox')/messages", "clientState": "kept",
            "expirationDateTime": (dt.datetime.now(dt.timezone.utc)
                                   + dt.timedelta(hours=2)).isoformat()}).json()
        first.stop()

        second = started()
        [message] = second.inbox()
        assert message["subject"] == "with files" and message["hasAttachments"] is True
        path = f"/users/{ALEX}/messages/{quote(message['id'], safe='')}/attachments"
        files = {a["name"]: a["id"] for a in second.graph("GET", path).json()["value"]}
        for name, data in (("small.txt", SMALL), ("large.bin", LARGE)):
            got = second.graph("GET", f"{path}/{quote(files[name], safe='')}/$value")
            assert got.content == data
        sent = second.graph("GET", f"/users/{ADELE}/mailFolders/sentitems/messages").json()
        assert [m["subject"] for m in sent["value"]] == ["with files"]
        assert [s["id"] for s in second.graph("GET", "/subscriptions").json()["value"]] == \
            [subscription["id"]]

        # The send waiting in the Outbox goes at its time; the old delta link (on the new port)
        # reports only that, and the kept subscription tells the receiver.
        assert second.http.put(f"{second.api}/_emulator/clock", json={"offset_seconds": 3700},
                               timeout=10).status_code == 200
        moved = f"{second.api}{urlsplit(link).path}?{urlsplit(link).query}"
        changes = second.graph("GET", moved).json()["value"]
        assert [m["subject"] for m in changes] == ["later"]
        [item] = hook.wait_for(lambda items: len(items) == 1)
        assert item["clientState"] == "kept" and item["subscriptionId"] == subscription["id"]
        second.stop()

    result = subprocess.run([sys.executable, "-m", "emulator", "--state-dir", str(tmp_path),
                             "reset", "--api-port", "9"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and "deleted" in result.stdout
    third = started()
    assert third.inbox() == [] and third.graph("GET", "/subscriptions").json()["value"] == []
    assert (tmp_path / "ca.pem").exists()  # the CA and keys stay: the app's config still works


def test_reset_empties_a_running_emulator(started, tmp_path):
    running = started()
    send(running, "hello")
    assert len(running.inbox()) == 1
    port = urlsplit(running.api).port
    result = subprocess.run([sys.executable, "-m", "emulator", "--state-dir", str(tmp_path),
                             "reset", "--api-port", str(port)], capture_output=True, text=True,
                            timeout=60)
    assert "the running emulator was emptied" in result.stdout, result.stdout
    assert running.inbox() == []
    running.stop()
    assert started().inbox() == []


def test_sign_ins_survive_a_restart(tmp_path):
    with Emulator(tmp_path, api_port=0, pages_port=0, persist=True) as emu:
        user = emu.state.directory.user(ADELE)
        token = issue_refresh_token(emu.state, user=user, client_id="c", tenant="common",
                                    oidc={"openid"}, session_id=None)
        emu.state.consents[(user.id, "c")] = {"Mail.Read"}
    with Emulator(tmp_path, api_port=0, pages_port=0, persist=True) as emu:
        assert emu.state.refresh_tokens[token]["user_id"] == user.id
        assert emu.state.consents[(user.id, "c")] == {"Mail.Read"}


def test_the_tests_emulator_keeps_nothing(emu, graph_api):
    body = {"message": {"subject": "x", "toRecipients": [{"emailAddress": {"address": ALEX}}]}}
    assert graph_api.post("/me/sendMail", json=body).status_code == 202
    assert emu.keeper is None and not (emu.state_dir / "store").exists()
    spool = emu.state.extension("mail", MailStore).spool_dir
    assert not spool.startswith(str(emu.state_dir))
