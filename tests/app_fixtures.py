"""Fixtures for the app: built through its factory, signed in through the real emulator.

Loaded for every test by ``pytest_plugins = ["app_fixtures"]`` in tests/conftest.py.

    app_config        settings for create_app(): the emulator's demo app, temp folders
    app, client       the Flask app (with a worker of its task queue in this process, unless
                      ``app_worker`` says False) and its test client (MSAL still talks to the
                      emulator over TLS)
    sign_in           sign_in(client, username=ADELE, scopes=None) -> the signed-in user dict
    live_app          the app served over real loopback HTTP (werkzeug, a thread): .url, .app
    live_sign_in      live_sign_in(username=ADELE, scopes=None) -> a signed-in requests.Session
    redis_server      the URL of a real redis-server started for this test session
    chromium, page    Debian's Chromium via Playwright; a fresh context and page per test
    console_errors    console errors and CSP violations on the app's pages, collected per test
    browser_sign_in   browser_sign_in(page, username=ADELE) signs in through the real pages
"""
from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import threading
import time

import pytest
import requests
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from app import create_app
from emulator.directory import DEMO_PASSWORD
from helpers.signin import sign_in_with_requests

ADELE = "adele@contoso.example"  # a work account
SAM = "sam.taylor@outlook.example"  # a personal Microsoft account
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def app_config(emu, tmp_path):
    """Everything create_app needs, explicit: nothing is read from the environment."""
    demo = emu.client_config()
    return {
        "CLIENT_ID": demo["client_id"], "CLIENT_SECRET": demo["client_secret"],
        "AUTHORITY": demo["authority"], "GRAPH_ENDPOINT": demo["graph_endpoint"],
        "CA_FILE": demo["ca_file"], "DEMO_PAGES_URL": demo["pages_url"],
        "SECRET_KEY": secrets.token_urlsafe(32), "APP_STATE_DIR": str(tmp_path / "app"),
        "SESSION_DIR": str(tmp_path / "sessions"), "DRAFT_DIR": str(tmp_path / "drafts"),
        "HTTP_TIMEOUT": 10, "TRUSTED_HOSTS": "localhost 127.0.0.1",  # the test client, live_app
    }


class ClosingTestClient(FlaskClient):
    """Flask's test client, closing the temporary file a large request body was spooled into.

    Werkzeug writes a multipart body over 500 KB to a TemporaryFile and ties closing it to
    response.close() only when it follows redirects; left open, it is a ResourceWarning.
    The app has read (or drained, after_request) the body by the time open() returns.
    """

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        response.request.input_stream.close()
        return response


@pytest.fixture
def app_worker():
    """Whether the app gets a worker in this process (a module whose workers are processes of
    their own, "on other hosts", overrides it with False)."""
    return True


