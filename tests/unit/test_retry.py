"""retry.py: Retry-After in both forms, backoff, the budget, and what is safe to repeat."""
import datetime as dt

import pytest
import requests

from helpers.settings import retry_policy
from mailer.graph.retry import is_safe_to_retry, parse_retry_after, send_with_retry

NOW = dt.datetime(2025, 3, 1, 12, 0, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("value, expected", [
    ("7", 7.0),
    (" 120 ", 120.0),
    ("0", 0.0),
    ("Sat, 01 Mar 2025 12:00:30 GMT", 30.0),
    ("Sat, 01 Mar 2025 11:59:00 GMT", 0.0),  # in the past: now
    ("Saturday, 01-Mar-25 12:01:00 GMT", 60.0),  # RFC 850 form
    (None, None), ("", None), ("soon", None), ("-5", None), ("1.5", None),
])
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize("attempt, rand, expected", [
    (1, 0.0, 1.0), (2, 0.0, 2.0), (3, 0.0, 4.0), (3, 1.0, 6.0), (10, 0.0, 30.0), (10, 1.0, 45.0),
])
def test_backoff_is_exponential_jittered_and_capped(attempt, rand, expected):
    assert retry_policy().backoff(attempt, lambda: rand) == expected


def test_retry_after_wins_over_backoff():
    policy = retry_policy()
    assert policy.delay(1, "Sat, 01 Mar 2025 12:00:09 GMT", NOW) == 9.0
    assert policy.delay(3, None, NOW, rand=lambda: 0.0) == 4.0


def _response(status, retry_after=None):
    response = requests.Response()
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = retry_after
    return response


class Server:
    """A scripted sequence of answers (or exceptions) and a clock that records sleeps."""

    def __init__(self, *answers):
        self.answers, self.calls, self.slept = list(answers), 0, []

    def send(self):
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def sleep(self, seconds):
        self.slept.append(seconds)


def test_post_is_retried_on_429_honouring_retry_after():
    server = Server(_response(429, "2"), _response(503, "1"), _response(202))
    response = send_with_retry(server.send, "POST", retry_policy(), server.sleep)
    assert response.status_code == 202 and server.calls == 3 and server.slept == [2.0, 1.0]


def test_gives_up_when_retry_after_exceeds_the_budget():
    server = Server(_response(429, "5"), _response(429, "100"), _response(202))
    response = send_with_retry(server.send, "POST", retry_policy(max_total_wait=60), server.sleep)
    assert response.status_code == 429 and server.calls == 2 and server.slept == [5.0]


def test_attempts_are_bounded():
    server = Server(*[_response(504) for _ in range(3)])
    response = send_with_retry(server.send, "PUT", retry_policy(max_attempts=3, jitter=0),
                               server.sleep)
    assert response.status_code == 504 and server.calls == 3 and server.slept == [1.0, 2.0]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 500])
def test_other_errors_are_not_retried(status):
    server = Server(_response(status))
    assert send_with_retry(server.send, "POST", retry_policy(), server.sleep).status_code == status
    assert server.calls == 1


def test_a_dropped_post_is_not_repeated():
    server = Server(requests.ConnectionError("Connection aborted: RemoteDisconnected"),
                    _response(202))
    with pytest.raises(requests.ConnectionError):
        send_with_retry(server.send, "POST", retry_policy(), server.sleep)
    assert server.calls == 1


def test_a_post_that_never_connected_is_repeated():
    server = Server(requests.ConnectTimeout("connect timed out"), _response(202))
    assert send_with_retry(server.send, "POST", retry_policy(jitter=0), server.sleep).status_code == 202
    assert server.slept == [1.0]


@pytest.mark.parametrize("method, exc, safe", [
    ("POST", requests.ConnectTimeout(), True),
    ("POST", requests.ConnectionError("NewConnectionError: refused"), True),
    ("POST", requests.ReadTimeout(), False),
    ("POST", requests.ConnectionError("RemoteDisconnected"), False),
    ("GET", requests.ReadTimeout(), True),
    ("PUT", requests.ConnectionError("RemoteDisconnected"), True),
    ("DELETE", requests.ReadTimeout(), True),
])
def test_is_safe_to_retry(method, exc, safe):
    assert is_safe_to_retry(method, exc) is safe

