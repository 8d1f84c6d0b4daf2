"""config.load_config: defaults, conversions, demo mode, and one clear line per misconfiguration."""
from __future__ import annotations

import json
import os
import re
import stat

import pytest
from cryptography.fernet import Fernet

import config
import config_demo
from config import ConfigError, load_config

SECRET = "s" * 40
MS = {"CLIENT_ID": "11111111-2222-3333-4444-555555555555", "CLIENT_SECRET": "value~secret",
      "SECRET_KEY": SECRET}


@pytest.fixture
def demo_dir(tmp_path):
    """An emulator state folder as the running emulator leaves it."""
    folder = tmp_path / "emulator"
    folder.mkdir()
    ca = folder / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    (folder / "demo-app.json").write_text(json.dumps({
        "client_id": "demo-client", "client_secret": "demo-secret",
        "authority": "https://127.0.0.1:5001/common", "graph_endpoint": "https://127.0.0.1:5001/v1.0",
        "ca_file": str(ca), "pages_url": "http://127.0.0.1:5002", "api_url": "https://127.0.0.1:5001",
    }))
    return folder


def ms(**extra):
    return {**MS, "APP_STATE_DIR": "/nonexistent-app-state", "TRUSTED_HOSTS": "mail.example.org",
            **extra}


def test_microsoft_defaults():
    cfg = load_config(ms())
    assert cfg["DEMO_MODE"] is False
    assert cfg["AUTHORITY"] == "https://login.microsoftonline.com/common"
    assert cfg["GRAPH_ENDPOINT"] == "https://graph.microsoft.com/v1.0"
    assert cfg["SCOPES"] == ["User.Read"]
    assert cfg["REDIRECT_PATH"] == "/auth/callback" and cfg["REDIRECT_URI"] is None
    assert cfg["TRUST_PROXY"] == 0 and cfg["REDIS_URL"] is None and cfg["CA_FILE"] is None
    assert cfg["HTTP_TIMEOUT"] == 30.0 and cfg["PORT"] == 5000 and cfg["GRAPH_BATCH"] is True
    assert cfg["MAX_FILE_SIZE"] == 150 * 1024 * 1024
    assert cfg["MAX_MESSAGE_SIZE"] == 35 * 1024 * 1024
    assert cfg["SESSION_DIR"].endswith("/nonexistent-app-state/sessions")
    assert cfg["DRAFT_DIR"].endswith("/nonexistent-app-state/drafts")


def test_relative_paths_are_taken_from_the_project_folder():
    cfg = load_config(ms(APP_STATE_DIR=".local/app", EMULATOR_STATE_DIR=".local/emulator"))
    assert cfg["SESSION_DIR"] == str(config.ROOT / ".local/app/sessions")
    assert cfg["EMULATOR_STATE_DIR"] == str(config.ROOT / ".local/emulator")


def test_conversions():
    cfg = load_config(ms(SCOPES="User.Read, Mail.Send  Mail.Send.Shared", TRUST_PROXY="true",
                         HTTP_TIMEOUT="2.5", PORT="8080", MAX_FILE_SIZE="3 MB",
                         MAX_MESSAGE_SIZE="1048576", AUTHORITY="https://login.microsoftonline.com/consumers/",
                         REDIRECT_URI="https://mail.example.org/signin/back", GRAPH_BATCH="Off"))
    assert cfg["SCOPES"] == ["User.Read", "Mail.Send", "Mail.Send.Shared"]
    assert cfg["GRAPH_BATCH"] is False
    assert cfg["TRUST_PROXY"] == 1 and cfg["HTTP_TIMEOUT"] == 2.5 and cfg["PORT"] == 8080
    assert cfg["MAX_FILE_SIZE"] == 3 * 1024 * 1024 and cfg["MAX_MESSAGE_SIZE"] == 1048576
    assert cfg["AUTHORITY"] == "https://login.microsoftonline.com/consumers"
    assert cfg["REDIRECT_PATH"] == "/signin/back"  # the callback route follows REDIRECT_URI