@pytest.fixture
def app(app_config, emu, app_worker):
    """The app, and a worker of its task queue in threads of this process: a send is a job
    that a worker runs (mailer/delivery/), as ./env.sh runs one beside the app."""
    app = create_app(app_config, environ={})
    app.test_client_class = ClosingTestClient
    emu.state.add_redirect_uri("http://localhost/auth/callback")  # the test client's host
    emu.state.add_redirect_uri("http://localhost/")
    stop_worker = app.extensions["mailer"]["delivery"].queue.start_worker(4) if app_worker \
        else (lambda: None)
    yield app
    stop_worker()
    app.extensions["mailer"]["http"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def _finish(auth_uri: str, username: str, consent: bool = True) -> dict:
    """Answer the emulator's pages; return what Microsoft sends to the redirect URI."""
    browser = requests.Session()
    browser.trust_env = False
    try:
        return sign_in_with_requests(auth_uri, username, DEMO_PASSWORD, session=browser,
                                     consent=consent).params
    finally:
        browser.close()


@pytest.fixture
def sign_in():
    """sign_in(client, username, scopes=None): the test client is signed in afterwards."""

    def run(client, username: str = ADELE, scopes: list[str] | None = None,
            consent: bool = True):
        with client.session_transaction() as session:
            # More permissions go to the one signed in (/login hints them): someone else asks
            # them after signing out, as a person does.
            signed_in = (session.get("user") or {}).get("username", username)
            if scopes and signed_in.lower() != username.lower():
                session.clear()
        query = {"scopes": " ".join(scopes)} if scopes else {}
        response = client.get("/login", query_string=query)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        params = _finish(response.location, username, consent)
        response = client.get("/auth/callback", query_string=params)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        with client.session_transaction() as session:
            return dict(session.get("user") or {})

    return run


def _closing(app):
    """The app with its response always closed, even when werkzeug's dev server skips that
    after a browser dropped the connection mid-answer (a static file then stayed open and its
    ResourceWarning failed whichever test was running): the generator's finally closes it."""
    def wsgi(environ, start_response):
        inner = app(environ, start_response)

        def body():
            try:
                yield from inner
            finally:
                if hasattr(inner, "close"):
                    inner.close()
        return body()
    return wsgi


class LiveApp:
    """The app behind werkzeug's threaded server on a free loopback port."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, _closing(app), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def session(self) -> requests.Session:
        http = requests.Session()
        http.trust_env = False
        return http

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def live_app(app, emu):
    live = LiveApp(app)
    emu.state.add_redirect_uri(f"{live.url}/auth/callback")
    emu.state.add_redirect_uri(f"{live.url}/")  # where sign-out comes back to
    live.thread.start()
    yield live
    live.stop()


@pytest.fixture
def live_sign_in(live_app):
    """live_sign_in(username, scopes=None) -> a requests.Session signed in to the live app."""
    opened = []

    def run(username: str = ADELE, scopes: list[str] | None = None) -> requests.Session:
        http = live_app.session()
        opened.append(http)
        query = {"scopes": " ".join(scopes)} if scopes else {}
        response = http.get(f"{live_app.url}/login", params=query, allow_redirects=False)
        assert response.status_code == 302, response.text[:500]
        params = _finish(response.headers["Location"], username)
        response = http.get(f"{live_app.url}/auth/callback", params=params, allow_redirects=False)
        assert response.status_code == 302, response.text[:2000]
        return http

    yield run
    for http in opened:
        http.close()


def _missing(what: str) -> None:
    """Fail, never skip: a test that did not run must not read as passed. `./env.sh test`
    (and .ci/run) install what the tests need."""
    pytest.fail(f"{what}: run the tests with ./env.sh test, which installs it")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """redis://127.0.0.1:<port>/0 of a redis-server this session starts (skip if none)."""
    binary = shutil.which("redis-server")
    if binary is None:
        _missing("redis-server is not on PATH: the Redis session backend is not tested")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path_factory.mktemp("redis"))],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def chromium():
    """Debian's /usr/bin/chromium through Playwright (its own browser download fails offline).

    Module-scoped: Playwright's sync API keeps an event loop running in this thread while it is
    open, which would break later tests that call asyncio.run() (the msgraph SDK tests).
    """
    if shutil.which("/usr/bin/chromium") is None:
        _missing("/usr/bin/chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser context (no cookies) and page; a phone-sized viewport is a parameter away."""
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def answer_sign_in_pages(page, app_url: str, username: str = ADELE,
                         password: str = DEMO_PASSWORD, consent: bool = True) -> None:
    """Answer the emulator's pages (picker, username, password, consent) until back at the app."""
    for _ in range(8):
        page.wait_for_load_state()
        if page.url.startswith(app_url):
            return
        kind = page.get_attribute("main[data-page]", "data-page")
        if kind == "picker":
            tile = page.locator(f"[data-test-id='{username}']")
            (tile if tile.count() else page.locator("#otherTile")).click()
        elif kind == "username":
            page.fill("[name=loginfmt]", username)
            page.click("#idSIButton9")
        elif kind == "password":
            page.fill("[name=passwd]", password)
            page.click("#idSIButton9")
        elif kind == "consent":
            page.click("#idSIButton9" if consent else "#idBtn_Back")
        else:
            raise AssertionError(f"unexpected sign-in page {kind}: {page.inner_text('body')[:300]}")
    raise AssertionError("the sign-in never came back to the app")


def answer_consent_window(popup, app_url: str, username: str = ADELE) -> None:
    """The emulator's pages in a consent window (consent-popup.js), until the window is back at
    the app or closed itself there."""
    try:
        answer_sign_in_pages(popup, app_url, username)
    except Exception:  # noqa: BLE001 - Playwright's error for a page that closed meanwhile
        if not popup.is_closed():
            raise


@pytest.fixture
def console_errors(page, live_app):
    """Console errors and CSP violations on the app's own pages (there should be none)."""
    errors = []

    def record(message):
        if message.type == "error" and message.location.get("url", "").startswith(live_app.url):
            errors.append(f"{message.text} ({message.location['url']})")

    page.on("console", record)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


@pytest.fixture
def browser_sign_in(live_app):
    """browser_sign_in(page, username, consent=True): from the landing page to the dashboard,
    answering the emulator's real pages (picker, username, password, consent) with clicks."""

    def run(page, username: str = ADELE, password: str = DEMO_PASSWORD, consent: bool = True,
            start: str = "/"):
        page.goto(live_app.url + start)
        if start == "/":
            page.click("#sign-in")
        answer_sign_in_pages(page, live_app.url, username, password, consent)

    return run
