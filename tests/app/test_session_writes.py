"""An unchanged session is not written back on every request, but its expiry still slides."""
import pytest


@pytest.fixture
def writes(app):
    """Count the session store writes (the real store still does the work)."""
    interface = app.session_interface
    real, count = interface._upsert_session, []

    def counting(*args, **kwargs):
        count.append(1)
        return real(*args, **kwargs)

    interface._upsert_session = counting
    yield count
    interface._upsert_session = real


def test_reading_pages_does_not_rewrite_the_session(client, sign_in, writes):
    sign_in(client)
    client.get("/")  # shows (and so removes) the "signed in" flash message: a real change
    writes.clear()
    for _ in range(5):
        assert client.get("/").status_code == 200
    assert writes == []


def test_an_old_session_is_touched_so_it_does_not_expire(app, client, sign_in, writes):
    sign_in(client)
    writes.clear()
    app.config["SESSION_TOUCH_EVERY"] = 0
    client.get("/")
    assert len(writes) == 1
    with client.session_transaction() as session:
        assert session["user"]  # still signed in: the touch kept everything
