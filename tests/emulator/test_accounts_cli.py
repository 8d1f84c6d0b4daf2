"""``python -m emulator accounts --json``: what a script needs to sign in, redirect URIs included."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def accounts(tmp_path, *args, env_port="5000"):
    out = subprocess.run([sys.executable, "-m", "emulator", "--state-dir", str(tmp_path), *args,
                          "accounts", "--json"], cwd=ROOT, capture_output=True, text=True,
                         check=True, timeout=60, env={"PATH": "/usr/bin:/bin", "PORT": env_port})
    return json.loads(out.stdout)


def test_json_lists_the_registrations_redirect_and_post_logout_uris(tmp_path):
    data = accounts(tmp_path, env_port="5123")
    app = data["app"]
    assert app["redirect_uris"] == [
        "http://127.0.0.1:5123/auth/callback", "http://127.0.0.1:5123/",
        "http://127.0.0.1:5123/admin/consent/callback",
        "http://localhost:5123/auth/callback", "http://localhost:5123/",
        "http://localhost:5123/admin/consent/callback"]
    assert app["post_logout_redirect_uris"] == ["http://127.0.0.1:5123/", "http://localhost:5123/"]
    assert data["cli_app"]["public_client"] is True
    admins = [u["username"] for u in data["users"] if u["is_admin"]]
    assert admins == ["admin@contoso.example"]
    roles = {u["username"]: u["app_roles"] for u in data["users"] if u["app_roles"]}
    assert roles == {"admin@contoso.example": ["Mailer.Admin"],
                     "megan@contoso.example": ["Mailer.Sender"]}


def test_redirect_uri_option_is_reflected(tmp_path):
    data = accounts(tmp_path, "--redirect-uri", "https://app.example/cb")
    assert data["app"]["redirect_uris"] == ["https://app.example/cb"]
