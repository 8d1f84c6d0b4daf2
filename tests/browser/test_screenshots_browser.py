"""The README's screenshots cannot rot: bench/screenshots.py, the script that takes them, runs
here as it runs by hand (its own emulator, the app under gunicorn, Chromium) into a temporary
folder, and each PNG it writes is decoded (by Chromium, from a data: URL) and checked to be a
1280×800 picture of many colours: a blank or error page would have a handful."""
from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
DECODE = """async (b64) => {
  const img = new Image();
  img.src = "data:image/png;base64," + b64;
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const g = canvas.getContext("2d");
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, canvas.width, canvas.height).data, seen = new Set();
  for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  return [canvas.width, canvas.height, seen.size];
}"""


def test_the_screenshot_script_writes_both_pictures(tmp_path, page):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "screenshots.py"),
                           "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=150)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    for name in ("compose.png", "mailbox.png"):
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and 40_000 < len(data) < 400_000, len(data)
        width, height, colours = page.evaluate(DECODE, base64.b64encode(data).decode())
        assert (width, height) == (1280, 800), name
        assert colours > 1000, (name, colours)  # the pages have ~3,500; a bare error page ~250
