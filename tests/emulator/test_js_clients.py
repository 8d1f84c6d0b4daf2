"""Microsoft's JavaScript libraries as peers of the emulator, beside MSAL Python, msgraph-sdk and
azure-identity: @azure/msal-node, @microsoft/microsoft-graph-client and @azure/identity, unmodified,
pointed at the emulator by configuration only (knownAuthorities; baseUrl + customHosts;
authorityHost + disableInstanceDiscovery), trusting its CA through NODE_EXTRA_CA_CERTS.

The scripts live in tests/js/ (their own package.json and lock; ``./env.sh test`` runs ``npm ci``
there when the lock changes). Each runs under Node as a real process and talks to the test in
JSON lines (tests/js/lib.mjs): it says what it needs (a sign-in finished, a device code typed in)
and the test does what a person would, on the emulator's own pages over HTTP.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from helpers.mailbox import PNG, GraphAsApp, attachment
from helpers.signin import complete_device_login, sign_in_with_requests

from emulator.directory import DEMO_CLI_CLIENT_ID, WORK_TENANT_ID

JS = Path(__file__).resolve().parents[1] / "js"
ADELE, MEGAN, ALEX = "adele@contoso.example", "megan@contoso.example", "alex@contoso.example"
REDIRECT_URI = "http://localhost:8400/js/callback"


def _installed() -> None:
    """Fail (never skip) with what to run when Node or tests/js's packages are missing or stale."""
    if shutil.which("node") is None:
        pytest.fail("Node.js is missing: ./env.sh test installs it (Debian's npm), or "
                    "sudo apt-get install npm")
    stamp = JS / "node_modules" / ".installed"
    lock = hashlib.sha256((JS / "package-lock.json").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text().strip() != lock:
        pytest.fail("tests/js's packages are not installed from its lock: run ./env.sh test "
                    "(or: cd tests/js && npm ci --ignore-scripts && sha256sum package-lock.json "
                    "| cut -d' ' -f1 > node_modules/.installed)")


class Script:
    """A tests/js script running under Node; ``events()`` yields what it says, ``answer`` replies."""

    def __init__(self, emu, script: str, scenario: str, **extra):
        _installed()
        config = {**emu.client_config(), "redirect_uri": REDIRECT_URI,
                  "cli_client_id": DEMO_CLI_CLIENT_ID, "tenant_id": WORK_TENANT_ID, **extra}
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env.update(EMULATOR=json.dumps(config), NODE_EXTRA_CA_CERTS=str(emu.ca_file),
                   NO_PROXY="127.0.0.1,localhost", NODE_NO_WARNINGS="1")
        self.process = subprocess.Popen(["node", script, scenario], cwd=JS, env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
        self.stderr: list[str] = []
        threading.Thread(target=lambda: self.stderr.extend(self.process.stderr), daemon=True).start()
        self.timer = threading.Timer(120, self.process.kill)
        self.timer.start()

    def events(self):
        for line in self.process.stdout:
            event = json.loads(line)
            if event["event"] == "failed":
                raise AssertionError(f"{event['error']}\n{''.join(self.stderr)}")
            yield event
            if event["event"] == "done":
                return
        raise AssertionError(f"the script ended without a result:\n{''.join(self.stderr)}")

    def answer(self, data: dict) -> None:
        self.process.stdin.write(json.dumps(data) + "\n")
        self.process.stdin.flush()

    def close(self) -> None:
        self.timer.cancel()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            stream.close()


@pytest.fixture
def node(emu):
    """node(script, scenario, **config) -> its result, once every event was answered."""
    running: list[Script] = []

    def run(script: str, scenario: str, on_event=None, **extra) -> dict:
        process = Script(emu, script, scenario, **extra)
        running.append(process)
        for event in process.events():
            if event["event"] == "done":
                return event["result"]
            reply = on_event(event) if on_event else None
            if reply is not None:
                process.answer(reply)
        raise AssertionError("unreachable")
    yield run
    for process in running:
        process.close()


@pytest.fixture
def fast_polling(emu, https):
    """Device codes polled every second (Microsoft says 5), so the tests stay quick."""
    assert https.put(f"{emu.api_url}/_emulator/identity/settings", timeout=10,
                     json={"device_code_interval": 1}).status_code == 200


def device_login(event: dict, username: str = ADELE) -> None:
    """Type the device code on the emulator's page, in a thread: the script keeps polling."""
    assert event["event"] == "device_code", event
    threading.Thread(target=complete_device_login, daemon=True,
                     args=(event["verificationUri"], event["userCode"], username)).start()


# --- @azure/msal-node -----------------------------------------------------------------------

def test_msal_node_auth_code_with_pkce_then_silent_refresh(emu, node):
    emu.state.add_redirect_uri(REDIRECT_URI)

    def sign_in(event):
        assert event["event"] == "sign_in" and "code_challenge_method=S256" in event["url"]
        return sign_in_with_requests(event["url"], ADELE).params

    result = node("msal_node.mjs", "auth-code", sign_in)
    assert (result["username"], result["silentUsername"]) == (ADELE, ADELE)
    assert result["idTokenName"] == "Adele Vance" and result["refreshed"] is True
    claims = emu.state.tokens.validate_access_token(result["accessToken"])
    assert {"User.Read", "Mail.Read"} <= set(claims["scp"].split())


def test_msal_node_device_code(emu, node, fast_polling):
    result = node("msal_node.mjs", "device-code", device_login)
    assert result["username"] == ADELE
    assert emu.state.tokens.validate_access_token(result["accessToken"])["appid"] == \
        DEMO_CLI_CLIENT_ID


# --- @microsoft/microsoft-graph-client --------------------------------------------------------

@pytest.fixture
def adele_token(graph_token):
    return graph_token(ADELE)


@pytest.fixture
def seeded(emu):
    """Adele's Inbox: seven messages, two about "quarterly", one with a picture attached."""
    graph = GraphAsApp(emu)
    for n in range(6):
        graph.send(MEGAN, ADELE, f"Quarterly note {n}" if n < 2 else f"Note {n}")
    graph.send(MEGAN, ADELE, "With a picture", attachments=[attachment("dot.png", PNG, "image/png")])
    yield graph
    graph.http.close()


def test_graph_js_client_sends_lists_with_page_iterator_and_searches(node, adele_token, seeded,
                                                                      mailbox):
    result = node("graph_client.mjs", "mail", token=adele_token, to=ALEX)
    assert (result["firstPage"], result["paged"]) == (3, True)
    assert result["subjects"] == ["With a picture", *[f"Note {n}" for n in (5, 4, 3, 2)],
                                  "Quarterly note 1", "Quarterly note 0"]
    assert result["searched"] == ["Quarterly note 0", "Quarterly note 1"]
    assert [m.props["subject"] for m in mailbox(ALEX).in_folder("inbox")] == \
        ["From the Graph JS client"]


def file_bytes(size: int) -> bytes:
    """What graph_client.mjs uploads: byte i is (i * 31) % 251."""
    return bytes((i * 31) % 251 for i in range(size))


def test_graph_js_large_file_upload_task_into_a_draft(node, adele_token, mailbox):
    size, slice_ = 12 * 1024 * 1024 + 12345, 3_276_800  # Outlook takes at most 4 MB a PUT
    result = node("graph_client.mjs", "upload", token=adele_token, size=size, range_size=slice_)
    assert result["slices"] == [slice_] * 3 + [size - 3 * slice_]
    [draft] = mailbox(ADELE).in_folder("drafts")
    assert draft.id == result["draftId"]
    [stored] = draft.attachments
    assert (stored.name, stored.size) == ("big.bin", size)
    assert b"".join(stored.blob.chunks()) == file_bytes(size)  # byte-identical


def test_graph_js_batch_request_content(node, adele_token, seeded, mailbox):
    [message] = [m for m in mailbox(ADELE).in_folder("inbox")
                 if m.props["subject"] == "With a picture"]
    picture = f"/me/messages/{message.id}/attachments/{message.attachments[0].id}/$value"
    result = node("graph_client.mjs", "batch", token=adele_token, picture_path=picture)
    assert result["statuses"] == {"me": 200, "inbox": 200, "picture": 200, "nobody": 404,
                                  "make": 201, "find": 200}
    assert (result["displayName"], result["inbox"]) == ("Adele Vance", 2)
    assert result["pictureType"] == "image/png" and base64.b64decode(result["picture"]) == PNG
    assert result["found"] == [result["made"]]


# --- @azure/identity ----------------------------------------------------------------------------

def test_azure_identity_device_code_credential(emu, node, fast_polling):
    result = node("identity.mjs", "device-code", device_login)
    assert result["me"] == ADELE
    claims = emu.state.tokens.validate_access_token(result["token"])
    assert claims["appid"] == DEMO_CLI_CLIENT_ID and "User.Read" in claims["scp"].split()


def test_azure_identity_client_secret_credential(emu, node):
    result = node("identity.mjs", "client-secret")
    assert result["alex"] == "Alex Wilber"
    claims = emu.state.tokens.validate_access_token(result["token"])
    assert claims["idtyp"] == "app" and "User.Read.All" in claims["roles"]
