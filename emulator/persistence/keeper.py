"""Keeping the demo's state across restarts, in ``store/`` under the state folder.

``Keeper(state, folder)`` reads back what was kept (``load()``, before serving), then a
background thread writes what changed about once a second (``start()``), and once more when
the emulator stops (``close()``). Requests never wait on a write: under the mail store's lock a
changed mailbox is only copied into plain data; the JSON and the files are written outside it,
each to a temporary file first, fsynced, then renamed over the old one, so a crash leaves
either the old version or the new one, never half of one. A mailbox is rewritten only when
its change log moved on (its epoch and sequence number), so idle mailboxes cost nothing.

    store/mail/mailboxes/{user id}.json   folders, messages, change log (mail.py)
    store/mail/blobs/                     attachment bytes (the mail store's spool folder)
    store/mail/pending.json               sends waiting for their time (send later)
    store/identity.json                   refresh tokens, consents, grants (identity.py)
    store/subscriptions.json              change-notification subscriptions

``wipe(state_dir)`` forgets it all (``python -m emulator reset``); the CA, the signing key and
the demo app's secret, beside ``store/``, are kept.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import quote

from ..graph.mail.store import MailStore
from ..graph.subscriptions.registry import registry
from . import identity, mail

logger = logging.getLogger(__name__)

STORE_DIR = "store"
INTERVAL = 1.0  # seconds between writes: changes within a second cost one write


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def wipe(state_dir: str | Path) -> bool:
    """Forget the kept state; True when there was some."""
    folder = Path(state_dir) / STORE_DIR
    existed = folder.exists()
    shutil.rmtree(folder, ignore_errors=True)
    return existed


def _read(path: Path, default):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default
    except (OSError, ValueError) as exc:  # a damaged file: start without it, say so
        logger.warning("could not read %s (%s): left out", path, exc)
        return default


class Keeper:
    def __init__(self, state, folder: str | Path) -> None:
        self.state = state
        self.folder = Path(folder)
        self.boxes = self.folder / "mail" / "mailboxes"
        self.blobs = self.folder / "mail" / "blobs"
        state.factories["mail"] = lambda: MailStore(spool_dir=str(self.blobs))
        self._boxes_written: dict[str, tuple[str, int]] = {}  # user id -> (epoch, seq)
        self._texts_written: dict[str, str] = {}
        self._flushing = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def load(self) -> None:
        """Read back the kept state into the (fresh) emulator state."""
        state = self.state
        with state.lock:
            old = state.extensions.pop("mail", None)
            if old is not None:
                old.close()
        boxes = [data for path in sorted(self.boxes.glob("*.json"))
                 if (data := _read(path, None)) is not None]
        pending = _read(self.folder / "mail" / "pending.json", [])
        store = state.extension("mail", MailStore)
        mail.restore(store, boxes, pending)
        used = mail.referenced_blobs(boxes)
        for path in self.blobs.iterdir() if self.blobs.is_dir() else []:
            if path.name not in used:  # unfinished uploads, deleted mail, a torn write
                path.unlink(missing_ok=True)
        for path in self.boxes.glob("*.tmp") if self.boxes.is_dir() else []:
            path.unlink(missing_ok=True)
        identity.restore(state, _read(self.folder / "identity.json", {}))
        subscriptions = _read(self.folder / "subscriptions.json", [])
        if subscriptions:
            registry(state).load(subscriptions)
        self._boxes_written = {box.user_id: (box.changes.epoch, box.changes.seq)
                               for box in store.mailboxes.values()}
        logger.info("kept state read back: %d mailbox(es), %d deferred send(s), "
                    "%d subscription(s)", len(boxes), len(pending), len(subscriptions))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True, name="emulator-keeper")
        self._thread.start()

    def close(self) -> None:
        """Stop the writer and write what is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(INTERVAL):
            try:
                self.flush()
            except Exception:  # a full disk must not stop the emulator; the next round retries
                logger.exception("could not keep the emulator's state")

    def flush(self) -> None:
        with self._flushing:
            self._flush_mail()
            self._write_json("identity.json", identity.snapshot(self.state))
            kept = self.state.extensions.get("subscriptions")
            self._write_json("subscriptions.json", kept.snapshot() if kept is not None else [])

    def _flush_mail(self) -> None:
        store = self.state.extensions.get("mail")
        changed, current, pending = [], set(), []
        if store is not None:
            with store.lock:  # copies only: the writing happens below, outside the lock
                for user_id, box in list(store.mailboxes.items()):
                    current.add(user_id)
                    mark = (box.changes.epoch, box.changes.seq)
                    if self._boxes_written.get(user_id) != mark:
                        data, small = mail.mailbox_snapshot(box, store.spool_dir)
                        changed.append((user_id, mark, data, small))
                pending = mail.pending_snapshot(store)
        for user_id, mark, data, small in changed:
            for name, blob in small.items():
                if not (self.blobs / name).exists():
                    write_atomic(self.blobs / name, blob)
            write_atomic(self._box_path(user_id), json.dumps(data).encode())
            self._boxes_written[user_id] = mark
        for user_id in set(self._boxes_written) - current:  # gone (a reset): forget the file
            self._box_path(user_id).unlink(missing_ok=True)
            del self._boxes_written[user_id]
        self._write_json("mail/pending.json", pending)

    def _box_path(self, user_id: str) -> Path:
        return self.boxes / f"{quote(user_id, safe='')}.json"

    def _write_json(self, name: str, data) -> None:
        text = json.dumps(data, sort_keys=True)
        if self._texts_written.get(name) != text:
            write_atomic(self.folder / name, text.encode())
            self._texts_written[name] = text
