"""Automation: sending without a browser. No Flask here.

``submit`` (jobs.py) takes a message description and an idempotency key and returns a job id;
a worker (huey, queue.py) sends it once, app-only (``app_token.py``), paced per sender mailbox
within Exchange's limits (``pacing.py``), confirming through Sent Items after a worker's death
(``once.py``). ``merge.py`` turns a CSV and a Jinja template into one job per row.
"""
