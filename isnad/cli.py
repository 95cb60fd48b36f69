"""The `isnad` command: ask, chat, index, articles, eval, bot, models.

Errors a user can act on print one line to stderr and exit 2 (bad input) or 1 (an
index or model problem); no traceback reaches the terminal unless ISNAD_DEBUG=1.
Output meant for people (tables, wrapped quotes) is written only to a terminal; a
pipe or a file gets plain lines a script can read (TSV, JSON, verbatim quotes).
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.filesize import decimal as human_size
from typer.core import TyperGroup

from isnad.corpus import ReadResult
from isnad.embeddings import KNOWN_MODELS, EncoderError, canonical_model_name
from isnad.prompts import cli_t, t
from isnad.prompts.eval import eval_text as eval_t
from isnad.retrieval import (
    IndexMissing,
    IndexProblem,
    IndexView,
    QuestionError,
    ReaderError,
    UpdateReport,
    prepare_question,
)

from . import __version__
from . import app as wiring
from .chat import Chat, run_chat
from .errors import UserError
from .render import render_answer, terminal_width
from .settings import Settings, env_name, invalid_setting
from .tables import format_table


def settings_help(*fields: str, bot: bool = False) -> str:
    """The epilog of a command's --help: each setting it reads, with what it means."""
    lines = ["Settings (environment variables, or a .env file in the working directory):"]
    if "home" in fields:  # where the index is: ISNAD_HOME, or PostgreSQL when set
        fields = tuple(dict.fromkeys([*fields, "database_url", "database_read_url"]))
    lines += [f"{env_name(f)}: {Settings.model_fields[f].description}" for f in fields]
    if bot:
        from isnad.bot.config import BotSettings

        for name, field in BotSettings.model_fields.items():
            meaning = field.description or "see the README's bot settings"
            lines.append(f"ISNAD_BOT_{name.upper()}: {meaning} (default {field.default})")
    lines.append("ISNAD_DEBUG=1: show the traceback of an unexpected error")
    return "\n\n".join(lines)


ENGINE = ("home", "model", "query_adapter", "reader", "windows", "top", "max_question_chars",
          "corpus", "max_article_bytes")
HELP = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(help="Isnad: ask Arabic news, get verbatim, attributed quotes.",
                  no_args_is_help=True, pretty_exceptions_enable=False,
                  context_settings=HELP, rich_markup_mode="markdown",
                  epilog="Each command's --help lists the settings (ISNAD_*) it reads. "
                         "Shell completion: isnad --install-completion.")
index_app = typer.Typer(help="Build and inspect the index.", no_args_is_help=True,
                        context_settings=HELP, rich_markup_mode="markdown")
articles_app = typer.Typer(help="The indexed articles.", no_args_is_help=True,
                           context_settings=HELP, rich_markup_mode="markdown")
app.add_typer(index_app, name="index")
app.add_typer(articles_app, name="articles")


def _print_version(value: bool) -> None:
    if value:
        try:
            number = version("isnad")
        except PackageNotFoundError:  # run from a source tree that was never installed
            number = __version__
        typer.echo(f"isnad {number}")
        raise typer.Exit()


@app.callback()
def main_options(
    show_version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="Print Isnad's version and exit.")] = False,
) -> None:
    """Isnad: ask Arabic news, get verbatim, attributed quotes."""

