"""Fault injection: 429/503/504 bodies and headers, latency, dropped connections, counts, order."""
from __future__ import annotations

import gc
import json
import time
import warnings

import pytest
import requests

SEND = {"message": {"subject": "Did it send?",
                    "toRecipients": [{"emailAddress": {"address": "alex@contoso.example"}}]}}


@pytest.fixture
def add_fault(emu, https):
    def add(**rule):
        response = https.post(f"{emu.api_url}/_emulator/faults", json=rule, timeout=10)
        assert response.status_code == 201, response.text
        return response.json()
    return add


def test_429_has_graphs_body_and_retry_after(add_fault, graph_api):
    add_fault(path="/me$", status=429, retry_after=7)
    response = graph_api.get("/me")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("TooManyRequests", "Please retry again later.")
    assert {k: error["innerError"][k] for k in ("code", "status", "message")} == {
        "code": "429", "status": "429", "message": "Please retry after"}
    assert error["innerError"]["request-id"] == response.headers["request-id"]
    assert graph_api.get("/me").status_code == 200  # count defaults to 1


def test_429_always_carries_retry_after(add_fault, graph_api):
    add_fault(path="/me$", status=429)
    assert graph_api.get("/me").headers["Retry-After"] == "1"


@pytest.mark.parametrize("status", [503, 504])
def test_5xx_faults(add_fault, graph_api, status):
    add_fault(path="/me$", status=status, retry_after=2)
    response = graph_api.get("/me")
    assert response.status_code == status
    assert response.json()["error"]["code"] == "serviceNotAvailable"
    assert response.headers["Retry-After"] == "2"


def test_a_5xx_fault_does_not_run_the_request(add_fault, graph_api, mailbox):
    add_fault(path="sendMail", method="POST", status=503)
    assert graph_api.post("/me/sendMail", json=SEND).status_code == 503
    assert mailbox("alex@contoso.example").messages == {}


def test_count_and_order(add_fault, graph_api):
    add_fault(path="/me$", status=503, count=2)
    add_fault(path="/me$", status=429)
    assert [graph_api.get("/me").status_code for _ in range(4)] == [503, 503, 429, 200]


def test_method_filter(add_fault, graph_api):
    add_fault(path="/me/messages", method="POST", status=429)
    assert graph_api.get("/me/messages").status_code == 200
    assert graph_api.post("/me/messages", json={"subject": "x"}).status_code == 429


def test_latency_alone_delays_a_successful_request(add_fault, graph_api):
    add_fault(path="/me$", latency_ms=300)
    started = time.monotonic()
    assert graph_api.get("/me").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_drop_before_the_request_runs(add_fault, graph_api, mailbox):
    add_fault(path="sendMail", drop=True)
    with pytest.raises(requests.ConnectionError):
        graph_api.post("/me/sendMail", json=SEND)
    assert mailbox("alex@contoso.example").messages == {}


def test_drop_after_the_request_ran(add_fault, graph_api, mailbox):
    """The client never sees the 202, yet the mail went out: the "did it send?" case."""
    add_fault(path="sendMail", drop=True, after=True)
    with pytest.raises(requests.ConnectionError):
        graph_api.post("/me/sendMail", json=SEND)
    assert len(mailbox("alex@contoso.example").in_folder("inbox")) == 1
    assert len(mailbox().in_folder("sentitems")) == 1


def test_faults_reach_the_upload_host_too(add_fault, graph_api, https):
    from urllib.parse import quote

    draft = graph_api.post("/me/messages", json={"subject": "x"}).json()
    session = graph_api.post(f"/me/messages/{quote(draft['id'], safe='')}/attachments/"
                             "createUploadSession",
                             json={"AttachmentItem": {"name": "f", "size": 3 * 1024 * 1024}}).json()
    add_fault(path="AttachmentSessions", method="PUT", status=503)
    response = https.put(session["uploadUrl"], data=b"x" * 10, timeout=10,
                         headers={"Content-Range": f"bytes 0-9/{3 * 1024 * 1024}"})
    assert response.status_code == 503


