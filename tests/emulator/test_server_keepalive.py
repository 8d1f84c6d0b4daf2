"""The emulator keeps HTTPS connections open between requests, as Microsoft's services do."""
import http.client
import ssl

from emulator.directory import DEMO_CLIENT_ID


def _connection(emu) -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cafile=str(emu.ca_file))
    host, port = emu.api_url.removeprefix("https://").split(":")
    return http.client.HTTPSConnection(host, int(port), context=context, timeout=5)


def _token(emu) -> str:
    user = emu.state.directory.user("adele@contoso.example")
    return emu.state.tokens.access_token(DEMO_CLIENT_ID, user.tenant_id, 3600, user=user,
                                         scopes=["User.Read", "Mail.Send"])


def test_one_connection_serves_many_requests_even_when_a_body_is_left_unread(emu):
    conn, token = _connection(emu), _token(emu)
    conn.request("GET", "/_emulator/health")
    first = conn.getresponse()
    first.read()
    sock = conn.sock
    # Refused before its body is read (bad token): the rest must be skipped, not parsed
    # as the next request line.
    conn.request("POST", "/v1.0/me/sendMail", body=b"{" + b" " * 200_000 + b"}",
                 headers={"Authorization": "Bearer nope", "Content-Type": "application/json"})
    refused = conn.getresponse()
    refused.read()
    conn.request("GET", "/v1.0/me", headers={"Authorization": f"Bearer {token}"})
    me = conn.getresponse()
    body = me.read()
    assert (first.status, refused.status, me.status) == (200, 401, 200)
    assert b"Adele" in body
    assert conn.sock is sock  # the same TLS connection all along
    assert me.getheader("Connection") != "close"
    conn.close()


def test_a_client_asking_to_close_gets_its_connection_closed(emu):
    conn = _connection(emu)
    conn.request("GET", "/_emulator/health", headers={"Connection": "close"})
    response = conn.getresponse()
    response.read()
    assert response.status == 200 and response.getheader("Connection") == "close"
    conn.close()


def test_request_logs_never_show_an_upload_authtoken_or_a_code(emu, https, caplog):
    with caplog.at_level("INFO", logger="werkzeug"):
        https.put(f"{emu.urls.upload}/api/v2.0/Users('x')/Messages('y')/AttachmentSessions('z')"
                  "?authtoken=SECRET-UPLOAD-TOKEN", data=b"", timeout=10)
        https.get(f"{emu.pages_url}/mailbox?code=SECRET-CODE&state=1", timeout=10)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "AttachmentSessions" in logged and "mailbox" in logged
    assert "SECRET" not in logged and "authtoken=***" in logged
