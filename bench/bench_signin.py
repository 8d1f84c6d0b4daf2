"""Sign-in round trip: through the app (login -> callback -> profile) vs bare MSAL, same emulator.

Both sides drive the same emulator sign-in pages with the same page driver, from a fresh browser
session each time (no single sign-on), then fetch the profile from Graph:
  app:  GET /login -> pages -> GET /auth/callback (the app redeems the code with MSAL) -> GET /profile
  MSAL: initiate_auth_code_flow -> pages -> acquire_token_by_auth_code_flow -> GET /v1.0/me
The app side also pays for its server-side session store, the encrypted token cache and HTML.
Runs alternate between the two so that machine noise hits both alike.

    python bench/bench_signin.py [--rounds 30]
"""
from __future__ import annotations

import argparse
import warnings

import msal
import requests

from harness import browser, print_table, stack, summary, timed

from helpers.signin import sign_in_with_requests

USER = "adele@contoso.example"
# The app keeps MSAL's default query response mode (see mailer/identity/service.py); so does this side.
warnings.filterwarnings("ignore", message="response_mode='form_post'")


def app_round_trip(app_url: str) -> None:
    with browser() as http:
        response = http.get(f"{app_url}/login", allow_redirects=False, timeout=10)
        params = sign_in_with_requests(response.headers["Location"], USER, session=http).params
        response = http.get(f"{app_url}/auth/callback", params=params, allow_redirects=False,
                            timeout=10)
        assert response.status_code == 302, response.text[:300]
        profile = http.get(f"{app_url}/profile", timeout=10)
        assert profile.status_code == 200 and "Adele" in profile.text, profile.status_code


def msal_round_trip(cca: msal.ConfidentialClientApplication, redirect_uri: str,
                    graph: str, https: requests.Session) -> None:
    flow = cca.initiate_auth_code_flow(["User.Read"], redirect_uri=redirect_uri,
                                       prompt="select_account")
    with browser() as http:
        params = sign_in_with_requests(flow["auth_uri"], USER, session=http).params
    result = cca.acquire_token_by_auth_code_flow(flow, params)
    assert "access_token" in result, result
    me = https.get(f"{graph}/me", headers={"Authorization": f"Bearer {result['access_token']}"},
                   timeout=10)
    assert me.status_code == 200, me.text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with stack() as s:
        cfg = s.config
        https = s.https()
        cca = msal.ConfidentialClientApplication(
            cfg["client_id"], client_credential=cfg["client_secret"], authority=cfg["authority"],
            instance_discovery=False, http_client=https)
        redirect_uri = f"{s.app_url}/auth/callback"
        run_msal = lambda: msal_round_trip(cca, redirect_uri, cfg["graph_endpoint"], https)  # noqa: E731
        run_app = lambda: app_round_trip(s.app_url)  # noqa: E731
        for _ in range(3):  # warm up: consent, connection pools, imports
            run_app()
            run_msal()
        app_t, msal_t = [], []
        for _ in range(args.rounds):
            app_t.append(timed(run_app))
            msal_t.append(timed(run_msal))
    a, m = summary(app_t), summary(msal_t)
    ms = lambda v: f"{v * 1000:.1f}"  # noqa: E731
    print_table(
        f"Sign-in round trip, {args.rounds} rounds each (ms)",
        ["path", "median", "p90", "min", "mean"],
        [["app: login -> callback -> profile", ms(a["median"]), ms(a["p90"]), ms(a["min"]),
          ms(a["mean"])],
         ["bare MSAL: flow -> pages -> token -> /me", ms(m["median"]), ms(m["p90"]),
          ms(m["min"]), ms(m["mean"])]])
    print(f"\n  ratio app / bare MSAL (median): {a['median'] / m['median']:.2f}")


if __name__ == "__main__":
    main()
