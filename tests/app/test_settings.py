"""config.py's settings reach the services that use them, through create_app's wiring."""
from __future__ import annotations

from pathlib import Path

from helpers.compose import new_draft
from helpers.hostile import multipart, stored_fields

from app import create_app
from mailer.web.compose.services import EXTENSION
from mailer.web.forms import BODY_MAX


def test_every_tuning_setting_reaches_its_service(app_config, emu, tmp_path):
    app = create_app({**app_config, "MAX_RECIPIENTS": "7", "SENDMAIL_MARGIN": "0",
                      "SMALL_ATTACHMENT_MAX": "1MB", "DRAFT_MAX_SIZE": "2MB",
                      "DRAFT_MAX_AGE": "60", "DRAFT_MAX_PER_USER": "3", "SEND_CONFIRM_TRIES": "2",
                      "SEND_CONFIRM_DELAY": "0.5", "SEND_LEASE": "30", "JOB_TTL": "120",
                      "JOB_DIR": str(tmp_path / "my-jobs"), "RETRY_MAX_ATTEMPTS": "2",
                      "RETRY_MAX_WAIT": "5", "UPLOAD_CHUNK_SIZE": "640KB",
                      "SESSION_LIFETIME": "3600"}, environ={})
    try:
        mail = app.extensions[EXTENSION]
        assert (mail.limits.max_recipients, mail.limits.sendmail_margin,
                mail.limits.small_attachment_max) == (7, 0, 1024 * 1024)
        drafts = mail.drafts
        assert (drafts.max_draft, drafts.max_age, drafts.max_drafts_per_owner) == (
            2 * 1024 * 1024, 60, 3)
        engine = mail.rt.queue.engine
        assert (engine.confirm_tries, engine.confirm_delay, engine.lease_seconds) == (2, 0.5, 30)
        assert mail.rt.pace.lease == 30
        assert mail.rt.store.root == Path(tmp_path / "my-jobs") and mail.rt.store.ttl == 120
        graph = app.extensions["mailer"]["graph"](lambda: "token")
        assert (graph.retry.max_attempts, graph.retry.max_total_wait) == (2, 5)
        assert graph.chunk_size == 640 * 1024 and graph.timeout == app_config["HTTP_TIMEOUT"]
        assert app.permanent_session_lifetime.total_seconds() == 3600
    finally:
        app.extensions["mailer"]["http"].close()


def test_one_redis_client_serves_sessions_and_jobs(app_config, emu, redis_server):
    app = create_app({**app_config, "REDIS_URL": redis_server}, environ={})
    try:
        client = app.extensions["mailer"]["redis"]
        assert app.session_interface.client is client
        assert app.extensions[EXTENSION].rt.store.client is client
        pool = client.connection_pool.connection_kwargs
        assert (pool["socket_timeout"], pool["socket_connect_timeout"]) == (5, 2)
    finally:
        app.extensions["mailer"]["http"].close()


def test_the_longest_body_in_any_script_fits_the_default_form_memory(client, sign_in, app):
    """BODY_MAX characters of 4 UTF-8 bytes each: within the body's limit, so the form must
    hold it (with 5 MB of form memory it was refused as too large)."""
    sign_in(client)
    draft_id, token = new_draft(client)
    body = "😀" * BODY_MAX  # 16 MiB of UTF-8
    data, content_type = multipart([("csrf_token", token.encode(), None),
                                    ("subject", b"Long", None),
                                    ("body", body.encode(), None)])
    response = client.post(f"/compose/{draft_id}/autosave", data=data,
                           content_type=content_type, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert stored_fields(app, draft_id)["body"] == body
