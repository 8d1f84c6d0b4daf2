"""The Microsoft identity platform (v2.0): sign-in, consent and tokens.

HTTPS API origin (blueprints registered by ``server.create_api_app``):
  api.py                 discovery, JWKS, userinfo, the token route; identity settings for tests
  instance_discovery.py  ``/common/discovery/instance``: which authority hosts are Microsoft's
  token_endpoint.py      ``POST /{tenant}/oauth2/v2.0/token``: every grant and every refusal
  device_code_grant.py   ``/devicecode`` and the device code's polling answers (RFC 8628)
Plain-HTTP sign-in pages origin (``server.create_pages_app``):
  signin_pages.py        authorize, username, password, account picker, consent
  signin_sessions.py     the browser's sign-in session (cookie) and the flows running in it
  admin_consent.py       ``/{tenant}/v2.0/adminconsent``: tenant-wide grants by an administrator
  device_login_page.py   ``/devicelogin``: the person types the device flow's code
  logout.py              ``/{tenant}/oauth2/v2.0/logout``
Shared by both:
  authorize_request.py   validating an authorization request; answering the redirect URI
  grants.py              authorization codes, refresh tokens, the token response
  tokens.py              signing keys, id tokens, access tokens (JWT or opaque)
  scopes.py              scope parsing and normalisation
  tenancy.py             the ``{tenant}`` segment and who may sign in where
  app_permissions.py     application permissions granted per tenant by admin consent (``roles``)

Deliberately imports nothing here: ``state`` imports ``identity.tokens``.
"""
