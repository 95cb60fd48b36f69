"""Files and folders → articles, with every unreadable item reported and skipped.

One bad file must not stop an index build over thousands, so nothing here raises for
bad input: each problem becomes a ``Problem`` (where + what, one line) and reading
goes on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..prompts.messages import cli_t
from .cleaning import parse_news_text
from .controls import clean_field, strip_controls
from .dates import parse_date
from .errors import CorpusError
from .files import (
    SUFFIXES,
    NotReadable,
    files_in,
    kind_of,
    lines_capped,
    open_regular,
    read_capped,
)
from .htmlpages import parse_html
from .model import Article, Problem, id_problem
from .outlets import canonical_outlet
from .sidecar import apply_sidecar, is_sidecar

__all__ = ["MAX_ARTICLE_BYTES", "SUFFIXES", "ReadResult", "bundled_corpus_dir",
           "read_articles"]

_JSONL_OPTIONAL = ("title", "source", "url", "published")
#: The largest article read (a page file, or one line of a .jsonl), in bytes: 5 MB is
#: a thousand-page book, far more than any news article, while a 50 MB file made 125k
#: passages that took minutes to embed and hours to check. ISNAD_MAX_ARTICLE_BYTES.
MAX_ARTICLE_BYTES = 5_000_000


@dataclass(slots=True)
class ReadResult:
    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def bundled_corpus_dir() -> Path:
    """The folder of articles shipped with the package (the default corpus)."""
    return Path(__file__).resolve().parent / "bundled"


def _clean_text(text: str, where: str, problems: list[Problem]) -> str | None:
    """``text`` without control characters, or None (with the reason) when that leaves
    nothing, or when there were so many that it was never text."""
    if not text.strip():
        problems.append(Problem(where, cli_t("empty_file")))
        return None
    cleaned = strip_controls(text)
    if not cleaned.text.strip():
        problems.append(Problem(where, cli_t("only_controls")))
        return None
    if cleaned.mostly_controls:
        problems.append(Problem(where, cli_t("mostly_controls", removed=f"{cleaned.removed:,}",
                                             total=f"{len(text):,}")))
        return None
    return cleaned.text


def _read_text(path: Path, limit: int, problems: list[Problem]) -> str | None:
    """The file's text (UTF-8, BOM allowed, control characters removed), or ``None``
    with the reason recorded."""
    try:
        data = read_capped(path, limit)
    except NotReadable as err:
        problems.append(Problem(str(path), str(err)))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(Problem(str(path), cli_t("not_utf8")))
        return None
    return _clean_text(text, str(path), problems)


def _parse_html(text: str, article_id: str) -> Article:
    try:
        return parse_html(text, article_id)
    except ImportError as err:
        # trafilatura's justext needs lxml_html_clean, which lxml stopped bundling.
        reason = " ".join(str(err).split())  # lxml's message runs over several lines
        raise CorpusError(f"{article_id}: " + cli_t("html_needs_clean", reason=reason)) \
            from err


def _read_page(path: Path, limit: int, problems: list[Problem]) -> Iterator[Article]:
    """A .txt or .html page: one article, id = file stem, sidecar overrides applied."""
    text = _read_text(path, limit, problems)
    if text is None:
        return
    parse = _parse_html if path.suffix.lower() in (".html", ".htm") else parse_news_text
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
        problems.append(Problem(where, cli_t("not_object")))
        return None
    missing = [key for key in ("id", "text") if key not in record]
    if missing:
        problems.append(Problem(where, cli_t("missing_keys",
                                             keys=" and ".join(repr(k) for k in missing))))
        return None
    article_id, text = record["id"], record["text"]
    if not isinstance(article_id, str):
        problems.append(Problem(where, cli_t("id_not_string")))
        return None
    if not isinstance(text, str) or not text.strip():
        problems.append(Problem(where, cli_t("text_not_string")))
        return None
    text = strip_controls(text).text.strip()
    if not text:
        problems.append(Problem(where, cli_t("text_only_controls")))
        return None
    meta: dict[str, str | None] = {}
    for key in _JSONL_OPTIONAL:
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(Problem(where, cli_t("field_not_string", key=key)))
            value = None
        meta[key] = (clean_field(value).strip() or None) if isinstance(value, str) else None
    if meta["published"] is not None:
        iso = parse_date(meta["published"])
        if iso is None:
            problems.append(Problem(where, cli_t("not_a_date", value=repr(meta["published"]))))
        meta["published"] = iso
    if meta["source"] is not None:
        meta["source"] = canonical_outlet(meta["source"])
    return Article(id=article_id, text=text, origin=where, **meta)


def _jsonl_record(line: bytes, where: str, problems: list[Problem]) -> object | None:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(where, cli_t("not_utf8")))
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        problems.append(Problem(where, cli_t("not_json", reason=err.msg)))
    except RecursionError:  # "[[[[…" deeper than the parser's recursion limit
        problems.append(Problem(where, cli_t("too_deep")))
    except ValueError as err:  # e.g. an integer of more digits than Python converts
        problems.append(Problem(where, cli_t("unusable_json", reason=err)))
    return None


def _read_jsonl(path: Path, limit: int, problems: list[Problem]) -> Iterator[Article]:
    """One article a line; a bad line is reported as ``file.jsonl:LINE`` and skipped.

    Read line by line (a big export is never held whole), split at "\n" only: the
    characters ``str.splitlines`` also splits at (U+2028, U+0085 …) are valid inside a
    JSON string, and ``json.dumps(ensure_ascii=False)`` writes them unescaped."""
    try:
        handle = open_regular(path)
    except NotReadable as err:
        problems.append(Problem(str(path), str(err)))
        return
    any_line = False
    with handle:
        for number, line in lines_capped(handle, limit):
            where = f"{path}:{number}"
            if line is None:
                problems.append(Problem(where, cli_t("line_too_big", limit=f"{limit:,}")))
                any_line = True
                continue
            if number == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark
            if not line.strip():
                continue
            any_line = True
            record = _jsonl_record(line, where, problems)
            if record is not None:
                article = _jsonl_article(record, where, problems)
                if article is not None:
                    yield article
    if not any_line:
        problems.append(Problem(str(path), cli_t("empty_file")))


def _read_file(path: Path, limit: int, problems: list[Problem]) -> Iterator[Article]:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from _read_jsonl(path, limit, problems)
    elif suffix in SUFFIXES and not is_sidecar(path):
        yield from _read_page(path, limit, problems)
    else:
        problems.append(Problem(str(path), cli_t("unsupported", suffixes=", ".join(SUFFIXES))))


def _read_guarded(path: Path, limit: int, problems: list[Problem]) -> Iterator[Article]:
    """``_read_file``, with anything unforeseen in one file (a parser's bug, an I/O
    error halfway) a problem of that file: it never loses the rest of the batch."""
    try:
        yield from _read_file(path, limit, problems)
    except Exception as err:
        error = " ".join(f"{type(err).__name__}: {err}".split())[:300]  # one line
        problems.append(Problem(str(path), cli_t("unexpected_in_file", error=error)))


def _read_path(path: Path, limit: int, problems: list[Problem]) -> Iterator[Article]:
    """A path the user named: a folder is searched (see files.py); a file, or a link
    to one, is read if it is a regular file, wherever it lies (it was asked for)."""
    if path.is_dir():
        for file in files_in(path, problems):
            yield from _read_guarded(file, limit, problems)
    elif path.is_file():
        yield from _read_guarded(path, limit, problems)
    elif os.path.islink(path) and not path.exists():
        problems.append(Problem(str(path), cli_t("broken_link", target=os.readlink(path))))
    elif path.exists():
        problems.append(Problem(str(path), cli_t("not_regular",
                                                 kind=kind_of(path.stat().st_mode))))
    else:
        problems.append(Problem(str(path), cli_t("no_such_path")))


def read_articles(paths: Iterable[str | Path],
                  max_bytes: int = MAX_ARTICLE_BYTES) -> ReadResult:
    """Read articles from files and folders (.txt pages, .jsonl, .html/.htm).

    Bad items are reported in ``problems`` and skipped; ids must match
    ``[\\w.:-]{1,128}`` and be unique in the batch (the first one read is kept). A
    page file, or a .jsonl line, over ``max_bytes`` is not read.
    """
    result = ReadResult()
    first_origin: dict[str, str] = {}
    for raw_path in paths:
        for article in _read_path(Path(raw_path), max_bytes, result.problems):
            where = article.origin or article.id
            problem = id_problem(article.id)
            if problem:
                result.problems.append(Problem(where, problem))
            elif article.id in first_origin:
                result.problems.append(Problem(where, cli_t(
                    "duplicate_id", article_id=repr(article.id),
                    first=first_origin[article.id])))
            else:
                first_origin[article.id] = where
                result.articles.append(article)
    return result