def test_blank_values_count_as_unset():
    cfg = load_config(ms(AUTHORITY="  ", REDIS_URL=""))
    assert cfg["AUTHORITY"] == "https://login.microsoftonline.com/common" and cfg["REDIS_URL"] is None


def test_token_cache_key_is_derived_from_secret_key_unless_given():
    derived = load_config(ms())["TOKEN_CACHE_KEY"]
    assert derived == load_config(ms())["TOKEN_CACHE_KEY"]  # stable across restarts
    assert derived != load_config(ms(SECRET_KEY="t" * 40))["TOKEN_CACHE_KEY"]
    Fernet(derived[0])  # a valid Fernet key
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    assert load_config(ms(TOKEN_CACHE_KEY=f"{new}, {old}"))["TOKEN_CACHE_KEY"] == [
        new.encode(), old.encode()]


MISCONFIGURATIONS = [
    ({"CLIENT_ID": "x", "SECRET_KEY": SECRET}, "CLIENT_ID is set but CLIENT_SECRET is not"),
    ({"CLIENT_SECRET": "x", "EMULATOR_STATE_DIR": "/nowhere"},
     "CLIENT_SECRET is set but CLIENT_ID is not"),
    ({"CLIENT_ID": "x", "CLIENT_SECRET": "y"}, "SECRET_KEY is not set"),
    (ms(SECRET_KEY="short"), "SECRET_KEY is too short"),
    (ms(AUTHORITY="http://login.microsoftonline.com/common"), "AUTHORITY must be an https:// URL"),
    (ms(AUTHORITY="login.microsoftonline.com/common"), "AUTHORITY must be an https:// URL"),
    (ms(AUTHORITY="https://login.microsoftonline.com"), "AUTHORITY needs a tenant"),
    (ms(GRAPH_ENDPOINT="http://graph.microsoft.com/v1.0"), "GRAPH_ENDPOINT must be an https:// URL"),
    (ms(REDIRECT_URI="http://mail.example.org/auth/callback"), "REDIRECT_URI must use https"),
    (ms(REDIRECT_URI="/auth/callback"), "REDIRECT_URI must be an absolute URL"),
    (ms(REDIRECT_URI="https://a.example/cb?x=1"), "must not have a query"),
    (ms(REDIRECT_URI="https://a.example/cb", REDIRECT_PATH="/other"), "disagrees with REDIRECT_URI"),
    (ms(REDIRECT_PATH="auth/callback"), "REDIRECT_PATH must be a path"),
    (ms(SCOPES="openid User.Read"), "SCOPES must not list openid"),
    (ms(SCOPES=" , "), "SCOPES is empty"),
    (ms(TRUST_PROXY="maybe"), "TRUST_PROXY must be on, off or a number"),
    (ms(GRAPH_BATCH="sometimes"), "GRAPH_BATCH must be on or off: got 'sometimes'"),
    (ms(REDIS_URL="localhost:6379"), "REDIS_URL must start with redis://"),
    (ms(TOKEN_CACHE_KEY="not-a-key"), "TOKEN_CACHE_KEY is not a Fernet key"),
    (ms(CA_FILE="/no/such/ca.pem"), "CA_FILE /no/such/ca.pem does not exist"),
    (ms(HTTP_TIMEOUT="soon"), "HTTP_TIMEOUT must be a number"),
    (ms(HTTP_TIMEOUT="0"), "HTTP_TIMEOUT must be between"),
    (ms(PORT="70000"), "PORT must be between 1 and 65535"),
    (ms(MAX_FILE_SIZE="big"), "MAX_FILE_SIZE must be a size like 35MB"),
    (ms(MAX_MESSAGE_SIZE="0MB"), "MAX_MESSAGE_SIZE must be a size"),
    ({"EMULATOR_STATE_DIR": "/nowhere"}, "demo mode needs the emulator: run ./env.sh"),
    (ms(TRUSTED_HOSTS=""), "set REDIRECT_URI (https://your.host/auth/callback) or TRUSTED_HOSTS"),
    (ms(TRUSTED_HOSTS="https://mail.example.org"), "TRUSTED_HOSTS lists host names"),
    (ms(TRUSTED_HOSTS="mail.example.org:443"), "TRUSTED_HOSTS lists host names"),
]


