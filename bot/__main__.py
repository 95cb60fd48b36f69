"""``python -m isnad.bot``: run the bot, the same command as ``isnad bot`` (typer's,
in isnad/cli.py: one set of options, one help, one way errors are shown)."""

import sys

from isnad.cli import main

main(["bot", *sys.argv[1:]])
