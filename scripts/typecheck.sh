#!/usr/bin/env bash
# mypy over the package (settings in pyproject.toml's [tool.mypy]).
#
# The package's parts live in top-level folders (corpus/, retrieval/, bot/ …) that are
# installed as isnad.corpus, isnad.retrieval … (package-dir in pyproject.toml). mypy
# knows no such mapping, and the editable install's import hook is invisible to it, so
# the parts are linked into build/typecheck/isnad/ as they are installed, and mypy reads
# that one package there (error paths then start with build/typecheck/isnad/).
set -euo pipefail
cd "$(dirname "$0")/.."
tree=build/typecheck/isnad
rm -rf build/typecheck
mkdir -p "$tree"
for file in isnad/*.py; do
  ln -s "../../../$file" "$tree/"
done
for part in bot corpus embeddings prompts retrieval; do
  ln -s "../../../$part" "$tree/$part"
done
exec "${PYTHON:-python}" -m mypy "$@"
