"""The Microsoft Graph client. Imports nothing else of mailer/.

    client.py    GraphClient: me, photo, sendMail, drafts, attachments, upload sessions, listings
    errors.py    GraphError parsed from Graph's error body; what needs a new sign-in
    retry.py     which failures are retried, Retry-After, the retry loop
    uploads.py   chunked upload-session PUTs with progress
    http.py      the requests.Session (TLS trust, pool) every client shares
"""
