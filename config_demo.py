"""Demo mode's two readers, for config.py: what the running emulator wrote for its clients, and
the secret key generated once and kept for later runs. Not configuration: nothing here reads
the environment.
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from config_types import ConfigError

DEMO_APP_FILE = "demo-app.json"
# The demo tenant's mailboxes automation may send as when AUTOMATION_SENDERS is not set: the
# Sales shared mailbox, and the demo admin's own (she holds Mailer.Admin: a test mail to
# herself from the admin page's curl line arrives where she reads it).
DEMO_AUTOMATION_SENDERS = "sales@contoso.example,admin@contoso.example"


def demo_settings(state_dir: Path) -> dict:
    """What the running emulator wrote for its clients (see emulator/server.py)."""
    path = state_dir / DEMO_APP_FILE
    hint = "demo mode needs the emulator: run ./env.sh (or ./env.sh emulator in another terminal)"
    if not path.is_file():
        raise ConfigError(f"{hint}; {path} not found (or set CLIENT_ID and CLIENT_SECRET)")
    try:
        demo = json.loads(path.read_text())
        settings = {"CLIENT_ID": demo["client_id"], "CLIENT_SECRET": demo["client_secret"],
                    "AUTHORITY": demo["authority"], "GRAPH_ENDPOINT": demo["graph_endpoint"],
                    "CA_FILE": demo["ca_file"], "DEMO_PAGES_URL": demo.get("pages_url"),
                    "DEMO_API_URL": demo.get("api_url")}
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path} is unreadable ({exc}): restart the emulator") from None
    if not Path(settings["CA_FILE"]).is_file():
        raise ConfigError(f"the emulator's CA {settings['CA_FILE']} is missing: restart the emulator")
    return settings


def demo_secret_key(app_dir: Path) -> str:
    """Demo mode only: a random key made on first start and kept (mode 600) for later runs.

    Every worker of every instance on this host must end with the same key, or a session
    cookie signed by one is refused by the next (signed out, CSRF "missing"). gunicorn starts
    its workers at once, so the key is written whole to a file of its own and then linked into
    place, which fails if another process linked first: that one's key is then read.
    """
    path = app_dir / "secret-key"
    if path.is_file() and len(path.read_text().strip()) >= 32:
        return path.read_text().strip()
    app_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    draft = app_dir / f".secret-key.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    try:
        os.link(draft, path)
    except FileExistsError:  # another worker was first: its key is complete and is the key
        key = path.read_text().strip()
    finally:
        draft.unlink()
    return key
