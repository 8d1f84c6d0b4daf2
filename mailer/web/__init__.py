"""Everything Flask: the blueprints and what only a web request needs.

    auth.py           sign-in, callback, sign-out; ``login_required``
    pages.py          home, profile (and photo), token page
    compose/          the compose blueprint: views, files, status, the services it wires
    mailbox/          the mailbox pages: folders, a message, reply and forward, attachments
    people.py         the people picker's suggestions
    api/              the JSON API: keys, submit, jobs, mailboxes; its OpenAPI document
    admin/            admin pages: app-only consent, API keys, the jobs
    merges/           mail merge from the browser (admins and Mailer.Sender)
    forms.py, form_parser.py   the compose form and its lenient multipart parser
    sessions.py       server-side sessions (files or Redis), the token vault per session
    words.py          every sentence the app says about an outcome
    avatar.py, drain.py        initials pictures; draining refused request bodies
"""
