"""``isnad index watch DIR``: index articles dropped into a folder.

Polling, not inotify: it works the same on every OS and on network folders, and a
scan of a few thousand files every two seconds costs nothing. A file is read once its
size and modification time are the same in two scans in a row, so a file still being
copied is not indexed half-written (and is indexed again, as a changed article, if it
changes later). Hidden and temporary names (``.x``, ``x~``, ``x.tmp``, ``x.part``)
are ignored, so a scraper can write ``x.tmp`` and rename it. The folder is listed by
the same rules as ``isnad index add FOLDER`` (corpus/files.py: no links out of it,
unreadable subfolders reported), and each such problem is said once, not every scan.
One bad file, or one bad line, is one problem: the watcher goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from isnad.corpus import Problem
from isnad.corpus.files import files_in
from isnad.embeddings import Encoder
from isnad.prompts.messages import cli_t
from isnad.retrieval import IndexBusy, IndexProblem

from . import app as wiring
from .settings import Settings

Signature = tuple[int, int]  # size, mtime in ns


class FolderScanner:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._last: dict[Path, Signature] = {}
        self._done: dict[Path, Signature] = {}
        self._listing_problems: set[str] = set()
        #: Problems of the last scan's listing that the scan before did not have.
        self.new_problems: list[Problem] = []

    def _scan(self) -> dict[Path, Signature]:
        found: dict[Path, Signature] = {}
        problems: list[Problem] = []
        for path in files_in(self.folder, problems):
            try:
                stat = path.stat()
            except OSError:  # removed between listing and stat
                continue
            found[path] = (stat.st_size, stat.st_mtime_ns)
        self.new_problems = [p for p in problems if str(p) not in self._listing_problems]
        self._listing_problems = {str(p) for p in problems}
        return found

    def ready(self) -> list[Path]:
        """Files new or changed since they were last indexed, and settled."""
        now = self._scan()
        settled = [path for path, sig in now.items()
                   if self._last.get(path) == sig and self._done.get(path) != sig]
        self._last = now
        return sorted(settled)

    def mark_done(self, paths: list[Path]) -> None:
        for path in paths:
            if path in self._last:
                self._done[path] = self._last[path]


def watch_folder(settings: Settings, encoder: Encoder, folder: Path, interval: float,
                 once: bool, echo: Callable[[str], None]) -> None:
    scanner = FolderScanner(folder)
    scanner.ready()  # the first scan only records what is there
    echo(f"watching {folder} every {interval:g} s (Ctrl-C stops)" if not once else
         f"indexing {folder}")
    for problem in scanner.new_problems:
        echo(f"skipped {problem}")
    try:
        while True:
            time.sleep(interval)
            paths = scanner.ready()
            for problem in scanner.new_problems:
                echo(f"skipped {problem}")
            if paths:
                index_files(settings, encoder, scanner, paths, echo)
            if once:
                return
    except KeyboardInterrupt:
        echo("stopped")


def index_files(settings: Settings, encoder: Encoder, scanner: FolderScanner,
                paths: list[Path], echo: Callable[[str], None]) -> None:
    result = wiring.read_corpus(paths, settings.max_article_bytes)
    for problem in result.problems:  # at once: the write may fail or wait a scan
        echo(f"skipped {problem}")
    if not result.articles:
        scanner.mark_done(paths)
        return
    try:
        report = wiring.add(settings, encoder, result, progress=False)
    except IndexBusy:
        echo("another process is writing the index; trying again at the next scan")
        return
    except IndexProblem:
        raise  # the index or the cache cannot be written: the command says how to fix it
    except Exception as exc:  # one batch's unforeseen failure must not end the watch
        scanner.mark_done(paths)
        echo(cli_t("watch_batch_failed", count=len(paths),
                   error=f"{type(exc).__name__}: {str(exc)[:200]}"))
        return
    scanner.mark_done(paths)
    for warning in report.warnings:
        echo(f"warning: {warning}")
    for duplicate in report.duplicates:
        echo(f"duplicate {duplicate}")
    for problem in report.problems[len(result.problems):]:  # the writer's own
        echo(f"skipped {problem}")
    stamp = time.strftime("%H:%M:%S")
    if report.changed:
        echo(f"{stamp} {len(paths)} files: {len(report.added)} added, "
             f"{len(report.replaced)} replaced, {len(report.unchanged)} unchanged; now "
             f"{report.articles} articles ({report.seconds:.1f} s)")
    else:
        echo(f"{stamp} {len(paths)} files: nothing new")
