#!/usr/bin/env bash
# Set up and run the project. Every command installs what it needs first.
#
#   ./env.sh            install, start the local emulator and the app in demo mode
#                       (or, with CLIENT_ID and CLIENT_SECRET set, the app against Microsoft)
#   ./env.sh test       install and run the whole test suite (pytest arguments may follow)
#   ./env.sh emulator   run the emulator alone
#   ./env.sh accounts   print the demo accounts
#   ./env.sh reset      forget the demo's kept mail, subscriptions and sign-ins (start clean)
#   ./env.sh bench      run the benchmarks in bench/
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
PY="$VENV/bin/python"
PORT="${PORT:-5000}"
EMULATOR_API_PORT="${EMULATOR_API_PORT:-5001}"
EMULATOR_PAGES_PORT="${EMULATOR_PAGES_PORT:-5002}"
export PORT EMULATOR_API_PORT EMULATOR_PAGES_PORT

say() { printf '==> %s\n' "$*"; }

install_python() {  # $1: requirements file
  if [ ! -x "$PY" ]; then
    say "creating the virtual environment in $VENV"
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.installed-$(basename "$1")"
  local want
  want=$(cat requirements*.txt | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "installing Python packages from $1"
    "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$PY" -m pip install --quiet --disable-pip-version-check -r "$1"
    echo "$want" > "$stamp"
  fi
}

install_frontend() {
  # The compose page's editor (Quill 2) and the API docs page's Swagger UI, from the npm
  # registry by package-lock.json, served by the app itself from static/vendor/ (git-ignored;
  # never a CDN), and axe-core, which the browser tests run from node_modules/ (never served by
  # the app). --ignore-scripts: no package runs anything here (swagger-ui-dist's analytics
  # dependency has an install script). Redone when the lock changes.
  local stamp=static/vendor/.installed want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  command -v npm >/dev/null 2>&1 || { echo "The compose editor is installed with npm (sudo apt-get install npm)" >&2; exit 1; }
  say "installing the compose editor and Swagger UI from package-lock.json (npm ci)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  mkdir -p static/vendor/quill static/vendor/swagger-ui
  cp node_modules/quill/dist/{quill.js,quill.js.LICENSE.txt,quill.snow.css} static/vendor/quill/
  cp node_modules/swagger-ui-dist/{swagger-ui-bundle.js,swagger-ui-bundle.js.LICENSE.txt,swagger-ui.css,LICENSE,NOTICE} \
    static/vendor/swagger-ui/
  echo "$want" > "$stamp"
}

install_js_peers() {
  # Microsoft's JavaScript libraries, the emulator's Node.js peers in the tests (tests/js/), from
  # the npm registry by their own package-lock.json. Redone when that lock changes.
  local stamp=tests/js/node_modules/.installed want
  want=$(sha256sum tests/js/package-lock.json | cut -d' ' -f1)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  say "installing Microsoft's JavaScript libraries for the tests (npm ci in tests/js)"
  (cd tests/js && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
}

install_test_system_packages() {
  # The tests drive Debian's Chromium and start a real redis-server.
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "The tests need these Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
}

wait_for_emulator() {  # $1: the emulator's pid
  "$PY" - "$1" <<'PYEOF'
import os, ssl, sys, time, urllib.request
pid, port = int(sys.argv[1]), os.environ["EMULATOR_API_PORT"]
ca = os.path.join(".local", "emulator", "ca.pem")
for _ in range(150):
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("The emulator stopped during start-up (is a port in use?)")
    try:
        ctx = ssl.create_default_context(cafile=ca)
        urllib.request.urlopen(f"https://127.0.0.1:{port}/_emulator/health", context=ctx, timeout=1)
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit(f"The emulator did not answer on port {port}")
PYEOF
}

check_config() {  # one clear line, no traceback, before gunicorn starts
  "$PY" -c 'import config, sys
try:
    config.load_config()
except config.ConfigError as exc:
    sys.exit(f"Configuration error: {exc}")'
}

# gunicorn.conf.py: forwarded_allow_ips from FORWARDED_ALLOW_IPS (none by default), the request
# line limit the app answers in its own words.
GUNICORN_ARGS=(--config gunicorn.conf.py --bind "127.0.0.1:$PORT" --workers 2 --threads 4 --timeout 300)

cmd="${1:-run}"
[ $# -gt 0 ] && shift
case "$cmd" in
  run)
    install_python requirements.txt
    install_frontend
    if [ -n "${CLIENT_ID:-}" ]; then
      say "CLIENT_ID is set: running against Microsoft (no emulator)"
      check_config
      say "app on http://127.0.0.1:$PORT"
      "$VENV/bin/gunicorn" "${GUNICORN_ARGS[@]}" 'app:create_app()' &
      app_pid=$!
      say "automation worker: $PY -m mailer worker (more: run it again, on any host with REDIS_URL)"
      "$PY" -m mailer worker &
      worker_pid=$!
      # In place of exec: TERM or INT reaches both (each stops gracefully), and either one
      # stopping stops the other, so a supervisor sees the pair exit (with the first's status).
      trap 'kill -TERM $app_pid $worker_pid 2>/dev/null || true' EXIT INT TERM
      status=0
      wait -n || status=$?
      kill -TERM $app_pid $worker_pid 2>/dev/null || true
      wait || true
      exit "$status"
    fi
    say "demo mode: starting the local Microsoft identity + Graph emulator"
    "$PY" -m emulator serve &
    emulator_pid=$!
    trap 'kill $emulator_pid 2>/dev/null || true' EXIT INT TERM
    wait_for_emulator "$emulator_pid"
    check_config
    "$PY" -m emulator accounts
    echo
    say "open http://127.0.0.1:$PORT and sign in with a demo account above"
    say "see the mail arrive: http://127.0.0.1:$EMULATOR_PAGES_PORT/mailbox"
    say "automation (app-only, as sales@contoso.example or admin@contoso.example): sign in as"
    say "  admin@contoso.example and open http://127.0.0.1:$PORT/admin/ to make an API key; the"
    say "  page then shows a curl line that sends a test mail with it (API docs: /api/v1/docs)"
    say "  a mail merge from the browser: /merges/ (admin, or megan@contoso.example: Mailer.Sender)"
    say "  or here: $PY -m mailer merge docs/examples/recipients.csv docs/examples/invitation.html --from sales@contoso.example --dry-run"
    "$VENV/bin/gunicorn" "${GUNICORN_ARGS[@]}" 'app:create_app()' &
    app_pid=$!
    say "automation worker: $PY -m mailer worker (more: run it again, on any host with REDIS_URL)"
    "$PY" -m mailer worker &
    worker_pid=$!
    trap 'kill $app_pid $worker_pid $emulator_pid 2>/dev/null || true' EXIT INT TERM
    wait $app_pid
    ;;
  test)
    install_python requirements-dev.txt
    install_test_system_packages
    install_frontend
    install_js_peers
    # Two pytest-xdist workers (a 2-core machine runs the suite in about 12 minutes instead of
    # 18: much of it waits on servers, workers and browsers); `-n 0` after it runs one process.
    exec "$PY" -m pytest -p no:cacheprovider -n "${TEST_WORKERS:-2}" "$@"
    ;;
  emulator)
    install_python requirements.txt
    exec "$PY" -m emulator serve "$@"
    ;;
  accounts)
    install_python requirements.txt
    exec "$PY" -m emulator accounts "$@"
    ;;
  reset)
    install_python requirements.txt
    exec "$PY" -m emulator reset "$@"
    ;;
  bench)
    install_python requirements-dev.txt
    for script in bench/bench_*.py; do
      say "$script"
      "$PY" "$script" "$@"
    done
    ;;
  *)
    echo "usage: ./env.sh [run|test|emulator|accounts|reset|bench]" >&2
    exit 2
    ;;
esac
