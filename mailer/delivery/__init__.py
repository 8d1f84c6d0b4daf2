"""The one send engine: every message, whoever sent it, goes out exactly once from here.

The compose page, a reply, a forward, a continued draft, an API job, a CLI send and each merge
row are one kind of job (records.py) in one store, run by the task queue's workers; web
instances only submit and read. No Flask here.

    records.py        a job's record: what it keeps, the same for every sender
    outcomes.py       its states and outcome codes (data; the pages say them in words)
    wording.py        a failed job's error in a sentence, for programs
    submit.py         submit (one job, or a merge's many), wait a moment for the outcome,
                      cancel, hold and release a batch's jobs (a merge paused): what senders call
    pace.py           Exchange's limits as slots: 30 a minute, 10,000 recipients a day
    book.py           the lane algorithm: priority, slots, runners (plain data)
    lanes.py          lanes, records and their lists in files (one host), each step atomic
    lanes_batches.py  its batches: many jobs submitted in one step, held out of the lane and
                      released; many jobs' states and a list's ids read at once
    redis_lanes.py    the same in Redis, one Lua script per step
    redis_scripts.py  those scripts
    redis_batches.py  Redis's batches and reads (holding, states, a lane's view: a script each)
    queue.py          huey (Redis or SQLite) and its one task: a mailbox's lane
    runner.py         a lane's runner: take a job at its slot, run it, next
    engine.py         one job, under its lease: settle, send, outcome
    steps.py          the Graph steps: sendMail, or a draft, its files and send
    confirm.py        after a lost answer or a dead worker: ask Graph before sending again
    sources.py        a job's message, built again from its record
    acting.py         whom a job acts as: the app, or the person (their token, sealed)
    held.py           a program job's files, held in the job store (an API job's, a merge's)
    sweep.py          recovery that needs nobody: orphaned jobs, lanes without a runner
    runtime.py        what all this runs on, from config.py's settings, once per process
"""
