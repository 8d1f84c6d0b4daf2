"""Signing in with MSAL, without Flask: the session is any dict-like object.

    service.py   Identity: auth-code flow with PKCE, the token cache per session, silent tokens
    errors.py    AuthError from MSAL results and network failures
    tokens.py    the token cache's encryption; decoding tokens for the token page
    discovery.py the origin browsers use for the identity platform (its discovery document)
"""
