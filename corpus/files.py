"""Which files a folder holds, and opening one as a regular file only.

Input folders come from scrapers and shared drives, so they can hold what a reader
must never open: a FIFO (opening it waits forever for a writer), a device (/dev/zero
never ends), a symbolic link to a file elsewhere (/etc/passwd, a file with a token:
quoted to whoever asks). So a folder's links are only followed where they stay inside
that folder, only regular files are read, and a file is read up to a size limit, never
whole before its size is known. Each item passed over is reported, never silently
dropped: an unreadable subfolder is a problem too (``Path.rglob`` skips it silently).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ..prompts.messages import cli_t
from .model import Problem
from .sidecar import is_sidecar

SUFFIXES = (".txt", ".jsonl", ".html", ".htm")


class NotReadable(Exception):
    """A path that is not opened; the message says why, for a ``Problem``."""


def reason(err: OSError) -> str:
    if isinstance(err, PermissionError):
        return cli_t("permission_denied")
    return cli_t("cannot_read", reason=err.strerror or err)


def _is_article_name(name: str) -> bool:
    return Path(name).suffix.lower() in SUFFIXES and not is_sidecar(Path(name))


def _inside(target: str, folder: str) -> bool:
    return os.path.commonpath([target, folder]) == folder


def files_in(folder: Path, problems: list[Problem]) -> Iterator[Path]:
    """Article files under ``folder``, depth first in name order (the order of sorted
    paths). Hidden entries and sidecars are passed over; so are files of other types,
    as the folder may hold anything. Links to files inside ``folder`` are read there,
    links out of it are reported and not followed, links to folders are not followed
    (inside, their files are read where they are; outside, they are not ours)."""
    yield from _walk(folder, os.path.realpath(folder), problems)


def _walk(folder: Path, root: str, problems: list[Problem]) -> Iterator[Path]:
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as err:
        problems.append(Problem(str(folder), cli_t("folder_unreadable",
                                                   reason=err.strerror or err)))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            if entry.is_symlink():
                if _is_article_name(entry.name) or entry.is_dir():
                    yield from _link(path, root, problems)
            elif entry.is_dir(follow_symlinks=False):
                yield from _walk(path, root, problems)
            elif _is_article_name(entry.name):
                yield path
        except OSError as err:  # removed or made unreadable while listing
            problems.append(Problem(str(path), reason(err)))


def _link(path: Path, root: str, problems: list[Problem]) -> Iterator[Path]:
    target = os.path.realpath(path)
    if not os.path.lexists(target):
        problems.append(Problem(str(path), cli_t("broken_link", target=os.readlink(path))))
    elif not _inside(target, root):
        problems.append(Problem(str(path), cli_t("link_outside", target=target, folder=root)))
    elif not os.path.isdir(target) and _is_article_name(path.name):
        yield path


def kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return cli_t("kind_fifo")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return cli_t("kind_device")
    if stat.S_ISSOCK(mode):
        return cli_t("kind_socket")
    return cli_t("kind_other")


def open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading if it is a regular file; else ``NotReadable``.

    Opened non-blocking, then checked on the open descriptor: a FIFO put in place of a
    file after a ``stat`` neither hangs the open nor gets read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        target = os.readlink(path) if os.path.islink(path) else None
        raise NotReadable(cli_t("broken_link", target=target) if target is not None
                          else cli_t("no_such_path")) from None
    except OSError as err:
        raise NotReadable(reason(err)) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotReadable(cli_t("not_regular", kind=kind_of(mode)))
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_capped(path: Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them (else
    ``NotReadable``): a huge file is refused after reading ``limit`` bytes, not all."""
    with open_regular(path) as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as err:
            raise NotReadable(reason(err)) from None
    if len(data) > limit:
        raise NotReadable(cli_t("too_big", limit=f"{limit:,}"))
    return data


def lines_capped(handle: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line without its "\\n") of an open file, split at b"\\n" only, so
    U+2028 and U+0085 inside a JSON string never cut a line. A line over ``limit``
    bytes is given as None and skipped without being held in memory."""
    number = 0
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        number += 1
        if line.endswith(b"\n"):
            yield number, line[:-1]
        elif len(line) <= limit:  # the last line, without a final line break
            yield number, line
        else:
            while (rest := handle.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield number, None
