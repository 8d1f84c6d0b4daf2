"""Automation: sending without a browser. No Flask here.

``submit`` (jobs.py) takes a message description and an idempotency key and returns a job id;
a worker (huey, queue.py) sends it once, app-only (``app_token.py``), paced per sender mailbox
within Exchange's limits (``pacing.py``), confirming through Sent Items after a worker's death
(``once.py``). ``merge.py`` turns a CSV and a Jinja template into one job per row.

    message.py     a message description checked into the send core's PreparedMessage
    jobs.py        submit, job records, batches; once.py runs one job exactly once
    intake.py      an API or CLI submit's files, held off this host; held.py where they wait
    deliver.py     one message through Graph (sendMail, or a draft in the sender's mailbox)
    queue.py       the huey queue and its worker; runtime.py the store and Graph client
    pacing.py      Exchange's limits per sender mailbox; app_token.py app-only tokens
    merge.py       a CSV and a template, one job per row
    templating.py  merge templates rendered in a limited child process (time, memory, size)
    csv_export.py  a merge's rows as CSV, with cells a spreadsheet would run quoted
    errors.py      the errors raised on purpose, each naming the option or field at fault
"""
