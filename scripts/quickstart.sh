#!/usr/bin/env bash
# The main job on a fresh machine: install, fetch the default model (verified by
# hash), index the bundled articles and answer a sample question.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/isnad ask "${1:-إلى أين كان من المقرر نقل عناصر تنظيم الدولة من جنوب دمشق؟}"
echo
echo "Next: .venv/bin/isnad chat   (or: . .venv/bin/activate && isnad --help)"
