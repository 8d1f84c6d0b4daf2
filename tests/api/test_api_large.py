"""A 60 MB attachment through the API, the app under gunicorn and a real worker, each a process
of its own whose resident memory is sampled the whole time: neither grows by more than a small
part of the file (Werkzeug spools the upload to a temporary file of the request, the app streams
it from there into the sender's mailbox draft a chunk at a time, the worker only sends that
draft)."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import psutil
import pytest
import requests

from app_fixtures import _free_port
from automation.automation_support import inbox_subjects
from e2e.test_startup import GUNICORN, ROOT, clean_env
from mailer.web.api.keys import ApiKeys
from mailer.sending.store import FileStore

from api.api_support import ALEX, MB, SALES, bearer, wait_for_state
from api.conftest import SENDERS

BOUND = 25 * MB  # growth allowed to each process: well under the 60 MB file


class Peak:
    """The highest RSS of a process and its children, sampled every 20 ms in a thread."""

    def __init__(self, pid: int):
        self.process, self.peak, self._stop = psutil.Process(pid), 0, threading.Event()
        self.baseline = self.rss()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def rss(self) -> int:
        try:
            family = [self.process, *self.process.children(recursive=True)]
            return max(p.memory_info().rss for p in family)
        except psutil.Error:
            return 0

    def _sample(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.rss())

    def growth(self) -> int:
        self._stop.set()
        self.thread.join()
        return self.peak - self.baseline


@pytest.fixture
def gunicorn_app(emu, api_env, tmp_path):
    port = _free_port()
    log = open(tmp_path / "gunicorn.log", "w")
    process = subprocess.Popen(
        [str(GUNICORN), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
         "--timeout", "300", "app:create_app()"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True, env=clean_env(**{k: v for k, v in api_env.items()
                                                 if k not in ("PATH", "HOME")}))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(url + "/api/v1/openapi.json", timeout=2).close()
            break
        except requests.RequestException:
            assert process.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)
    yield url, process
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=20)
    log.close()


@pytest.mark.slow
def test_a_60_mb_attachment_through_the_api_with_memory_bounded(emu, gunicorn_app, workers,
                                                                api_env, runtime, tmp_path):
    for user in emu.state.directory.users.values():
        user.max_message_size = 150 * MB  # as an admin may raise Exchange's 35 MB
    url, app_process = gunicorn_app
    store = FileStore(f"{api_env['APP_STATE_DIR']}/api-keys", ttl=3600)
    key = ApiKeys(store).create("large", SENDERS.split(","), "tests")[0]
    worker = workers()
    big = tmp_path / "dataset.bin"
    with open(big, "wb") as out:
        for i in range(60):
            out.write(os.urandom(MB))
    http = requests.Session()
    warm = http.post(f"{url}/api/v1/messages", headers=bearer(key), timeout=60,
                     json={"from": SALES, "to": [ALEX], "subject": "API: warm-up", "text": "w"})
    assert warm.status_code == 202, warm.text
    assert wait_for_state(http, url + warm.headers["Location"], key, ("sent", "failed"))[
        "state"] == "sent"
    app_peak, worker_peak = Peak(app_process.pid), Peak(worker.pid)
    with open(big, "rb") as body:
        answer = http.post(f"{url}/api/v1/messages", headers=bearer(key), timeout=300,
                           data={"message": '{"from": "%s", "to": ["%s"], "subject": '
                                            '"API: 60 MB", "text": "attached"}' % (SALES, ALEX)},
                           files={"attachments": ("dataset.bin", body)})
    assert answer.status_code == 202, answer.text
    done = wait_for_state(http, url + answer.headers["Location"], key, ("sent", "failed"), 300)
    app_growth, worker_growth = app_peak.growth(), worker_peak.growth()
    http.close()
    print(f"\n60 MB through the API: app RSS +{app_growth / MB:.1f} MB, "
          f"worker RSS +{worker_growth / MB:.1f} MB")
    assert done["state"] == "sent" and done["plan"] == "draft", done
    assert inbox_subjects(runtime, ALEX, "API: 60") == ["API: 60 MB"]
    assert app_growth < BOUND, f"the app grew by {app_growth / MB:.1f} MB"
    assert worker_growth < BOUND, f"the worker grew by {worker_growth / MB:.1f} MB"
