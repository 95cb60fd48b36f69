"""Folders and files under ISNAD_HOME that only their owner can read.

The index holds every article and where it came from, the embedding cache what was
indexed, the bot's state the questions people asked: nothing for other users of the
machine. So folders Isnad creates are 0700 and files 0600, whatever the umask (which
``mkdir`` and ``open`` apply to the mode they are given, hence the ``chmod`` after).
Files written by libraries (SQLite, FAISS, bm25s) are made private before they are
renamed into place; the folder they are written in is private from the start, so no
one else can open them in between. bot/store.py does the same for bot.sqlite.
"""

from __future__ import annotations

import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path, tighten: bool = False) -> Path:
    """``path`` as a folder only its owner can enter: created with any missing parents,
    each 0700. An existing one is made so with ``tighten`` (Isnad's own folders: index/,
    cache/, models/, made 0755 by an older Isnad), never otherwise: an ISNAD_HOME that
    someone shares on purpose stays as they made it."""
    missing: list[Path] = []
    parent = path
    while not parent.exists() and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    for folder in [*missing, path] if tighten else missing:
        os.chmod(folder, FOLDER_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty if it does not exist, and make it readable by its owner
    only (before SQLite opens it: its -wal, -shm and -journal files take its mode)."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE))
    os.chmod(path, FILE_MODE)
    return path


def private_tree(folder: Path) -> None:
    """Every folder under ``folder`` (itself included) 0700 and every file 0600: for
    what a library wrote, before it is renamed into place. Links are left alone."""
    os.chmod(folder, FOLDER_MODE)
    for root, dirs, files in os.walk(folder):
        for name, mode in [(d, FOLDER_MODE) for d in dirs] + [(f, FILE_MODE) for f in files]:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, mode)
