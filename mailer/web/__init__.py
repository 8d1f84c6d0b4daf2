"""Everything Flask: the blueprints and what only a web request needs.

    auth.py           sign-in, callback, sign-out; ``login_required``
    permissions.py    mail permissions asked once, as a family; a click resumed after consent
    pages.py          home, profile (and photo), token page
    compose/          the compose blueprint: views, files, status, the services it wires
    mailbox/          the mailbox pages: folders, a message, reply and forward, attachments
    people.py         the people picker's suggestions
    api/              the JSON API: keys, submit, jobs, mailboxes; its OpenAPI document
    admin/            admin pages: first steps, app-only consent, API keys, the jobs, webhooks
    merges/           mail merge from the browser (admins and Mailer.Sender)
    outbox.py         the Outbox (sends not yet seen ending, cancel) and the outcome notices
    notifications.py  /graph/notifications: Graph's change notifications for watched mailboxes
    forms.py, form_parser.py   the compose form and its lenient multipart parser
    sessions.py       server-side sessions (files or Redis), the token vault per session
    words.py          every sentence the app says about an outcome (Graph, sign-in, mailboxes)
    job_words.py      what a send job is doing, waits for, or why it did not go
    avatar.py, drain.py        initials pictures; draining refused request bodies
    request_line.py   the longest request line answered (4,094 bytes): the API's 414 in JSON
    times.py          every moment as a <time> the browser shows in its own zone
"""