@pytest.mark.parametrize("environ, message", MISCONFIGURATIONS,
                         ids=[m for _, m in MISCONFIGURATIONS])
def test_misconfiguration_is_one_clear_line(environ, message):
    with pytest.raises(ConfigError) as info:
        load_config(environ)
    text = str(info.value)
    assert message in text
    assert "\n" not in text


def test_localhost_redirect_uri_may_be_http():
    cfg = load_config(ms(REDIRECT_URI="http://localhost:5000/auth/callback"))
    assert cfg["REDIRECT_URI"] == "http://localhost:5000/auth/callback"


def test_demo_mode_reads_the_emulator_file_and_keeps_a_generated_secret_key(demo_dir, tmp_path):
    app_dir = tmp_path / "app"
    env = {"EMULATOR_STATE_DIR": str(demo_dir), "APP_STATE_DIR": str(app_dir),
           "AUTHORITY": "https://login.microsoftonline.com/common"}  # the emulator's wins
    cfg = load_config(env)
    assert cfg["DEMO_MODE"] is True
    assert (cfg["CLIENT_ID"], cfg["CLIENT_SECRET"]) == ("demo-client", "demo-secret")
    assert cfg["AUTHORITY"] == "https://127.0.0.1:5001/common"
    assert cfg["GRAPH_ENDPOINT"] == "https://127.0.0.1:5001/v1.0"
    assert cfg["CA_FILE"] == str(demo_dir / "ca.pem")
    assert cfg["DEMO_PAGES_URL"] == "http://127.0.0.1:5002"
    key_file = app_dir / "secret-key"
    assert key_file.read_text() == cfg["SECRET_KEY"] and len(cfg["SECRET_KEY"]) >= 32
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert load_config(env)["SECRET_KEY"] == cfg["SECRET_KEY"]  # kept, not remade


def test_demo_mode_uses_an_explicit_secret_key(demo_dir, tmp_path):
    cfg = load_config({"EMULATOR_STATE_DIR": str(demo_dir), "APP_STATE_DIR": str(tmp_path),
                       "SECRET_KEY": SECRET})
    assert cfg["SECRET_KEY"] == SECRET and not (tmp_path / "secret-key").exists()


def test_demo_mode_lets_automation_send_as_sales_and_the_admin_unless_told_otherwise(
        demo_dir, tmp_path):
    cfg = load_config({"EMULATOR_STATE_DIR": str(demo_dir), "APP_STATE_DIR": str(tmp_path)})
    assert cfg["AUTOMATION_SENDERS"] == ["sales@contoso.example", "admin@contoso.example"]
    assert cfg["AUTOMATION_TENANT"] == "contoso.example"
    chosen = load_config({"EMULATOR_STATE_DIR": str(demo_dir), "APP_STATE_DIR": str(tmp_path),
                          "AUTOMATION_SENDERS": "adele@contoso.example"})
    assert chosen["AUTOMATION_SENDERS"] == ["adele@contoso.example"]
    assert load_config(ms())["AUTOMATION_SENDERS"] == []  # never outside demo mode


def test_demo_mode_with_a_broken_emulator_file(demo_dir):
    (demo_dir / "demo-app.json").write_text("{not json")
    with pytest.raises(ConfigError, match="unreadable .*restart the emulator"):
        load_config({"EMULATOR_STATE_DIR": str(demo_dir), "SECRET_KEY": SECRET})


def test_demo_mode_with_the_emulator_ca_gone(demo_dir):
    (demo_dir / "ca.pem").unlink()
    with pytest.raises(ConfigError, match="CA .* is missing: restart the emulator"):
        load_config({"EMULATOR_STATE_DIR": str(demo_dir), "SECRET_KEY": SECRET})


