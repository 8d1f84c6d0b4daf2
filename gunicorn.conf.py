"""gunicorn's settings for this app: ``gunicorn -c gunicorn.conf.py 'app:create_app()'``, as
./env.sh runs it (gunicorn also reads ./gunicorn.conf.py by itself when started here).

``forwarded_allow_ips``: the proxies whose ``X-Forwarded-Proto`` gunicorn believes, from
FORWARDED_ALLOW_IPS (config.py), none by default. gunicorn's own default believes 127.0.0.1
and ::1, so any local client could make the app build https:// redirect URIs and mark its
cookies Secure.

``limit_request_line``: gunicorn's maximum, so that a request line over the app's own limit
(4,094 bytes, gunicorn's default) reaches the app and is refused in its words: the API's JSON
under /api/ (mailer/web/request_line.py).
"""
# Every top-level name here is read as a gunicorn setting ("config" is one): hence the
# underscores.
import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent))  # config.py, from any folder

import config as _config  # noqa: E402

try:
    _settings = _config.server_settings()
except _config.ConfigError as _exc:  # one clear line, no traceback
    _sys.exit(f"Configuration error: {_exc}")

forwarded_allow_ips = ",".join(_settings["FORWARDED_ALLOW_IPS"])  # "": nobody's is believed
limit_request_line = 8190
