"""Generations: the versions of a local index, and the one way to open one.

Layout under ``ISNAD_HOME`` (the paths are ``isnad/home.py``'s ``IndexHome``)::

    index/current              symlink → generations/<name>  (the one readers open)
    index/generations/<name>/  catalog.sqlite: articles, sentence and passage offsets,
                               the segments this generation is made of, tombstones
    index/segments/<name>/     vectors.faiss, sentences.faiss, lexical/ — immutable
    index/.lock                one writer at a time
    cache/embeddings-*.sqlite  vectors by text hash, per model (see ../embedding.py)

A generation is a small catalog that lists the segments it uses. A write makes a new
copy of the catalog in a staging folder, then renames it into a generation and
replaces the ``current`` symlink with one ``rename``: a reader sees the old
generation or the new one, never a mix. ``open_catalog`` is how every reader, writer
and check opens a generation's catalog, so a format or model problem is told one way.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import Timeout

from ...home import IndexHome
from ...prompts.messages import cli_t
from ..errors import IndexBusy, IndexDamaged, index_missing
from ..pause import pause_point
from .catalog import Catalog

#: Bumped whenever what is stored changes meaning, so an old index is rebuilt rather than
#: silently mismatched: 4 = BM25 terms strip و/ف before ال (see arabic.py).
FORMAT_VERSION = 4
#: Generations kept on disk: the current one and the one before (a reader that opened
#: it a moment ago keeps working; on POSIX its open files stay readable anyway).
KEEP_GENERATIONS = 2


def current_generation(home: IndexHome) -> Path:
    """The generation ``current`` points at (IndexMissing when there is none)."""
    if not home.current.exists():
        raise index_missing(home)
    return home.current.resolve()


def open_catalog(generation: Path, any_format: bool = False) -> Catalog:
    """The catalog of ``generation``, read-only, checked to be of this isnad's format
    (``any_format``: of any, to read its articles back): IndexDamaged, saying what to
    run, when it cannot be read or is of another format."""
    try:
        catalog = Catalog(generation / "catalog.sqlite", readonly=True)
        version, fingerprint = catalog.meta("format_version"), catalog.meta("fingerprint")
    except Exception as exc:  # sqlite raises several kinds for a damaged file
        raise IndexDamaged(cli_t("index_damaged", generation=generation, reason=exc)) from exc
    if any_format or (version == FORMAT_VERSION and fingerprint):
        return catalog
    catalog.close()
    if isinstance(version, int) and version < FORMAT_VERSION:
        key = "index_older_format"
    elif isinstance(version, int) and version > FORMAT_VERSION:
        key = "index_newer_format"
    else:
        raise IndexDamaged(cli_t("index_damaged", generation=generation,
                                 reason="no format version or model fingerprint"))
    raise IndexDamaged(cli_t(key, generation=generation, found=version, known=FORMAT_VERSION))


def indexed_model(home: IndexHome) -> str | None:
    """The model the current generation was built with, read from its catalog alone
    (no vectors, no model): None when there is none or it cannot be read (opening the
    index then says what is wrong)."""
    if not home.current.exists():
        return None
    try:
        catalog = open_catalog(home.current.resolve(), any_format=True)
    except IndexDamaged:
        return None
    try:
        model = catalog.meta("model")
    finally:
        catalog.close()
    return str(model) if model else None


@contextmanager
def writer_lock(home: IndexHome) -> Iterator[None]:
    """Held by whatever changes generations: one writer at a time (IndexBusy at once
    when another holds it)."""
    lock = home.writer_lock()
    try:
        lock.acquire()
    except Timeout:
        raise IndexBusy(cli_t("index_busy", index=home.index_dir)) from None
    try:
        yield
    finally:
        lock.release()


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def collect_garbage(home: IndexHome, keep: int = KEEP_GENERATIONS) -> None:
    """Remove what no kept generation needs: older generations, a killed writer's
    staging folders and segments. Only called with the writer lock held."""
    generations = home.generation_folders()
    current = home.current.resolve() if home.current.exists() else None
    kept = generations[-keep:]
    if current is not None and current not in kept:
        kept.append(current)
    for old in generations:
        if old not in kept:
            shutil.rmtree(old, ignore_errors=True)
    if home.generations.exists():
        for partial in home.generations.glob(".*.partial"):
            shutil.rmtree(partial, ignore_errors=True)
    if not home.segments.exists():
        return
    used: set[str] = set()
    for generation in kept:
        try:
            catalog = Catalog(generation / "catalog.sqlite", readonly=True)
            try:
                used.update(catalog.segments())
            finally:
                catalog.close()
        except Exception:  # a damaged generation: keep every segment, to be safe
            return
    for folder in home.segments.iterdir():
        if folder.name not in used:
            shutil.rmtree(folder, ignore_errors=True)


def switch_current(home: IndexHome, generation: Path) -> None:
    """Make ``generation`` the one readers open, with one atomic rename of a link."""
    link = home.index_dir / f".current-{secrets.token_hex(4)}"
    os.symlink(os.path.relpath(generation, home.index_dir), link)
    os.replace(link, home.current)
    fsync_dir(home.index_dir)


def publish(home: IndexHome, catalog: Catalog, staging: Path, name: str) -> Path:
    """Commit the staged catalog, make the staging folder a generation, switch to it."""
    pause_point("catalog-commit")
    catalog.commit()
    catalog.publishable()
    catalog.close()
    fsync_dir(staging)
    final = home.generations / name
    os.replace(staging, final)
    pause_point("switch")
    switch_current(home, final)
    return final
