"""What a restart must keep of the identity platform for signed-in apps to carry on: refresh
tokens, consents (a person's and an admin's, tenant-wide), application-permission grants and
personal accounts' opaque access tokens still valid. Codes, device codes and the sign-in pages'
own browser sessions are short-lived and are not kept: a browser signs in to them again.
"""
from __future__ import annotations

import time

from ..identity.grants import settings


def snapshot(state) -> dict:
    with state.lock:
        data = {
            "refresh_tokens": {token: dict(record)
                               for token, record in state.refresh_tokens.items()},
            "consents": [[user, client, sorted(names)]
                         for (user, client), names in state.consents.items()],
            "app_permission_grants": [[tenant, client, list(names)] for (tenant, client), names
                                      in state.directory.app_permission_grants.items()],
        }
        kept = settings(state)
        data["tenant_consents"] = [[tenant, client, sorted(names)] for (tenant, client), names
                                   in kept.tenant_consents.items()]
        data["revoked_before"] = dict(kept.revoked_before)
    tokens = state.tokens
    now = time.time()
    with tokens._lock:
        data["opaque_tokens"] = {token: claims for token, claims in tokens._opaque.items()
                                 if claims.get("exp", 0) > now}
    return data


def restore(state, data: dict) -> None:
    with state.lock:
        state.refresh_tokens.update(data.get("refresh_tokens", {}))
        for user, client, names in data.get("consents", []):
            state.consents[(user, client)] = set(names)
        if "app_permission_grants" in data:
            grants = state.directory.app_permission_grants
            grants.clear()  # what was revoked stays revoked
            for tenant, client, names in data["app_permission_grants"]:
                grants[(tenant, client)] = list(names)
        kept = settings(state)
        for tenant, client, names in data.get("tenant_consents", []):
            kept.tenant_consents[(tenant, client)] = set(names)
        kept.revoked_before.update(data.get("revoked_before", {}))
    with state.tokens._lock:
        state.tokens._opaque.update(data.get("opaque_tokens", {}))
