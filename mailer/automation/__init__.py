"""Automation: what is particular to programs sending (the send engine is mailer/delivery/).
No Flask here.

    jobs.py     a program's message checked, fenced to AUTOMATION_SENDERS, handed to the
                engine under its Idempotency-Key; its status
    intake.py   an API submit's files, put where any worker finds them (the job store, or a
                draft in the sender's mailbox) before the job enters its lane
    merge.py    mail merge: a CSV and a Jinja template, one job per row; the command line's
                dry run, a merge recorded and started, its rows' lines
    merge_rows.py  a merge's CSV read under limits, every row rendered and checked, each
                refused row named with its reason; how long the rows take at the pace
    merge_drafts.py  a merge prepared in the browser: kept, previewed, started once; its
                files held once by their SHA-256
    merge_runs.py  a started merge's progress, pause, resume, cancel; the list of merges
    templating.py  merge templates rendered in a limited child process (time, memory, size)
    csv_export.py  a merge's rows as CSV, with cells a spreadsheet would run quoted and
                times written readably
    errors.py   the errors automation raises on purpose, each naming the field
    webhooks/   mail that arrives: watched mailboxes' subscriptions, delta rounds, and signed
                events delivered to programs' webhooks
"""
