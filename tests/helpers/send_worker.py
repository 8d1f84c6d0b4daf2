"""A send job in a process of its own, to be killed with SIGKILL mid-send (tests/integration).

``python tests/helpers/send_worker.py`` reads one JSON object on stdin: the job store
({"files": dir} or {"redis": url, "prefix": p}), the Graph endpoint, its CA and a token, the
draft id, the message (to, subject, files) and the lease's seconds. It builds SendJobs as the
app does (helpers/settings.py) and runs the send in the foreground; it prints "started" once the
job's record and lease exist, so the test knows when to kill it.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).resolve().parents[1])]

from helpers.settings import file_store, plan, prepare, redis_store, retry_policy, send_jobs  # noqa: E402
from helpers.settings import graph_client  # noqa: E402
from mailer.graph.http import build_session  # noqa: E402
from mailer.sending.compose import Attachment, ComposeData  # noqa: E402


def main() -> None:
    args = json.loads(sys.stdin.readline())
    where = args["store"]
    store = (file_store(where["files"]) if "files" in where
             else redis_store(where["redis"], where["prefix"]))
    jobs = send_jobs(store, lease_seconds=args["lease"], confirm_delay=0.05)
    session = build_session(args["ca_file"])
    token = args["token"]
    graph = graph_client(args["graph"], lambda: token, session,
                         retry=retry_policy(max_total_wait=120, base_delay=0.05, max_delay=0.2))
    files = [Path(p) for p in args.get("files", [])]
    data = ComposeData(to=args["to"], subject=args["subject"],
                       attachments=[Attachment(p.name, p, p.stat().st_size) for p in files])
    prepared = prepare(data)
    the_plan = plan(prepared, draft_id=args["draft_id"])
    real_save = jobs._save

    def announce(job: dict) -> None:  # the first saved record: the lease is held
        real_save(job)
        if not announce.done:
            announce.done = True
            print("started", the_plan.kind, flush=True)
    announce.done = False
    jobs._save = announce
    job, _ = jobs.start(args["draft_id"], args["owner"], prepared, the_plan, graph,
                        background=False)
    print("finished", job["state"], flush=True)
    session.close()


if __name__ == "__main__":
    main()
