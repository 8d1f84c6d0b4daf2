"""Automation: what is particular to programs sending (the send engine is mailer/delivery/).
No Flask here.

    jobs.py     a program's message checked, fenced to AUTOMATION_SENDERS, handed to the
                engine under its Idempotency-Key; its status
    intake.py   an API submit's files, put where any worker finds them (the job store, or a
                draft in the sender's mailbox) before the job enters its lane
    merge.py    mail merge: a CSV and a Jinja template, one job per row
    templating.py  merge templates rendered in a limited child process (time, memory, size)
    csv_export.py  a merge's rows as CSV, with cells a spreadsheet would run quoted
    errors.py   the errors automation raises on purpose, each naming the field
    webhooks/   mail that arrives: watched mailboxes' subscriptions, delta rounds, and signed
                events delivered to programs' webhooks
"""
