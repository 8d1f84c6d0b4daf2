"""The README's screenshots, taken from a day in the app: ``python bench/screenshots.py``.

Runs the browser suite "a day in the app" (tests/browser/test_day_in_the_app.py: the emulator,
the app and Chromium, people signing in, writing, reading, replying, sending) with
DAY_SCREENSHOTS set, so that it keeps a picture of every page it visits, then copies the ones
the README shows into ``--out`` (docs/ by default). ``README_PICTURES`` names the step of the
day each one shows; the day test checks that those steps are photographed, so the README's
pictures cannot rot. ``--keep FOLDER`` keeps every picture of the day there.

    python bench/screenshots.py [--out docs] [--keep FOLDER]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DAY = "tests/browser/test_day_in_the_app.py"
# The README's picture -> the step of the day it shows (its file is NN-<step>.png).
README_PICTURES = {
    "compose.png": "adele-compose",  # people as chips, formatted text, a pasted table, a file
    "mailbox.png": "alex-message",  # the Inbox's message open: the sanitized body, its file
}


def pictures_of(folder: Path) -> dict[str, Path]:
    """The day's pictures by step name (without their NN- order prefix)."""
    return {p.stem.split("-", 1)[1]: p for p in sorted(folder.glob("[0-9][0-9]-*.png"))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs")
    parser.add_argument("--keep", type=Path, help="keep every picture of the day here")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([sys.executable, "-m", "pytest", DAY, "-q", "-p", "no:cacheprovider"],
                              cwd=ROOT, env={**os.environ, "DAY_SCREENSHOTS": str(folder)})
        if done.returncode != 0:
            print("the day in the app failed: no picture was changed", file=sys.stderr)
            return 1
        found = pictures_of(folder)
        args.out.mkdir(parents=True, exist_ok=True)
        for name, step in README_PICTURES.items():
            shutil.copyfile(found[step], args.out / name)
            print(f"{args.out / name} {(args.out / name).stat().st_size:,} bytes (from {step})")
        count = len(list(folder.glob("*.png")))
    print(f"{count} pages photographed; took {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
