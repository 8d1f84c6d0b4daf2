"""The app's own code, in layers; imports point one way only (tests/unit/test_layers.py checks it).

    web/        everything Flask: blueprints (auth, pages, compose/), forms, sessions, error pages
    sending/    the compose model, addresses, the send plan, drafts, send jobs, the shared store
    graph/      the Microsoft Graph client: requests, retries, upload sessions, Graph's errors
    identity/   MSAL over a dict-like session, the token vault, token decoding

web → sending → graph, identity. Nothing below web/ imports Flask. mailer/ and emulator/ never
import each other; app.py builds the app from these parts, config.py is the only reader of the
environment.
"""
