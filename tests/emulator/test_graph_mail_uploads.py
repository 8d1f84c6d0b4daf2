"""Upload sessions: create, PUT ranges without auth, range rules, cancel, expiry, big files."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from urllib.parse import quote, urlsplit

import pytest

MB = 1024 * 1024
CHUNK = 3_276_800  # 10 x 320 KiB


def pattern(size: int) -> bytes:
    return (bytes(range(251)) * (size // 251 + 1))[:size]


@pytest.fixture
def draft_id(graph_api):
    created = graph_api.post("/me/messages", json={
        "subject": "Big file", "toRecipients": [{"emailAddress": {"address": "alex@contoso.example"}}]})
    return created.json()["id"]


@pytest.fixture
def open_session(graph_api, draft_id):
    def make(size: int, name: str = "report.pdf", message_id: str | None = None, **item):
        response = graph_api.post(
            f"/me/messages/{quote(message_id or draft_id, safe='')}/attachments/createUploadSession",
            json={"AttachmentItem": {"attachmentType": "file", "name": name, "size": size,
                                     "contentType": "application/pdf", **item}})
        assert response.status_code == 201, response.text
        return response.json()
    return make


def put(https, url: str, data: bytes, start: int, total: int, **headers):
    headers = {"Content-Type": "application/octet-stream",
               "Content-Range": f"bytes {start}-{start + len(data) - 1}/{total}", **headers}
    return https.put(url, data=data, headers=headers, timeout=30)


def test_create_upload_session_shape(open_session, emu, draft_id):
    session = open_session(4 * MB)
    assert session["@odata.context"] == f"{emu.api_url}/v1.0/$metadata#microsoft.graph.uploadSession"
    assert session["nextExpectedRanges"] == ["0-"]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$", session["expirationDateTime"])
    url = urlsplit(session["uploadUrl"])
    assert f"{url.scheme}://{url.netloc}" == emu.state.urls.upload != emu.api_url
    adele = emu.state.directory.user("adele@contoso.example")
    assert url.path.startswith(f"/api/v2.0/Users('{adele.id}@{adele.tenant_id}')/Messages('{draft_id}')"
                               "/AttachmentSessions('")
    assert url.query.startswith("authtoken=")


def test_upload_in_chunks_then_send(open_session, https, graph_api, graph_token, draft_id):
    size = 2 * CHUNK + 12_345
    data = pattern(size)
    session = open_session(size)
    first = put(https, session["uploadUrl"], data[:CHUNK], 0, size)
    assert first.status_code == 200
    assert first.json()["nextExpectedRanges"] == [str(CHUNK)]
    assert "ExpirationDateTime" in first.json()
    assert first.json()["@odata.context"].endswith("/AttachmentSessions/$entity")
    second = put(https, session["uploadUrl"], data[CHUNK:2 * CHUNK], CHUNK, size)
    assert second.json()["nextExpectedRanges"] == [str(2 * CHUNK)]
    last = put(https, session["uploadUrl"], data[2 * CHUNK:], 2 * CHUNK, size)
    assert last.status_code == 201
    assert last.content == b"" and last.headers["Content-Length"] == "0"
    location = last.headers["Location"]
    attachment_id = re.search(r"/Attachments\('([^']+)'\)$", location).group(1)
    raw = graph_api.get(f"/me/messages/{quote(draft_id, safe='')}/attachments/"
                        f"{quote(attachment_id, safe='')}/$value")
    assert raw.content == data
    meta = graph_api.get(f"/me/messages/{quote(draft_id, safe='')}/attachments?$select=name,size")
    assert meta.json()["value"][0] == {**meta.json()["value"][0], "name": "report.pdf", "size": size}
    assert graph_api.post(f"/me/messages/{quote(draft_id, safe='')}/send").status_code == 202
    alex = graph_api.as_(graph_token("alex@contoso.example"))
    (item,) = alex.get("/me/messages").json()["value"]
    listed = alex.get(f"/me/messages/{quote(item['id'], safe='')}/attachments?$select=size,name")
    (attachment,) = listed.json()["value"]
    got = alex.get(f"/me/messages/{quote(item['id'], safe='')}/attachments/"
                   f"{quote(attachment['id'], safe='')}/$value")
    assert got.content == data


def test_a_put_with_a_bearer_token_gets_outlooks_401(open_session, https, graph_api):
    session = open_session(4 * MB)
    response = put(https, session["uploadUrl"], pattern(1000), 0, 4 * MB,
                   Authorization=f"Bearer {graph_api.token}")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "InvalidAudienceForResource"
    assert error["message"].startswith("The audience claim value is invalid for current resource. "
                                       "Audience claim is 'https://graph.microsoft.com'")
    ok = put(https, session["uploadUrl"], pattern(1000), 0, 4 * MB)
    assert ok.status_code == 200  # nothing was stored by the refused PUT


def test_the_authtoken_is_checked(open_session, https):
    session = open_session(4 * MB)
    forged = re.sub(r"authtoken=[^&]+", "authtoken=forged", session["uploadUrl"])
    assert put(https, forged, pattern(10), 0, 4 * MB).status_code == 401


def test_smaller_than_3_mb_is_refused(graph_api, draft_id):
    response = graph_api.post(f"/me/messages/{quote(draft_id, safe='')}/attachments/createUploadSession",
                              json={"AttachmentItem": {"attachmentType": "file", "name": "s",
                                                       "size": 3 * MB - 1}})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize"


def test_over_150_mb_or_the_mailbox_limit_is_refused(graph_api, draft_id, emu):
    url = f"/me/messages/{quote(draft_id, safe='')}/attachments/createUploadSession"
    over = graph_api.post(url, json={"AttachmentItem": {"name": "x", "size": 150 * MB + 1}})
    assert over.json()["error"]["code"] == "ErrorMessageSizeExceeded"
    default_limit = graph_api.post(url, json={"AttachmentItem": {"name": "x", "size": 36 * MB}})
    assert default_limit.json()["error"]["code"] == "ErrorMessageSizeExceeded"  # 35 MB default
    emu.state.directory.user("adele@contoso.example").max_message_size = 150 * MB
    assert graph_api.post(url, json={"AttachmentItem": {"name": "x", "size": 36 * MB}}).status_code == 201


def test_create_upload_session_checks_its_parameter(graph_api, draft_id):
    url = f"/me/messages/{quote(draft_id, safe='')}/attachments/createUploadSession"
    assert graph_api.post(url, json={"item": {"name": "x", "size": 4 * MB}}).status_code == 400
    assert graph_api.post(url, json={"AttachmentItem": {"name": "x", "size": "4MB"}}).status_code == 400
    assert graph_api.post(url, json={"attachmentItem": {"name": "x", "size": 4 * MB}}).status_code == 201


def test_out_of_order_and_overlapping_ranges_are_refused(open_session, https):
    size = 4 * MB
    session = open_session(size)
    skipped = put(https, session["uploadUrl"], pattern(1000), 5000, size)
    assert skipped.status_code == 416
    assert skipped.json()["nextExpectedRanges"] == ["0-"]
    assert put(https, session["uploadUrl"], pattern(1000), 0, size).status_code == 200
    overlap = put(https, session["uploadUrl"], pattern(1000), 500, size)
    assert overlap.status_code == 416
    assert overlap.json()["nextExpectedRanges"] == ["1000-"]


@pytest.mark.parametrize("content_range", [None, "bytes 0-99", "items 0-99/4194304",
                                           "bytes 0-99/999", "bytes 50-10/4194304"])
def test_bad_content_range_is_refused(open_session, https, content_range):
    session = open_session(4 * MB)
    headers = {"Content-Type": "application/octet-stream"}
    if content_range:
        headers["Content-Range"] = content_range
    response = https.put(session["uploadUrl"], data=pattern(100), headers=headers, timeout=30)
    assert response.status_code == 400
    assert response.json()["nextExpectedRanges"] == ["0-"]


def test_content_length_must_match_the_range(open_session, https):
    session = open_session(4 * MB)
    response = https.put(session["uploadUrl"], data=pattern(100), timeout=30, headers={
        "Content-Range": f"bytes 0-199/{4 * MB}"})
    assert response.status_code == 400


def test_a_chunk_over_4_mb_is_refused(open_session, https, emu):
    emu.state.directory.user("adele@contoso.example").max_message_size = 150 * MB
    size = 10 * MB
    session = open_session(size)
    response = put(https, session["uploadUrl"], pattern(4 * MB + 1), 0, size)
    assert response.status_code == 413


def test_delete_cancels_the_session(open_session, https):
    session = open_session(4 * MB)
    assert https.delete(session["uploadUrl"], timeout=30).status_code == 204
    assert put(https, session["uploadUrl"], pattern(10), 0, 4 * MB).status_code == 404


def test_get_reports_where_the_session_stands(open_session, https):
    session = open_session(4 * MB)
    put(https, session["uploadUrl"], pattern(4096), 0, 4 * MB)
    assert https.get(session["uploadUrl"], timeout=30).json()["nextExpectedRanges"] == ["4096"]


def test_expired_sessions_refuse_uploads(open_session, https, emu):
    from emulator.graph.mail.store import MailStore

    session = open_session(4 * MB)
    for live in emu.state.extension("mail", MailStore).sessions.values():
        live.expires = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    response = put(https, session["uploadUrl"], pattern(10), 0, 4 * MB)
    assert response.status_code == 401
    assert put(https, session["uploadUrl"], pattern(10), 0, 4 * MB).status_code == 404


def test_a_deleted_draft_fails_the_last_chunk(open_session, https, graph_api, draft_id):
    session = open_session(3 * MB)
    graph_api.delete(f"/me/messages/{quote(draft_id, safe='')}")
    assert put(https, session["uploadUrl"], pattern(3 * MB), 0, 3 * MB).status_code == 404


@pytest.mark.slow
def test_a_100_mb_attachment_streams_through_bounded_memory(open_session, https, emu, graph_api,
                                                          graph_token, draft_id):
    import psutil

    emu.state.directory.user("adele@contoso.example").max_message_size = 150 * MB
    size = 100 * MB
    session = open_session(size, name="video.mp4")
    process = psutil.Process(os.getpid())
    baseline = process.memory_info().rss
    peak = baseline
    chunk = pattern(CHUNK)
    start = 0
    while start < size:
        piece = chunk[: min(CHUNK, size - start)]
        response = put(https, session["uploadUrl"], piece, start, size)
        assert response.status_code in (200, 201), response.text
        start += len(piece)
        peak = max(peak, process.memory_info().rss)
    assert response.status_code == 201
    assert graph_api.post(f"/me/messages/{quote(draft_id, safe='')}/send").status_code == 202
    peak = max(peak, process.memory_info().rss)
    alex = graph_api.as_(graph_token("alex@contoso.example"))
    (item,) = alex.get("/me/messages?$select=subject").json()["value"]
    (meta,) = alex.get(f"/me/messages/{quote(item['id'], safe='')}/attachments?$select=size").json()["value"]
    download = alex.get(f"/me/messages/{quote(item['id'], safe='')}/attachments/"
                        f"{quote(meta['id'], safe='')}/$value", stream=True)
    expected, got = hashlib.sha256(), hashlib.sha256()
    for offset in range(0, size, CHUNK):
        expected.update(chunk[: min(CHUNK, size - offset)])
    for block in download.iter_content(1024 * 1024):
        got.update(block)
        peak = max(peak, process.memory_info().rss)
    assert got.hexdigest() == expected.hexdigest()
    assert peak - baseline < 40 * MB  # a whole-body buffer would be 100 MB or more
