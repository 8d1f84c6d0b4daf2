"""The send engine (mailer/delivery/) as a test drives it: a Runtime built from config.py's
settings on this test's own folder (or the session's redis-server), jobs acting as a demo
person with a token minted by the emulator, and the lane run in this process until idle.

``Engines(emu, tmp_path, redis_url=None, **settings)``; ``.job(upn, token, **description)``
makes a person's job (the CLI's kind: files are paths on this host), ``.send(...)`` submits it
and runs its lane here, returning the record as it ended.
"""
from __future__ import annotations

import io
import time
import uuid

import config
from mailer.delivery import acting, records
from mailer.delivery import submit as engine
from mailer.delivery.engine import Engine
from mailer.delivery.outcomes import FINAL, SCHEDULED
from mailer.delivery.runner import drain_lane
from mailer.delivery.runtime import Runtime
from mailer.sending.compose import prepare
from mailer.sending.description import check
from mailer.sending.mailbox_drafts import MailboxDrafts
from mailer.sending.plan import plan


class Engines:
    def __init__(self, emu, root, redis_url: str | None = None, **settings):
        env = {"EMULATOR_STATE_DIR": str(emu.state_dir), "APP_STATE_DIR": str(root),
               "SEND_CONFIRM_DELAY": "0.05", "HTTP_TIMEOUT": "10",
               **{k: str(v) for k, v in settings.items()}}
        if redis_url:
            env["REDIS_URL"] = redis_url
        self.cfg = config.load_config(env)
        self.rt = Runtime(self.cfg)
        if self.rt.redis is not None:
            self.rt.redis.flushdb()  # the session's server: this test's store starts empty
        self.engine = Engine(self.rt)

    def close(self) -> None:
        self.rt.http.close()

    def job(self, upn: str, token: str, scopes=("Mail.Send", "Mail.ReadWrite",
                                                "Mail.Send.Shared"), lifetime: float = 3600,
            job_id: str | None = None, **description) -> dict:
        """A person's job (``description``: to, subject, text, attachments as paths, from...)."""
        if "html" not in description:
            description = {"text": "", **description}
        prepared = check(description, max_recipients=self.cfg["MAX_RECIPIENTS"], me_address=upn)
        job_id = job_id or f"t{uuid.uuid4().hex[:24]}"
        user = {"username": upn, "account_id": f"acct-{upn}", "oid": f"oid-{upn}"}
        held = {"access_token": token, "expires_on": time.time() + lifetime}
        return records.description_job(
            job_id, "cli", description.get("from") or upn, description,
            acting.person(user, None, list(scopes), held, self.rt.cipher), prepared,
            plan(prepared, self.rt.limits, job_id).kind, owner=f"oid-{upn}", me=upn)

    def compose(self, upn: str, token: str, files=(), scopes=("Mail.Send", "Mail.ReadWrite"),
                lifetime: float = 3600, **fields) -> dict:
        """A compose job, as the page's Send makes it: a draft in the draft store (small files
        as bytes there; larger ones, or a message outgrowing one sendMail, in a draft in the
        person's mailbox), ``files`` as (name, bytes, inline) and ``fields`` of ComposeData;
        ``{cid:N}`` in the body stands for the Nth file's content id."""
        owner, drafts = f"oid-{upn}", self.rt.drafts
        boxed = MailboxDrafts(drafts, self.rt.limits)
        draft_id = drafts.new(owner)
        client = self.rt.graph(lambda: token)
        entries = []
        for name, content, inline in files:
            if boxed.needs_mailbox(draft_id, owner, len(content)):
                entry = boxed.add_file(draft_id, owner, client, name, io.BytesIO(content),
                                       len(content), "image/png" if inline else "", inline,
                                       me_address=upn)
            else:
                entry = drafts.add_file(draft_id, owner, name, io.BytesIO(content),
                                        "image/png" if inline else "", inline)
            entries.append(entry)
        body = fields.pop("body", "")
        for n, entry in enumerate(entries):
            body = body.replace(f"{{cid:{n}}}", entry.content_id or "")
        data = drafts.load(draft_id, owner)
        for name, value in {"body": body, **fields}.items():
            setattr(data, name, value)
        drafts.save_fields(draft_id, owner, data)
        data = drafts.load(draft_id, owner)
        prepared = prepare(data, upn, max_recipients=self.cfg["MAX_RECIPIENTS"])
        chosen = plan(prepared, self.rt.limits, draft_id, boxed.mailbox_id(draft_id, owner))
        user = {"username": upn, "account_id": f"acct-{upn}", "oid": owner}
        held = {"access_token": token, "expires_on": time.time() + lifetime}
        return records.compose_job(
            draft_id, owner, prepared.from_address or upn, prepared, chosen,
            acting.person(user, None, list(scopes), held, self.rt.cipher),
            drafts.owned(draft_id, owner)["files"])

    def submit(self, record: dict) -> tuple[dict, bool]:
        return engine.submit(self.rt, record)

    def run(self, job_id: str, timeout: float = 60) -> dict:
        """Run the job's lane here until the job ends (or is scheduled); its record."""
        mailbox = self.rt.lanes.get(job_id)["mailbox"]
        deadline = time.monotonic() + timeout
        while True:
            drain_lane(self.rt, self.engine, mailbox)
            record = self.rt.lanes.get(job_id)
            if record["state"] in FINAL or record["state"] == SCHEDULED:
                return record
            assert time.monotonic() < deadline, record
            time.sleep(0.05)

    def send(self, upn: str, token: str, **description) -> dict:
        record, _ = self.submit(self.job(upn, token, **description))
        return self.run(record["id"])
