"""The built wheel, as pip installs it on a user's machine."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_SOURCE = shutil.ignore_patterns(".venv", ".git", "node_modules", "__pycache__", "build",
                                    "dist", "*.egg-info", ".pytest_cache", ".ruff_cache")


def test_the_wheel_carries_the_bundled_articles_and_calibration(tmp_path):
    # Built from a copy: an in-tree build would leave build/ and *.egg-info behind.
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-q", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "would be ignored" not in result.stderr
    wheel = next((tmp_path / "dist").glob("isnad-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    bundled = sorted(p.name for p in (ROOT / "corpus" / "bundled").glob("*.txt"))
    assert len(bundled) == 5
    assert {f"isnad/corpus/bundled/{name}" for name in bundled} <= names
    assert "isnad/retrieval/calibration.json" in names
    assert "isnad/prompts/messages.py" in names
    # The query adapter ISNAD_QUERY_ADAPTER=auto loads and the shipped joint reader,
    # every file of each.
    for folder in ("embeddings/adapters", "retrieval/readers"):
        files = [p for p in (ROOT / folder).rglob("*") if p.is_file()]
        assert files, folder
        for file in files:
            assert f"isnad/{file.relative_to(ROOT).as_posix()}" in names
    # Every module of every package: a subpackage missing from pyproject's list would
    # work from the source tree and fail once installed.
    for folder, package in (("isnad", "isnad"), ("corpus", "isnad/corpus"),
                            ("embeddings", "isnad/embeddings"), ("retrieval", "isnad/retrieval"),
                            ("bot", "isnad/bot"), ("prompts", "isnad/prompts")):
        for module in (ROOT / folder).rglob("*.py"):
            assert f"{package}/{module.relative_to(ROOT / folder).as_posix()}" in names