def test_token_endpoint_faults_speak_aadsts(add_fault, emu, https, demo_client):
    add_fault(path="/oauth2/v2.0/token", status=503)
    response = https.post(f"{emu.api_url}/common/oauth2/v2.0/token", data={
        "client_id": demo_client["client_id"], "grant_type": "client_credentials"}, timeout=10)
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert response.json()["error_description"].startswith("AADSTS")


def test_list_and_clear(add_fault, emu, https):
    added = add_fault(path="/me$", status=429, count=3)
    listed = https.get(f"{emu.api_url}/_emulator/faults", timeout=10).json()["faults"]
    assert [(f["id"], f["count"]) for f in listed] == [(added["id"], 3)]
    assert https.delete(f"{emu.api_url}/_emulator/faults", timeout=10).status_code == 204
    assert https.get(f"{emu.api_url}/_emulator/faults", timeout=10).json() == {"faults": []}


def test_reset_clears_faults(add_fault, emu, https, graph_api):
    add_fault(path="/me$", status=429)
    https.post(f"{emu.api_url}/_emulator/reset", timeout=10)
    assert graph_api.get("/me").status_code == 200


def test_a_list_of_rules_in_one_call(emu, https):
    response = https.post(f"{emu.api_url}/_emulator/faults", timeout=10,
                          json=[{"path": "a", "status": 429}, {"path": "b", "drop": True}])
    assert response.status_code == 201
    assert [rule["path"] for rule in response.json()] == ["a", "b"]


@pytest.mark.parametrize("rule,fragment", [
    ({"status": 429}, "'path'"),
    ({"path": "(", "status": 429}, "regular expression"),
    ({"path": "x", "status": 500}, "'status'"),
    ({"path": "x"}, "needs"),
    ({"path": "x", "status": 429, "drop": True}, "not both"),
    ({"path": "x", "status": 429, "after": True}, "'after'"),
    ({"path": "x", "status": 429, "count": 0}, "'count'"),
    ({"path": "x", "status": 429, "colour": "red"}, "unknown"),
])
def test_bad_rules_are_refused_with_a_reason(emu, https, rule, fragment):
    response = https.post(f"{emu.api_url}/_emulator/faults", json=rule, timeout=10)
    assert response.status_code == 400
    assert fragment in response.json()["error"]


def test_admin_paths_are_never_faulted(add_fault, emu, https):
    add_fault(path=".*", status=503, count=5)
    assert https.get(f"{emu.api_url}/_emulator/faults", timeout=10).status_code == 200


def test_emulator_faults_environment_variable(tmp_path, monkeypatch):
    from emulator import Emulator
    from mailer.graph.http import build_session

    rules = [{"path": "/v1.0/me$", "status": 429, "retry_after": 4}]
    monkeypatch.setenv("EMULATOR_FAULTS", json.dumps(rules))
    with Emulator(tmp_path, api_port=0, pages_port=0) as emu:
        session = build_session(str(emu.ca_file))
        response = session.get(f"{emu.api_url}/v1.0/me", timeout=10)
        assert (response.status_code, response.headers["Retry-After"]) == (429, "4")
        assert session.get(f"{emu.api_url}/v1.0/me", timeout=10).status_code == 401
        session.close()


def test_a_broken_emulator_faults_variable_stops_start_up(tmp_path, monkeypatch):
    from emulator import Emulator

    monkeypatch.setenv("EMULATOR_FAULTS", '[{"path": "x"}]')
    gc.collect()  # other tests' garbage is not this test's business
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(SystemExit, match="EMULATOR_FAULTS"):
            Emulator(tmp_path, api_port=0, pages_port=0)
        gc.collect()
    # Both ports were bound before the apps were built: they are closed, not left to the GC.
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