TopOption = Annotated[int | None, typer.Option("--top", "-n", min=1, max=20,
                                               help="Quotes per answer (default 3).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise UserError(invalid_setting(exc)) from None


def _err(message: str) -> None:
    typer.echo(f"isnad: {message}", err=True)


@app.command(epilog=settings_help(*ENGINE))
def ask(
    question: Annotated[str, typer.Argument(help="The question; '-' reads one per line "
                                                 "from stdin.")],
    as_json: JsonOption = False,
    top: TopOption = None,
) -> None:
    """Answer QUESTION with verbatim, attributed quotes (or say there is none)."""
    settings = _settings()
    question = _repaired(question)
    if question != "-":
        # A question that cannot be asked is refused before any model loads.
        prepare_question(question, settings.max_question_chars)
    engine = wiring.open_engine(settings, progress=True)
    n = top or settings.top
    terminal = sys.stdout.isatty()
    if question != "-":
        answer = engine.ask(question, top=n)
        typer.echo(answer.to_json() if as_json else render_answer(answer, terminal))
        return
    failures = 0
    for line in _stdin_lines():
        if not line.strip():
            continue
        try:
            answer = engine.ask(line, top=n)
            typer.echo(answer.to_json() if as_json else render_answer(answer, terminal) + "\n")
        except QuestionError as exc:
            # One bad line must not lose the answers to the others.
            failures += 1
            message = t(exc.key, exc.language, **exc.params)
            if as_json:
                typer.echo(json.dumps({"question": line[:200], "error": message},
                                      ensure_ascii=False))
            else:
                _err(message)
    if failures:
        raise typer.Exit(2)


def _repaired(text: str) -> str:
    """An argument as UTF-8 text: bytes that are not UTF-8 reach Python as lone
    surrogates (surrogateescape), which no output can encode; each becomes U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _stdin_lines() -> Iterator[str]:
    """Questions from stdin, one a line: read as bytes, split at b"\\n" only and decoded
    one line at a time with replacement, so neither invalid UTF-8 on one line nor a
    non-UTF-8 locale (LC_ALL=C) loses the others."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream without bytes under it (tests, embedding)
        yield from (line.rstrip("\r\n") for line in sys.stdin)
        return
    for number, raw in enumerate(stream):
        if number == 0:
            raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark
        yield raw.decode("utf-8", "replace").rstrip("\r\n")


@app.command(epilog=settings_help(*ENGINE))
def chat(top: TopOption = None) -> None:
    """Ask one question after another on one loaded model; :more shows further quotes,
    :context N the sentences around quote N, :help the rest. On a terminal, arrow keys
    edit the line and recall earlier questions (kept in ISNAD_HOME/chat-history)."""
    settings = _settings()
    engine = wiring.open_engine(settings)
    typer.echo(t("chat_intro", "en") + "\n" + t("chat_intro", "ar"))
    chat_session = Chat(engine, top or settings.top, terminal=sys.stdout.isatty())
    run_chat(chat_session, settings.home / "chat-history", typer.echo)


def _print_update(report: UpdateReport, model: str, as_json: bool = False) -> None:
    """What a write did, one line per article that was not simply indexed."""
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    for warning in report.warnings:
        _err(f"warning: {warning}")
    for problem in report.problems:
        _err(f"skipped {problem}")
    for duplicate in report.duplicates:
        typer.echo(f"duplicate {duplicate}", err=True)
    for article_id in report.not_found:
        _err(f"not indexed, nothing to remove: {article_id}")
    counts = [f"{len(v)} {k}" for k, v in (("added", report.added),
                                           ("replaced", report.replaced),
                                           ("removed", report.removed),
                                           ("unchanged", report.unchanged),
                                           ("duplicates", report.duplicates)) if v]
    if not report.changed:
        typer.echo("nothing changed" + (f" ({', '.join(counts)})" if counts else "") +
                   f"; the index has {report.articles} articles")
        return
    typer.echo(f"{', '.join(counts) or 'rewritten'}: now {report.articles} articles, "
               f"{report.passages} passages ({model}) in {report.seconds:.1f} s "
               f"({report.embedded} texts embedded in {report.encode_seconds:.1f} s, "
               f"{report.cached} from cache)")


def _read_or_fail(sources: list[Path], settings: Settings) -> ReadResult:
    result = wiring.read_corpus(sources, settings.max_article_bytes)
    if not result.articles:
        for problem in result.problems:
            _err(f"skipped {problem}")
        raise UserError("no readable articles in " + ", ".join(map(str, sources)))
    return result


@index_app.command("build", epilog=settings_help("home", "model", "windows", "corpus",
                                                "max_article_bytes"))
def index_build(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Files, folders or .jsonl (default: ISNAD_CORPUS or the bundled corpus).")] = None,
) -> None:
    """Build a fresh index of PATHS only, and switch to it (the old one serves until
    then). To add articles to the index instead, use `isnad index add`."""
    settings = _settings()
    sources = wiring.corpus_paths(settings, paths or [])
    result = _read_or_fail(sources, settings)
    encoder = wiring.load_encoder(settings)
    report = wiring.build(settings, encoder, result)
    _print_update(report, encoder.name)
    if report.problems:
        raise typer.Exit(1)


@index_app.command("add", epilog=settings_help("home", "model", "windows",
                                              "max_article_bytes"))
def index_add(
    paths: Annotated[list[Path], typer.Argument(
        help="Files, folders, .jsonl or HTML pages to add.")],
    as_json: JsonOption = False,
) -> None:
    """Add new and changed articles; unchanged ones and duplicates are skipped (nothing
    is embedded twice). Exit 1 if some input could not be read (the rest is added)."""
    settings = _settings()
    result = _read_or_fail(paths, settings)
    wiring.refuse_other_model(settings)
    encoder = wiring.load_encoder(settings)
    report = wiring.add(settings, encoder, result, progress=not as_json)
    _print_update(report, encoder.name, as_json)
    if report.problems:
        raise typer.Exit(1)


@index_app.command("remove", epilog=settings_help("home", "model"))
def index_remove(
    article_ids: Annotated[list[str], typer.Argument(help="Ids of the articles to remove.")],
) -> None:
    """Remove articles by id (see `isnad articles list`). Exit 1 if an id is unknown."""
    settings = _settings()
    wiring.refuse_other_model(settings)
    encoder = wiring.load_encoder(settings)
    report = wiring.remove(settings, encoder, article_ids)
    _print_update(report, encoder.name)
    if report.not_found:
        raise typer.Exit(1)


@index_app.command("rebuild", epilog=settings_help("home", "model", "windows"))
def index_rebuild() -> None:
    """Index the stored articles again from scratch, e.g. after changing ISNAD_MODEL
    (vectors already in the cache for that model are reused)."""
    settings = _settings()
    articles = wiring.stored_articles(settings)  # before a model loads: none, if no index
    encoder = wiring.load_encoder(settings)
    report = wiring.rebuild(settings, encoder, articles)
    _print_update(report, encoder.name)


@index_app.command("status", epilog=settings_help("home"))
def index_status(as_json: JsonOption = False) -> None:
    """Articles, passages, model, last change and size on disk of the current index: a
    table on a terminal, `key: value` lines (size in bytes) when piped, or JSON."""
    stats = wiring.status(_settings())
    status = stats.to_dict()
    if as_json:
        typer.echo(json.dumps(status, ensure_ascii=False))
    elif sys.stdout.isatty():
        rows = [("size on disk", human_size(stats.bytes)) if key == "bytes" else (key, str(value))
                for key, value in status.items()]
        typer.echo(format_table(rows, width=terminal_width()))
    else:
        for key, value in status.items():
            typer.echo(f"{key:>9}: {value}")


@index_app.command("verify", epilog=settings_help("home", "model"))
def index_verify(
    skip_model: Annotated[bool, typer.Option(
        "--skip-model", help="Do not load the configured model to compare fingerprints.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Check that every vector has its catalog row and back, that all files load, and
    that the index was built with the configured model. Exit 1 on damage."""
    report = wiring.verify(_settings(), skip_model)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        if not report.ok:
            raise typer.Exit(1)
        return
    if report.ok:
        segments = f" in {report.segments} segments" if report.segments else ""
        typer.echo(f"ok: {report.articles} articles, {report.passages} passages, "
                   f"{report.sentences} sentences{segments} ({report.generation})")
        return
    for problem in report.problems:
        _err(problem)
    if not (report.missing or report.model_only):  # those problems say what to run
        _err(cli_t("repair_" + report.backend))
    raise typer.Exit(1)


@index_app.command("recover", epilog=settings_help("home"))
def index_recover() -> None:
    """Switch back to the newest complete kept version of the index when its `current`
    link was deleted, or points at a removed or damaged version (a write keeps the
    version before the current one). Nothing is embedded; exit 1 if no kept version
    is complete."""
    recovery, articles = wiring.recover(_settings())
    if not recovery.changed:
        typer.echo(cli_t("recover_not_needed", generation=recovery.generation))
        return
    typer.echo(cli_t("recovered", generation=recovery.generation, articles=articles,
                     previous=recovery.previous or "missing"))


@index_app.command("watch", epilog=settings_help("home", "model", "windows",
                                                "max_article_bytes"))
def index_watch(
    folder: Annotated[Path, typer.Argument(help="Folder to watch for new or changed files.")],
    interval: Annotated[float, typer.Option(min=0.2, help="Seconds between scans.")] = 2.0,
    once: Annotated[bool, typer.Option(
        "--once", help="Index what is in FOLDER now, then exit.")] = False,
) -> None:
    """Add articles dropped into FOLDER (and changed files again) until Ctrl-C. A file
    is read once its size and time stop changing; deleting a file removes nothing."""
    from .watch import watch_folder

    if not folder.is_dir():
        raise UserError(f"{folder} is not a folder")
    settings = _settings()
    wiring.refuse_other_model(settings)
    encoder = wiring.load_encoder(settings)
    watch_folder(settings, encoder, folder, interval, once, echo=typer.echo)


def _open_index() -> IndexView:
    settings = _settings()
    if not wiring.storage(settings).exists():
        wiring.open_engine(settings)  # first use: build the default corpus
    return wiring.read_index(settings)


# What the articles commands read when they build the index on first use.
FIRST_USE = ("home", "model", "windows", "corpus", "max_article_bytes")


@articles_app.command("list", epilog=settings_help(*FIRST_USE))
def articles_list(as_json: JsonOption = False) -> None:
    """The indexed articles (id, outlet, date, title): a table on a terminal, one
    tab-separated line each when piped, or JSON lines."""
    articles = _open_index().articles()
    if as_json:
        for article in articles:
            typer.echo(json.dumps({k: v for k, v in article.to_dict().items() if k != "text"},
                                  ensure_ascii=False))
        return
    rows = [(a.id, a.source or "-", a.published or "-", a.title or "-") for a in articles]
    if sys.stdout.isatty():
        typer.echo(format_table(rows, headers=("id", "outlet", "date", "title"),
                                width=terminal_width(), bold=not os.environ.get("NO_COLOR")))
        return
    for row in rows:
        typer.echo("\t".join(row))


@articles_app.command("show", epilog=settings_help(*FIRST_USE))
def articles_show(
    article_id: Annotated[str, typer.Argument(
        help="The article's id, as `isnad articles list` and every quote show it.")],
    as_json: JsonOption = False,
) -> None:
    """One article with its metadata and clean text (the text quotes are cut from)."""
    article = _open_index().article(article_id)
    if article is None:
        raise UserError(f"no article with id {article_id!r}; see `isnad articles list`")
    if as_json:
        typer.echo(json.dumps(article.to_dict(), ensure_ascii=False))
        return
    for key, value in article.metadata().items():
        typer.echo(f"{key}: {value if value is not None else '-'}")
    typer.echo("\n" + article.text)


class _EvalGroup(TyperGroup):
    """`isnad eval FILE …` runs an evaluation (the `run` command, named or not);
    `isnad eval compare A B` compares two runs."""

    # ctx is typer's own click Context (typer vendors click, and which class that is
    # moved between typer versions), passed through untouched.
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands:
            args = ["run", *args]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(cls=_EvalGroup, no_args_is_help=True,
                       help="Measure answer quality on a QA set, and compare two runs.")
app.add_typer(eval_app, name="eval")


@eval_app.command("run", epilog=settings_help("home", "model", "reader", "windows"),
                  short_help="Evaluate on a QA set (`isnad eval FILE` for short).")
def evaluate(
    file: Annotated[Path, typer.Argument(help="QA set: Isnad JSONL or SQuAD/XQuAD JSON.")],
    questions: Annotated[Path | None, typer.Option(
        help="Parallel SQuAD file whose questions replace FILE's (same ids), e.g. English "
             "questions on Arabic paragraphs.")] = None,
    corpus: Annotated[list[Path] | None, typer.Option(
        help="Articles a JSONL set is about (default: the bundled corpus); for a SQuAD "
             "set, distractor articles indexed beside its paragraphs.")] = None,
    top: TopOption = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the report as JSON (what `isnad eval compare` reads).")] = False,
    limit: Annotated[int | None, typer.Option(help="Only the first N questions.")] = None,
    details: Annotated[Path | None, typer.Option(
        help="Write one JSON line per question: question, language, gold, ranked quotes, "
             "outcome (hit, miss; abstained, answered for unanswerable ones).")] = None,
    report: Annotated[Path | None, typer.Option(
        help="Write a Markdown report with tables and PNG plots into this folder, beside "
             "eval.json (needs matplotlib, the optional extra `report`).")] = None,
) -> None:
    """Recall@1/5/10, MRR@10, answer-in-quote@k and abstentions on a QA set, overall and
    per question language, with the model, reader, Isnad version, date and timing.
    Compare two runs saved with --json (or --report): `isnad eval compare A.json B.json`."""
    from . import eval_report
    from .evaluate import evaluate_set, write_details

    # Everything that can be refused is refused before the model loads.
    if report is not None:
        eval_report.require_matplotlib()
    _prepare_outputs(details, report)
    settings = _settings()
    evaluation = evaluate_set(settings, file, questions, corpus or [], top or 3, limit)
    if details is not None:
        write_details(details, evaluation.rows)
        typer.echo(eval_t("wrote", path=details), err=True)
    if report is not None:
        written = eval_report.write_report(report, evaluation.report, evaluation.rows)
        typer.echo(eval_t("wrote", path=written), err=True)
    if as_json:
        typer.echo(json.dumps(evaluation.report, ensure_ascii=False))
    else:
        typer.echo(eval_report.summary_text(evaluation.report))


def _prepare_outputs(details: Path | None, report: Path | None) -> None:
    if details is not None and details.is_dir():
        raise UserError(eval_t("details_is_folder", path=details))
    if report is not None and report.exists() and not report.is_dir():
        raise UserError(eval_t("report_is_file", path=report))
    for folder in (details.parent if details else None, report):
        if folder is None:
            continue
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(eval_t("cannot_write", path=folder,
                                   reason=exc.strerror or exc)) from None


@eval_app.command("compare", short_help="Questions gained and lost between two runs, "
                                         "and the change of every figure.")
def eval_compare(
    a: Annotated[Path, typer.Argument(help="The earlier run: `isnad eval --json` output, a "
                                           "--report folder or a bench/results file.")],
    b: Annotated[Path, typer.Argument(help="The later run, of the same kind.")],
    as_json: JsonOption = False,
) -> None:
    """Which questions B gained and lost against A (by question id), what changed in
    abstention, and every figure of A and B with the difference."""
    from .eval_compare import compare_files, render_comparison

    diff = compare_files(a, b)
    typer.echo(json.dumps(diff, ensure_ascii=False) if as_json
               else render_comparison(diff, a, b))


@app.command(epilog=settings_help(*ENGINE, "telegram_bot_token", "telegram_base_url",
                                  "admin_ids", "database_url", bot=True))
def bot(
    webhook_url: Annotated[str | None, typer.Option(
        envvar="ISNAD_WEBHOOK_URL",
        help="Serve a webhook at this public https URL instead of long polling.")] = None,
    webhook_secret: Annotated[str | None, typer.Option(
        envvar="ISNAD_WEBHOOK_SECRET",
        help="Secret Telegram sends with each update (default: random per start).")] = None,
    listen: Annotated[str, typer.Option(help="Webhook: address to listen on.")] = "0.0.0.0",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Webhook: port.")] = 8443,
    base_url: Annotated[str | None, typer.Option(
        help="Bot API server root, e.g. http://127.0.0.1:8081 (default: "
             "ISNAD_TELEGRAM_BASE_URL or Telegram's).")] = None,
) -> None:
    """Run the Telegram bot (token from TELEGRAM_BOT_TOKEN; get one from @BotFather)."""
    from isnad.bot.app import run_bot

    raise typer.Exit(run_bot(_settings(), webhook_url, webhook_secret, listen, port, base_url))


@app.command(epilog=settings_help("home", "model", "query_adapter", "reader"))
def models() -> None:
    """The embedding models Isnad knows by short name; * marks the one in use
    (ISNAD_MODEL); then the query adapter questions go through (ISNAD_QUERY_ADAPTER)
    and the reader (ISNAD_READER)."""
    from isnad.embeddings import query_adapter
    from isnad.retrieval.reader import ReaderError, reader_in_use

    settings = _settings()
    in_use = canonical_model_name(settings.model)
    for name, description in KNOWN_MODELS.items():
        typer.echo(f"{'*' if name == in_use else ' '} {name:18} {description}")
    if in_use not in KNOWN_MODELS:
        typer.echo(f"* {in_use:18} (ISNAD_MODEL: a sentence-transformers hub name or folder)")
    try:
        adapter = query_adapter.resolve(settings.query_adapter, in_use)
    except EncoderError as exc:
        typer.echo(f"Query adapter: {exc}")
    else:
        shipped = adapter is not None and adapter.parent == query_adapter.bundled_adapters()
        typer.echo("Query adapter: " + (
            "none (questions are embedded by the model alone)" if adapter is None else
            f"{adapter.name} (shipped with Isnad)" if shipped else str(adapter)))
        try:
            typer.echo("Reader: " + reader_in_use(settings.reader, in_use,
                                                  adapter.name if adapter else None))
        except ReaderError as exc:
            typer.echo(f"Reader: {exc}")
    indexed = wiring.other_indexed_model(settings)
    if indexed is not None:
        typer.echo(f"The index in {settings.index_home.root} was built with {indexed}: "
                   f"`ISNAD_MODEL={in_use} isnad index rebuild` to use {in_use}.")


def _utf8_output() -> None:
    """Write UTF-8 whatever the locale: the answers are Arabic, which a C or Latin-1
    locale cannot encode, and the JSON contract is UTF-8. A character that cannot be
    encoded (a lone surrogate) becomes "?" instead of ending the output."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(encoding="utf-8", errors="replace")


def main(args: list[str] | None = None) -> None:
    """The ``isnad`` command (``args``: the arguments, default the command line's)."""
    _utf8_output()
    try:
        app(args=args, prog_name="isnad")
    except UserError as exc:
        _err(str(exc))
        sys.exit(exc.exit_code)
    except QuestionError as exc:
        _err(t(exc.key, exc.language, **exc.params))
        sys.exit(2)
    except IndexMissing as exc:
        _err(str(exc))
        sys.exit(1)
    except (IndexProblem, EncoderError, ReaderError) as exc:
        _err(str(exc))
        sys.exit(1)
    except ValidationError as exc:  # the bot's own settings, read where it starts
        _err(invalid_setting(exc))
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("ISNAD_DEBUG"):
            raise
        _err(f"unexpected error ({type(exc).__name__}: {str(exc)[:300]}); "
             "run again with ISNAD_DEBUG=1 for details")
        sys.exit(1)
