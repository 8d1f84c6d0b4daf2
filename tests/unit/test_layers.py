"""The import contract in .importlinter: mailer/ in layers (web | cli -> automation -> delivery ->
sending -> graph | identity), no Flask below web, mailer/ and emulator/ apart. It holds here, and it would catch each kind of
wrong import if one were added (checked on a copy of the code)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".importlinter"
LINT = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def lint_imports(where: Path) -> subprocess.CompletedProcess:
    """lint-imports run in `where`: it reads `where`/.importlinter and analyses the packages there."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    # Wide enough that no import chain is wrapped across lines in the report.
    env["COLUMNS"] = "250"
    # A separate interpreter: it must import the copy's `mailer`, not this process's.
    return subprocess.run([sys.executable, "-c", LINT, "--no-cache"], cwd=where, env=env,
                          capture_output=True, text=True, timeout=120)


def python_only(directory, names):
    """copytree filter: the packages' Python files (the emulator's schema and pages are not code)."""
    return [n for n in names
            if n == "__pycache__" or (os.path.isfile(os.path.join(directory, n)) and not n.endswith(".py"))]


def test_the_contract_holds():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


@pytest.mark.parametrize("module, line, broken, named", [
    # Upward: the lowest layer reaching for the web layer.
    ("mailer/graph/client.py", "import mailer.web.auth", "mailer: web | cli -> automation -> delivery -> sending -> graph | identity",
     "mailer.graph.client -> mailer.web.auth"),
    # Upward by one step: graph reaching for sending.
    ("mailer/graph/uploads.py", "from mailer.sending import plan", "mailer: web | cli -> automation -> delivery -> sending -> graph | identity",
     "mailer.graph.uploads -> mailer.sending.plan"),
    # Upward by one step: the send engine reaching for automation.
    ("mailer/delivery/engine.py", "import mailer.automation.jobs", "mailer: web | cli -> automation -> delivery -> sending -> graph | identity",
     "mailer.delivery.engine -> mailer.automation.jobs"),
    # Sideways: graph and identity are siblings that do not know each other.
    ("mailer/identity/tokens.py", "import mailer.graph.http", "mailer: web | cli -> automation -> delivery -> sending -> graph | identity",
     "mailer.identity.tokens -> mailer.graph.http"),
    # Flask below the web layer.
    ("mailer/sending/plan.py", "import werkzeug.datastructures", "Nothing below mailer.web imports Flask",
     "mailer.sending.plan -> werkzeug"),
    ("mailer/identity/service.py", "from flask import session", "Nothing below mailer.web imports Flask",
     "mailer.identity.service -> flask"),
    # The app and its emulator, either way.
    ("mailer/web/pages.py", "import emulator.state", "mailer and emulator never import each other",
     "mailer.web.pages -> emulator.state"),
    ("emulator/server.py", "from mailer.graph import errors", "mailer and emulator never import each other",
     "emulator.server -> mailer.graph.errors"),
])
def test_a_wrong_import_breaks_the_contract(tmp_path, module, line, broken, named):
    for package in ("mailer", "emulator"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=python_only)
    shutil.copy(CONFIG, tmp_path / ".importlinter")
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{line}  # added by test_layers\n")

    result = lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{broken} BROKEN" in result.stdout, result.stdout
    assert named in result.stdout, result.stdout