def test_no_secret_has_a_published_default():
    for key in ("SECRET_KEY", "CLIENT_SECRET", "TOKEN_CACHE_KEY", "CLIENT_ID"):
        assert key not in config.DEFAULTS
    assert "secret" not in json.dumps(config.DEFAULTS).lower()


def test_outside_demo_mode_the_redirect_uri_never_follows_an_unlisted_host():
    """Without REDIRECT_URI the callback URL is built from the Host header: a list is needed."""
    with pytest.raises(ConfigError, match="forges"):
        load_config({**MS, "APP_STATE_DIR": "/nonexistent-app-state"})
    with pytest.raises(ConfigError, match="forges"):  # a proxy's X-Forwarded-Host is no better
        load_config({**MS, "APP_STATE_DIR": "/nonexistent-app-state", "TRUST_PROXY": "1"})
    fixed = load_config({**MS, "REDIRECT_URI": "https://mail.example.org/auth/callback"})
    assert fixed["TRUSTED_HOSTS"] is None
    listed = load_config(ms(TRUSTED_HOSTS="mail.example.org, .example.net bücher.example"))
    assert listed["TRUSTED_HOSTS"] == ["mail.example.org", ".example.net", "xn--bcher-kva.example"]


def test_demo_mode_needs_neither(demo_dir, tmp_path):
    cfg = load_config({"EMULATOR_STATE_DIR": str(demo_dir), "APP_STATE_DIR": str(tmp_path)})
    assert cfg["REDIRECT_URI"] is None and cfg["TRUSTED_HOSTS"] is None


def test_start_up_says_so_in_one_line(capsys):
    from app import create_app
    with pytest.raises(SystemExit):
        create_app(environ={**MS, "APP_STATE_DIR": "/nonexistent-app-state"})
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Configuration error: set REDIRECT_URI")


def test_tuning_settings_are_declared_checked_and_converted():
    cfg = load_config(ms(QUICK_SEND_WAIT="0", RETRY_MAX_ATTEMPTS="2", UPLOAD_CHUNK_SIZE="640KB",
                         DRAFT_MAX_AGE="3600", FORM_MEMORY="8MB"))
    assert cfg["QUICK_SEND_WAIT"] == 0.0 and cfg["RETRY_MAX_ATTEMPTS"] == 2
    assert cfg["UPLOAD_CHUNK_SIZE"] == 640 * 1024 and cfg["FORM_MEMORY"] == 8 * 1024 * 1024
    assert cfg["DRAFT_MAX_AGE"] == 3600.0
    assert cfg["DRAFT_MAX_SIZE"] == cfg["MAX_MESSAGE_SIZE"]  # unless set
    assert cfg["JOB_DIR"].endswith("/nonexistent-app-state/jobs")
    assert load_config(ms())["SENDMAIL_MARGIN"] == 512 * 1024


@pytest.mark.parametrize("environ, message", [
    (ms(UPLOAD_CHUNK_SIZE="1000"), "UPLOAD_CHUNK_SIZE: chunk size 1000 must be a positive multiple"),
    (ms(RETRY_MAX_ATTEMPTS="0"), "RETRY_MAX_ATTEMPTS must be between 1 and 20"),
    (ms(QUICK_SEND_WAIT="soon"), "QUICK_SEND_WAIT must be a number"),
    (ms(DRAFT_MAX_PER_USER="2.5"), "DRAFT_MAX_PER_USER must be a number"),
    (ms(FORM_MEMORY="lots"), "FORM_MEMORY must be a size like 35MB"),
    (ms(ROLE_CHECK_EVERY="7200"), "ROLE_CHECK_EVERY must be between 0 and 3600"),
    (ms(FORWARDED_ALLOW_IPS="proxy.example"), "FORWARDED_ALLOW_IPS lists IP addresses"),
    (ms(FORWARDED_ALLOW_IPS="10.0.0.1/8"), "got '10.0.0.1/8'"),
])
def test_a_wrong_tuning_setting_is_one_clear_line(environ, message):
    with pytest.raises(ConfigError, match=message):
        load_config(environ)


