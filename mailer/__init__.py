"""The app's own code, in layers; imports point one way only (tests/unit/test_layers.py checks it).

    web/         everything Flask: blueprints (auth, pages, compose/, mailbox/, api/, admin/),
                 forms, sessions, words, error pages
    cli/         ``python -m mailer``: login, send, inbox, merge, status, worker
    automation/  what is particular to programs: their messages, API files, merges
    delivery/    the one send engine: jobs, lanes paced per mailbox, the task queue, recovery
    sending/     the compose model, addresses, the send plan, drafts, the shared store
    graph/       the Microsoft Graph client: requests, retries, upload sessions, Graph's errors
    identity/    MSAL over a dict-like session, token vaults, app-only tokens, token decoding

web | cli → automation → delivery → sending → graph | identity. Nothing below web/ imports
Flask. mailer/ and emulator/ never import each other; app.py builds the app from these parts,
config.py is the only reader of the environment.
"""
