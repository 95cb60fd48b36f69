"""The `isnad` command: ask, chat, index, articles, eval.

Errors a user can act on print one line to stderr and exit 2 (bad input) or 1 (an
index or model problem); no traceback reaches the terminal unless ISNAD_DEBUG=1.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from isnad.embeddings import KNOWN_MODELS, EncoderError
from isnad.prompts import t
from isnad.retrieval.index import Index, IndexError_, IndexMissing
from isnad.retrieval.question import QuestionError

from . import app as wiring
from .errors import UserError
from .render import render_answer
from .settings import Settings

app = typer.Typer(help="Isnad: ask Arabic news, get verbatim, attributed quotes.",
                  no_args_is_help=True, pretty_exceptions_enable=False,
                  add_completion=False)
index_app = typer.Typer(help="Build and inspect the index.", no_args_is_help=True)
articles_app = typer.Typer(help="The indexed articles.", no_args_is_help=True)
app.add_typer(index_app, name="index")
app.add_typer(articles_app, name="articles")

TopOption = Annotated[int | None, typer.Option("--top", "-n", min=1, max=20,
                                               help="Quotes per answer (default 3).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _settings() -> Settings:
    return Settings()


def _err(message: str) -> None:
    typer.echo(f"isnad: {message}", err=True)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question; '-' reads one per line "
                                                 "from stdin.")],
    as_json: JsonOption = False,
    top: TopOption = None,
) -> None:
    """Answer QUESTION with verbatim, attributed quotes (or say there is none)."""
    settings = _settings()
    engine = wiring.open_engine(settings, progress=True)
    n = top or settings.top
    if question != "-":
        answer = engine.ask(question, top=n)
        typer.echo(answer.to_json() if as_json else render_answer(answer))
        return
    failures = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = engine.ask(line.rstrip("\n"), top=n)
            typer.echo(answer.to_json() if as_json else render_answer(answer) + "\n")
        except QuestionError as exc:
            # One bad line must not lose the answers to the others.
            failures += 1
            message = t(exc.key, exc.language, **exc.params)
            if as_json:
                typer.echo(json.dumps({"question": line.rstrip("\n")[:200], "error": message},
                                      ensure_ascii=False))
            else:
                _err(message)
    if failures:
        raise typer.Exit(2)


@app.command()
def chat() -> None:
    """An interactive question loop on the same engine (the model loads once)."""
    settings = _settings()
    engine = wiring.open_engine(settings)
    typer.echo(t("chat_intro", "en") + "\n" + t("chat_intro", "ar"))
    while True:
        try:
            line = input("\n? ")
        except (EOFError, KeyboardInterrupt):
            typer.echo("")
            return
        if not line.strip():
            return
        try:
            typer.echo(render_answer(engine.ask(line, top=settings.top)))
        except QuestionError as exc:
            typer.echo(t(exc.key, exc.language, **exc.params))


@index_app.command("build")
def index_build(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Files, folders or .jsonl (default: ISNAD_CORPUS or the bundled corpus).")] = None,
) -> None:
    """Build a fresh index and switch to it (the old one serves until then)."""
    settings = _settings()
    sources = wiring.corpus_paths(settings, paths or [])
    result = wiring.read_corpus(sources)
    for problem in result.problems:
        _err(f"skipped {problem}")
    if not result.articles:
        raise UserError("no readable articles in " + ", ".join(map(str, sources)))
    encoder = wiring.load_encoder(settings)
    report = wiring.build(settings.index_home, result.articles, encoder)
    typer.echo(f"indexed {report.articles} articles, {report.passages} passages, "
               f"{report.sentences} sentences with {encoder.name} in {report.seconds:.1f} s "
               f"({report.embedded} texts embedded, {report.cached} from cache) "
               f"→ {settings.index_home.root}")
    if result.problems or report.problems:
        raise typer.Exit(1)


@index_app.command("status")
def index_status(as_json: JsonOption = False) -> None:
    """Articles, passages, model and size of the current index."""
    settings = _settings()
    index = Index(settings.index_home)
    size = sum(p.stat().st_size for p in index.generation.rglob("*") if p.is_file())
    status = {
        "articles": index.catalog.count("articles"),
        "passages": index.catalog.count("passages"),
        "model": index.model,
        "updated": index.catalog.meta("updated"),
        "bytes": size,
        "path": str(index.generation),
    }
    if as_json:
        typer.echo(json.dumps(status, ensure_ascii=False))
    else:
        for key, value in status.items():
            typer.echo(f"{key:>9}: {value}")


def _open_index() -> Index:
    settings = _settings()
    if not settings.index_home.exists():
        wiring.open_engine(settings)  # first use: build the default corpus
    return Index(settings.index_home)


@articles_app.command("list")
def articles_list(as_json: JsonOption = False) -> None:
    """One line per indexed article: id, outlet, date, title."""
    for article in _open_index().catalog.articles():
        if as_json:
            typer.echo(json.dumps({k: v for k, v in article.to_dict().items() if k != "text"},
                                  ensure_ascii=False))
        else:
            typer.echo("\t".join([article.id, article.source or "-", article.published or "-",
                                  article.title or "-"]))


@articles_app.command("show")
def articles_show(article_id: str, as_json: JsonOption = False) -> None:
    """One article with its metadata and clean text (the text quotes are cut from)."""
    article = _open_index().catalog.article(article_id)
    if article is None:
        raise UserError(f"no article with id {article_id!r}; see `isnad articles list`")
    if as_json:
        typer.echo(json.dumps(article.to_dict(), ensure_ascii=False))
        return
    for key, value in article.metadata().items():
        typer.echo(f"{key}: {value if value is not None else '-'}")
    typer.echo("\n" + article.text)


@app.command("eval")
def evaluate(
    file: Annotated[Path, typer.Argument(help="QA set: Isnad JSONL or SQuAD/XQuAD JSON.")],
    questions: Annotated[Path | None, typer.Option(
        help="Parallel SQuAD file whose questions replace FILE's (same ids), e.g. English "
             "questions on Arabic paragraphs.")] = None,
    corpus: Annotated[list[Path] | None, typer.Option(
        help="Articles a JSONL set is about (default: the bundled corpus).")] = None,
    top: TopOption = None,
    as_json: JsonOption = False,
    limit: Annotated[int | None, typer.Option(help="Only the first N questions.")] = None,
) -> None:
    """Recall@1/5/10, MRR@10, answer-in-quote@3 and abstentions on a QA set."""
    from .evaluate import run_eval

    settings = _settings()
    report = run_eval(settings, file, questions, corpus or [], top or 3, limit)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        for key, value in report.items():
            if key != "misses":
                typer.echo(f"{key:>24}: {value}")


@app.command()
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


@app.command()
def models() -> None:
    """The embedding models Isnad knows by short name (ISNAD_MODEL)."""
    for name, description in KNOWN_MODELS.items():
        typer.echo(f"{name:18} {description}")


def main() -> None:
    try:
        app()
    except UserError as exc:
        _err(str(exc))
        sys.exit(exc.exit_code)
    except QuestionError as exc:
        _err(t(exc.key, exc.language, **exc.params))
        sys.exit(2)
    except IndexMissing as exc:
        _err(str(exc))
        sys.exit(1)
    except (IndexError_, EncoderError) as exc:
        _err(str(exc))
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("ISNAD_DEBUG"):
            raise
        _err(f"unexpected error ({type(exc).__name__}: {str(exc)[:300]}); "
             "run again with ISNAD_DEBUG=1 for details")
        sys.exit(1)
