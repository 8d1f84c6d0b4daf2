"""The Microsoft Graph client. Imports nothing else of mailer/.

    client.py    GraphClient: me, photo, sendMail, drafts, attachments, upload sessions, listings
    batch.py     several calls in one $batch round trip, throttled items retried directly
    errors.py    GraphError parsed from Graph's error body; what needs a new sign-in
    retry.py     which failures are retried, Retry-After, the retry loop
    uploads.py   chunked upload-session PUTs with progress
    http.py      the requests.Session (TLS trust, pool) every client shares
    mailbox.py   reading a mailbox: folder pages, a message and its attachments, read state
    people.py    people to suggest: /me/people, then the directory
    shapes.py    Graph's JSON shapes of messages, recipients and attachments
    changes.py   mail that arrives: a folder's delta rounds, subscriptions, clientState checks
"""
