"""``python -m emulator [serve|accounts|reset] ...``: run the emulator, print the demo accounts,
or forget the mail, subscriptions and sign-ins it kept across restarts."""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from urllib.parse import urlsplit

from .directory import CONSUMERS_TENANT_ID, DEMO_CLI_CLIENT_ID, DEMO_CLIENT_ID, demo_directory
from .state import load_or_create_secret

DEFAULT_STATE_DIR = os.path.join(".local", "emulator")


def default_redirect_uris(port: int) -> list[str]:
    """The demo app's callback, its home page (where sign-out returns) and its admin-consent
    callback, on both host names."""
    return [f"http://{host}:{port}{path}" for host in ("127.0.0.1", "localhost")
            for path in ("/auth/callback", "/", "/admin/consent/callback")]


def _accounts(state_dir: str, redirect_uris: list[str]) -> dict:
    from pathlib import Path

    secret = load_or_create_secret(Path(state_dir))
    directory = demo_directory(secret, redirect_uris)
    roles = directory.apps[DEMO_CLIENT_ID].user_roles
    users = []
    for user in directory.users.values():
        users.append({
            "username": user.user_principal_name,
            "password": user.password,
            "display_name": user.display_name,
            "tenant": user.tenant_id,
            "kind": "personal" if user.tenant_id == CONSUMERS_TENANT_ID else (
                "work" if user.kind == "user" else user.kind),
            "can_sign_in": user.password is not None,
            "is_admin": user.is_admin,
            "app_roles": list(roles.get(user.id, [])),  # the demo app's roles assigned to them
        })
    grants = [
        {"grantee": directory.users[g].user_principal_name,
         "mailbox": directory.users[m].user_principal_name, "rights": sorted(r)}
        for (g, m), r in directory.grants.items()
    ]
    app, cli = directory.apps[DEMO_CLIENT_ID], directory.apps[DEMO_CLI_CLIENT_ID]
    # Sign-out may return to any registered redirect URI; the demo app uses its home page.
    logout = app.post_logout_redirect_uris or [u for u in app.redirect_uris
                                                if urlsplit(u).path == "/"]
    return {"users": users, "grants": grants,
            "app": {"client_id": app.client_id, "client_secret": secret,
                    "display_name": app.display_name, "sign_in_audience": app.sign_in_audience,
                    "redirect_uris": list(app.redirect_uris),
                    "post_logout_redirect_uris": logout,
                    "application_permissions": list(app.app_roles)},
            "cli_app": {"client_id": cli.client_id, "display_name": cli.display_name,
                        "public_client": True, "redirect_uris": list(cli.redirect_uris)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("--state-dir", default=os.environ.get("EMULATOR_STATE_DIR", DEFAULT_STATE_DIR))
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the emulator (the default)")
    accounts = sub.add_parser("accounts", help="print the demo accounts and app registration")
    accounts.add_argument("--json", action="store_true")
    reset = sub.add_parser("reset", help="start clean: forget the kept mail, subscriptions and "
                                         "sign-ins (the CA, keys and demo app secret stay)")
    serve.add_argument("--no-persist", action="store_true",
                       default=os.environ.get("EMULATOR_PERSIST", "1") == "0",
                       help="keep nothing across restarts (EMULATOR_PERSIST=0)")
    serve.add_argument("--https-webhooks-only", action="store_true",
                       default=os.environ.get("EMULATOR_HTTPS_WEBHOOKS_ONLY", "0") == "1",
                       help="refuse http notification URLs, as Graph does (default: http to "
                            "loopback hosts is allowed, for the demo; EMULATOR_HTTPS_WEBHOOKS_ONLY=1)")
    reset.add_argument("--host", default=os.environ.get("EMULATOR_HOST", "127.0.0.1"))
    reset.add_argument("--api-port", type=int,
                       default=int(os.environ.get("EMULATOR_API_PORT", "5001")))
    for p in (parser, serve):
        p.add_argument("--host", default=os.environ.get("EMULATOR_HOST", "127.0.0.1"))
        p.add_argument("--api-port", type=int, default=int(os.environ.get("EMULATOR_API_PORT", "5001")))
        p.add_argument("--pages-port", type=int, default=int(os.environ.get("EMULATOR_PAGES_PORT", "5002")))
        p.add_argument("--redirect-uri", action="append", default=None,
                       help="a redirect URI of the demo app (repeatable)")
        p.add_argument("--access-token-lifetime", type=int, default=None,
                       help="seconds; default 60-90 minutes at random, as Microsoft")
        p.add_argument("--max-message-size", type=int,
                       default=int(os.environ["EMULATOR_MAX_MESSAGE_SIZE"])
                       if os.environ.get("EMULATOR_MAX_MESSAGE_SIZE") else None,
                       help="bytes, every mailbox's maximum message size (default 35 MB, "
                            "Exchange Online's; admins can raise it to 150 MB)")
        p.add_argument("--limit", action="append", default=[], metavar="NAME=VALUE",
                       help="a sending or throttling limit, e.g. messages_per_minute=3 "
                            "(repeatable; null: none; EMULATOR_LIMITS takes them as JSON)")
    args = parser.parse_args(argv)

    if args.command == "accounts":
        port = int(os.environ.get("PORT", "5000"))
        data = _accounts(args.state_dir, args.redirect_uri or default_redirect_uris(port))
        if args.json:
            print(json.dumps(data, indent=2))
        else:
            print("Demo accounts (password for all who can sign in: "
                  f"{next(u['password'] for u in data['users'] if u['password'])})")
            for u in data["users"]:
                print(f"  {u['username']:<34} {u['kind']:<9} {u['display_name']}"
                      + ("  (Global Administrator)" if u["is_admin"] else "")
                      + "".join(f"  (app role {r})" for r in u["app_roles"]))
            print("Mailbox rights:")
            for g in data["grants"]:
                print(f"  {g['grantee']} -> {g['mailbox']}: {', '.join(g['rights'])}")
        return 0

    if args.command == "reset":
        return _reset(args)

    from .graph.sending_limits import LimitError, parse_assignments, parse_settings
    from .server import Emulator

    try:
        raw = os.environ.get("EMULATOR_LIMITS", "").strip()
        limits = parse_settings(json.loads(raw)) if raw else {}
        limits.update(parse_assignments(args.limit) if args.limit else {})
    except (ValueError, LimitError) as exc:  # LimitError names the setting
        parser.error(f"limits (--limit / EMULATOR_LIMITS): {exc}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s emulator %(message)s")
    port = int(os.environ.get("PORT", "5000"))
    redirect_uris = args.redirect_uri or default_redirect_uris(port)
    emulator = Emulator(args.state_dir, host=args.host, api_port=args.api_port,
                        pages_port=args.pages_port, redirect_uris=redirect_uris,
                        access_token_lifetime=args.access_token_lifetime,
                        max_message_size=args.max_message_size,
                        persist=not getattr(args, "no_persist", False),
                        http_loopback_webhooks=not getattr(args, "https_webhooks_only", False))
    emulator.state.send_limits = limits
    emulator.start()
    print(f"Emulator API (HTTPS): {emulator.api_url}   sign-in pages (HTTP): {emulator.pages_url}",
          flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    emulator.stop()
    return 0


def _reset(args) -> int:
    """Empty a running emulator (if one answers on the configured port) and delete what is
    kept on disk, so the next start begins with empty mailboxes."""
    import ssl
    import urllib.request
    from pathlib import Path

    from .persistence import wipe

    ca = Path(args.state_dir) / "ca.pem"
    running = False
    if ca.exists():
        context = ssl.create_default_context(cafile=str(ca))
        url = f"https://{args.host}:{args.api_port}/_emulator/reset"
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="POST"),
                                        context=context, timeout=3):
                running = True
        except OSError:
            pass  # not running (or another program on the port): the files are enough
    existed = wipe(args.state_dir)
    print("Emulator state reset:"
          + (" the running emulator was emptied;" if running else "")
          + (" kept mail, subscriptions and sign-ins deleted" if existed
             else " nothing was kept") + f" ({args.state_dir}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
