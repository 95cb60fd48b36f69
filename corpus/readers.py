"""Files and folders → articles, with every unreadable item reported and skipped.

One bad file must not stop an index build over thousands, so nothing here raises for
bad input: each problem becomes a ``Problem`` (where + what, one line) and reading
goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from .cleaning import parse_news_text
from .dates import parse_date
from .errors import CorpusError
from .htmlpages import parse_html
from .model import Article, Problem, id_problem
from .outlets import canonical_outlet
from .sidecar import apply_sidecar, is_sidecar

SUFFIXES = (".txt", ".jsonl", ".html", ".htm")
_JSONL_OPTIONAL = ("title", "source", "url", "published")


@dataclass(slots=True)
class ReadResult:
    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def bundled_corpus_dir() -> Path:
    """The folder of articles shipped with the package (the default corpus)."""
    return Path(__file__).resolve().parent / "bundled"


def _files_in(folder: Path) -> Iterator[Path]:
    """Article files under ``folder``: recursive, sorted, hidden entries and sidecars
    skipped. A broken link is yielded too, so reading it reports it instead of the file
    silently vanishing from the corpus."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.suffix.lower() in SUFFIXES and not is_sidecar(path) and not path.is_dir():
            yield path


def _read_text(path: Path, problems: list[Problem]) -> str | None:
    """The file's text (UTF-8, BOM allowed), or ``None`` with the reason recorded."""
    try:
        data = path.read_bytes()
    except PermissionError:
        problems.append(Problem(str(path), "cannot read: permission denied"))
        return None
    except OSError as err:
        problems.append(Problem(str(path), f"cannot read: {err.strerror or err}"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(Problem(str(path), "not UTF-8 text"))
        return None
    if not text.strip():
        problems.append(Problem(str(path), "empty file"))
        return None
    return text


def _read_page(path: Path, problems: list[Problem]) -> Iterator[Article]:
    """A .txt or .html page: one article, id = file stem, sidecar overrides applied."""
    text = _read_text(path, problems)
    if text is None:
        return
    parse = parse_html if path.suffix.lower() in (".html", ".htm") else parse_news_text
    try:
        article = parse(text, path.stem)
    except CorpusError as err:
        problems.append(Problem(str(path), str(err).removeprefix(f"{path.stem}: ")))
        return
    article, sidecar_problems = apply_sidecar(article, path)
    problems.extend(sidecar_problems)
    yield replace(article, origin=str(path))


def _jsonl_article(record: object, where: str, problems: list[Problem]) -> Article | None:
    if not isinstance(record, dict):
        problems.append(Problem(where, "expected a JSON object"))
        return None
    missing = [key for key in ("id", "text") if key not in record]
    if missing:
        problems.append(Problem(where, f"missing {' and '.join(repr(k) for k in missing)}"))
        return None
    article_id, text = record["id"], record["text"]
    if not isinstance(article_id, str):
        problems.append(Problem(where, "'id' must be a string"))
        return None
    if not isinstance(text, str) or not text.strip():
        problems.append(Problem(where, "'text' must be a non-empty string"))
        return None
    meta: dict[str, str | None] = {}
    for key in _JSONL_OPTIONAL:
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(Problem(where, f"{key!r} must be a string or null; ignored"))
            value = None
        meta[key] = (value.strip() or None) if isinstance(value, str) else None
    if meta["published"] is not None:
        iso = parse_date(meta["published"])
        if iso is None:
            problems.append(Problem(where, f"published {meta['published']!r} is not a date; "
                                           "ignored"))
        meta["published"] = iso
    if meta["source"] is not None:
        meta["source"] = canonical_outlet(meta["source"])
    return Article(id=article_id, text=text.strip(), origin=where, **meta)


def _read_jsonl(path: Path, problems: list[Problem]) -> Iterator[Article]:
    """One article a line; a bad line is reported as ``file.jsonl:LINE`` and skipped."""
    text = _read_text(path, problems)
    if text is None:
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            problems.append(Problem(where, f"not JSON ({err.msg})"))
            continue
        article = _jsonl_article(record, where, problems)
        if article is not None:
            yield article


def _read_file(path: Path, problems: list[Problem]) -> Iterator[Article]:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from _read_jsonl(path, problems)
    elif suffix in SUFFIXES and not is_sidecar(path):
        yield from _read_page(path, problems)
    else:
        problems.append(Problem(str(path), f"unsupported file type; expected one of "
                                           f"{', '.join(SUFFIXES)}"))


def _read_path(path: Path, problems: list[Problem]) -> Iterator[Article]:
    if path.is_dir():
        for file in _files_in(path):
            yield from _read_file(file, problems)
    elif path.is_file() or path.is_symlink():
        yield from _read_file(path, problems)
    elif path.exists():
        problems.append(Problem(str(path), "not a regular file or folder"))
    else:
        problems.append(Problem(str(path), "no such file or folder"))


def read_articles(paths: Iterable[str | Path]) -> ReadResult:
    """Read articles from files and folders (.txt pages, .jsonl, .html/.htm).

    Bad items are reported in ``problems`` and skipped; ids must match
    ``[\\w.:-]{1,128}`` and be unique in the batch (the first one read is kept).
    """
    result = ReadResult()
    first_origin: dict[str, str] = {}
    for raw_path in paths:
        for article in _read_path(Path(raw_path), result.problems):
            where = article.origin or article.id
            problem = id_problem(article.id)
            if problem:
                result.problems.append(Problem(where, problem))
            elif article.id in first_origin:
                result.problems.append(Problem(where, f"duplicate article id {article.id!r} "
                                                      f"(first read from "
                                                      f"{first_origin[article.id]}); skipped"))
            else:
                first_origin[article.id] = where
                result.articles.append(article)
    return result
