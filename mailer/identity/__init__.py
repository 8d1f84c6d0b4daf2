"""Signing in with MSAL, without Flask: the session is any dict-like object.

    service.py        Identity: auth-code flow with PKCE, the token cache per session, silent tokens
    msal_results.py   what Identity makes of MSAL's answers: checks, failures as AuthError
    errors.py         AuthError from MSAL results and network failures
    rules.py          which scopes a personal account may be asked for
    tokens.py         the token cache's encryption; decoding tokens for the token page
    vaults.py         where a session's encrypted cache lives, its lock, a person's latest one
    session_files.py  the session store on disk (cachelib's FileSystemCache, swept)
    app_tokens.py     app-only tokens (client credentials) for automation's senders
    discovery.py      the origin browsers use for the identity platform (its discovery document)
"""
