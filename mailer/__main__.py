"""``python -m mailer``: the command line (mailer/cli), with settings from config.py."""
import sys

import config
from mailer.cli.main import main


def _config() -> dict:
    try:
        return config.load_config()
    except config.ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], _config))
