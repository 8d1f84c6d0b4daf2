"""Issue 6.9: a request refused before its body is read must not break the kept-alive
connection: a small body is skipped; a body over the drain limit ends the connection, and the
answer says so (Connection: close)."""
import http.client
import socket
import ssl

import pytest

from emulator.server import DRAIN_LIMIT


def _connection(emu) -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cafile=str(emu.ca_file))
    host, port = emu.api_url.removeprefix("https://").split(":")
    return http.client.HTTPSConnection(host, int(port), context=context, timeout=10)


@pytest.mark.parametrize("method, path", [
    ("POST", "/v1.0/me/sendMail"),  # bad token: 401 before the body is read
    ("PUT", "/api/v2.0/Users('x')/Messages('y')/AttachmentSessions('z')?authtoken=bad"),
    ("POST", "/no/such/endpoint"),  # 404 from routing: the body is never touched
])
def test_ten_refused_500_kb_uploads_then_a_request_on_one_connection(emu, method, path):
    conn = _connection(emu)
    for _ in range(10):
        conn.request(method, path, body=b"x" * 500_000,
                     headers={"Authorization": "Bearer nope", "Content-Range": "bytes 0-499999/500000"})
        refused = conn.getresponse()
        refused.read()
        assert refused.status in (401, 403, 404) and refused.getheader("Connection") != "close"
        sock = conn.sock
        conn.request("GET", "/_emulator/health")
        ok = conn.getresponse()
        assert ok.status == 200 and ok.read()
        assert conn.sock is sock  # still the same connection
    conn.close()


def test_a_refused_body_over_the_drain_limit_closes_the_connection_and_says_so(emu):
    conn = _connection(emu)
    conn.request("POST", "/no/such/endpoint", body=b"x" * (DRAIN_LIMIT + 1))  # 404, body unread
    refused = conn.getresponse()
    refused.read()
    assert refused.status == 404 and refused.getheader("Connection") == "close"
    conn.close()
    conn = _connection(emu)  # a new connection works at once
    conn.request("GET", "/_emulator/health")
    assert conn.getresponse().status == 200
    conn.close()


def test_expect_100_continue_gets_one_interim_answer(emu):
    context = ssl.create_default_context(cafile=str(emu.ca_file))
    host, port = emu.api_url.removeprefix("https://").split(":")
    with context.wrap_socket(socket.create_connection((host, int(port)), timeout=10),
                             server_hostname=host) as tls:
        tls.sendall(b"POST /v1.0/me/sendMail HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n"
                    b"Expect: 100-continue\r\nAuthorization: Bearer nope\r\n\r\n")
        first = tls.recv(4096)
        tls.sendall(b"0123456789")
        rest = b""
        while b"\r\n\r\n" not in rest or b"HTTP/1.1 401" not in first + rest:
            chunk = tls.recv(65536)
            if not chunk:
                break
            rest += chunk
    answer = first + rest
    assert answer.count(b"100 Continue") == 1 and b"HTTP/1.1 401" in answer