def test_gunicorn_believes_no_forwarded_header_unless_told_whose():
    assert config.server_settings({}) == {"FORWARDED_ALLOW_IPS": []}
    assert load_config(ms())["FORWARDED_ALLOW_IPS"] == []
    told = {"FORWARDED_ALLOW_IPS": "10.0.0.2, 192.168.0.0/16 ::1"}
    assert config.server_settings(told)["FORWARDED_ALLOW_IPS"] == [
        "10.0.0.2/32", "192.168.0.0/16", "::1/128"]
    assert config.server_settings({"FORWARDED_ALLOW_IPS": "*"})["FORWARDED_ALLOW_IPS"] == ["*"]


def test_every_service_setting_has_a_declared_default():
    """Services have no defaults of their own: every value they get has one here."""
    values = config.defaults()
    for name in ("MAX_RECIPIENTS", "SENDMAIL_MAX_REQUEST", "SENDMAIL_MARGIN", "SMALL_ATTACHMENT_MAX",
                 "UPLOAD_CHUNK_SIZE", "RETRY_MAX_ATTEMPTS", "RETRY_MAX_WAIT", "QUICK_SEND_WAIT",
                 "SEND_CONFIRM_TRIES", "SEND_CONFIRM_DELAY", "SEND_LEASE", "JOB_TTL",
                 "DRAFT_MAX_SIZE", "DRAFT_MAX_AGE", "DRAFT_MAX_PER_USER", "FORM_MEMORY",
                 "DRAIN_MAX", "SESSION_LIFETIME", "SESSION_TOUCH_EVERY", "TOKEN_LOCK_TIMEOUT"):
        assert values[name] is not None, name


def test_the_form_memory_holds_every_text_field_at_its_limit():
    """The body allows BODY_MAX characters, up to 4 UTF-8 bytes each: the form's memory must hold
    that and every other field at its limit (it was 5 MB, so a long non-ASCII body was refused)."""
    from mailer.web.forms import byte_caps
    assert config.defaults()["FORM_MEMORY"] >= sum(byte_caps().values())


def test_the_readme_lists_every_setting_as_declared():
    """README.md's configuration table is config.markdown_table(): the same settings, same words
    (regenerate it with ``python config.py``)."""
    readme = (config.ROOT / "README.md").read_text("utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([A-Z_]+)` \|", section, re.M))
    assert listed == set(config.ENV_KEYS)
    assert config.markdown_table() in section


def test_constants_are_defined_once():
    from mailer.identity import rules
    from mailer.web import auth
    assert auth.LOCAL_HOSTS is rules.LOCAL_HOSTS
    assert rules.RESERVED_SCOPES == {"openid", "profile", "offline_access"}  # MSAL's reserved set


def _key_for(app_dir, start, queue):
    start.wait()
    queue.put(config_demo.demo_secret_key(app_dir))


def test_workers_starting_together_agree_on_the_demo_secret_key(tmp_path):
    """gunicorn starts its workers at once: each must end with the one key kept on disk, or a
    cookie signed by one worker is refused by the next (signed out, CSRF token missing)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    for attempt in range(5):
        app_dir = tmp_path / f"app{attempt}"
        start, queue = context.Event(), context.Queue()
        workers = [context.Process(target=_key_for, args=(app_dir, start, queue))
                   for _ in range(8)]
        for worker in workers:
            worker.start()
        start.set()
        keys = {queue.get(timeout=30) for _ in workers}
        for worker in workers:
            worker.join(timeout=30)
        queue.close()
        assert keys == {(app_dir / "secret-key").read_text()}
        assert sorted(p.name for p in app_dir.iterdir()) == ["secret-key"]  # no drafts left
