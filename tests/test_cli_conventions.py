"""What a user of a well-made CLI expects: --version, -h, completion, help for every
argument and setting, a marked model, tables on a terminal and TSV in a pipe."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import click
import pytest
import terminal
import typer
from rich.cells import cell_len
from test_cli import ISNAD, run
from typer.testing import CliRunner

from isnad.bot.config import BotSettings
from isnad.cli import app
from isnad.retrieval.reader import JOINT, bundled_readers
from isnad.settings import Settings, env_name

ENGINE = ["ISNAD_HOME", "ISNAD_MODEL", "ISNAD_READER", "ISNAD_WINDOWS", "ISNAD_TOP",
          "ISNAD_MAX_QUESTION_CHARS", "ISNAD_CORPUS", "ISNAD_MAX_ARTICLE_BYTES"]
FIRST_USE = ["ISNAD_HOME", "ISNAD_MODEL", "ISNAD_WINDOWS", "ISNAD_CORPUS",
             "ISNAD_MAX_ARTICLE_BYTES"]
AFFECTS = {
    ("ask",): ENGINE,
    ("chat",): ENGINE,
    ("index", "build"): FIRST_USE,
    ("index", "add"): ["ISNAD_HOME", "ISNAD_MODEL", "ISNAD_WINDOWS", "ISNAD_MAX_ARTICLE_BYTES"],
    ("index", "remove"): ["ISNAD_HOME", "ISNAD_MODEL"],
    ("index", "rebuild"): ["ISNAD_HOME", "ISNAD_MODEL", "ISNAD_WINDOWS"],
    ("index", "status"): ["ISNAD_HOME"],
    ("index", "verify"): ["ISNAD_HOME", "ISNAD_MODEL"],
    ("index", "watch"): ["ISNAD_HOME", "ISNAD_MODEL", "ISNAD_WINDOWS", "ISNAD_MAX_ARTICLE_BYTES"],
    ("index", "recover"): ["ISNAD_HOME"],
    ("articles", "list"): FIRST_USE,
    ("articles", "show"): FIRST_USE,
    ("eval", "run"): ["ISNAD_HOME", "ISNAD_MODEL", "ISNAD_READER", "ISNAD_WINDOWS"],
    ("models",): ["ISNAD_HOME", "ISNAD_MODEL"],
    ("bot",): [*ENGINE, "TELEGRAM_BOT_TOKEN", "ISNAD_TELEGRAM_BASE_URL", "ISNAD_ADMIN_IDS",
               *(f"ISNAD_BOT_{name.upper()}" for name in BotSettings.model_fields)],
}


def help_text(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], prog_name="isnad",
                                env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    return result.output


def test_version_is_the_installed_one(cli_env):
    result = run(["--version"], cli_env)
    assert result.returncode == 0
    assert result.stdout.strip() == f"isnad {version('isnad')}"


@pytest.mark.parametrize("command", [[], ["ask"], ["index"], ["index", "build"],
                                     ["articles", "show"], ["chat"], ["bot"]])
def test_dash_h_is_help(command):
    result = CliRunner().invoke(app, [*command, "-h"], prog_name="isnad")
    assert result.exit_code == 0, result.output
    assert "Usage: isnad" in result.output


def commands(group: click.Command, path: tuple[str, ...] = ()):
    yield path, group
    for name, command in getattr(group, "commands", {}).items():
        yield from commands(command, (*path, name))


def test_every_argument_and_option_has_help():
    for path, command in commands(typer.main.get_command(app)):
        for param in command.params:
            assert getattr(param, "help", None), (path, param.name)


@pytest.mark.parametrize(("command", "settings"), AFFECTS.items())
def test_each_setting_is_in_the_help_of_the_commands_it_affects(command, settings):
    shown = help_text(*command)
    for name in settings:
        assert name in shown, (command, name)


def test_every_setting_is_in_some_help_and_in_the_readme():
    readme_text = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    names = [env_name(f) for f in Settings.model_fields]
    names += [f"ISNAD_BOT_{f.upper()}" for f in BotSettings.model_fields]
    everywhere = "".join(help_text(*command) for command in AFFECTS)
    for name in names:
        assert name in everywhere and name in readme_text, name


def test_shell_completion_completes_commands(cli_env):
    env = {**cli_env, "_ISNAD_COMPLETE": "complete_bash", "COMP_WORDS": "isnad index b",
           "COMP_CWORD": "2"}
    result = run([], env)
    assert result.stdout.split() == ["build"]


@pytest.mark.parametrize(("setting", "marked"), [("e5-small-q4", "e5-small-q4"),
                                                 ("light", "e5-small-q4"),
                                                 ("gemma", "embeddinggemma")])
def test_models_marks_the_model_in_use(cli_env, setting, marked):
    lines = run(["models"], {**cli_env, "ISNAD_MODEL": setting}).stdout.splitlines()
    starred = [line for line in lines if line.startswith("*")]
    assert len(starred) == 1 and starred[0].split()[1] == marked


@pytest.mark.parametrize(("model", "adapter", "said"), [
    ("embeddinggemma", "auto", "Query adapter: isnad-gemma-query (shipped with Isnad)"),
    ("e5-small-q4", "auto", "Query adapter: none"),
    ("embeddinggemma", "none", "Query adapter: none"),
    ("use-multilingual", "isnad-gemma-query", "Query adapter: isnad-gemma-query adapts"),
])
def test_models_names_the_query_adapter_in_use(cli_env, model, adapter, said):
    result = run(["models"], {**cli_env, "ISNAD_MODEL": model, "ISNAD_QUERY_ADAPTER": adapter})
    assert result.returncode == 0
    assert next(line for line in result.stdout.splitlines()
                if line.startswith("Query adapter:")).startswith(said)


@pytest.mark.parametrize(("model", "adapter", "reader", "said"), [
    ("embeddinggemma", "auto", "auto", "Reader: none (ISNAD_READER=isnad-gemma-joint turns on"),
    ("embeddinggemma", "auto", "isnad-gemma-joint",
     "Reader: isnad-gemma-joint (shipped with Isnad)"),
    ("embeddinggemma", "none", "isnad-gemma-joint",
     "Reader: isnad-gemma-joint (shipped with Isnad; it reads questions through "
     "isnad-gemma-query, which ISNAD_QUERY_ADAPTER leaves off"),
    ("embeddinggemma", "auto", "isnad-gemma", "Reader: isnad-gemma (not shipped"),
    ("e5-small-q4", "auto", "auto", "Reader: none (the light models"),
    ("embeddinggemma", "auto", "none", "Reader: none (ISNAD_READER=none"),
    ("embeddinggemma", "auto", "cross-encoder/my-reader", "Reader: cross-encoder/my-reader"),
])
def test_models_names_the_reader_in_use(cli_env, model, adapter, reader, said):
    """Which reader answers, said without loading one (or the model)."""
    if not (bundled_readers() / JOINT / "manifest.json").is_file():
        pytest.skip("this checkout ships no joint reader")
    result = run(["models"], {**cli_env, "ISNAD_MODEL": model, "ISNAD_QUERY_ADAPTER": adapter,
                              "ISNAD_READER": reader})
    assert result.returncode == 0
    assert next(line for line in result.stdout.splitlines()
                if line.startswith("Reader:")).startswith(said), result.stdout


def test_models_says_when_the_index_was_built_with_another(cli_env, tmp_path):
    folder = str(tmp_path / "my-model")
    output = run(["models"], {**cli_env, "ISNAD_MODEL": folder}).stdout
    assert f"* {folder}" in output
    assert "was built with e5-small-q4" in output


def visible(line: str) -> int:
    """Terminal cells (Arabic diacritics take none)."""
    return cell_len(re.sub("\x1b\\[[0-9;]*m", "", line))


def test_articles_list_is_a_table_on_a_terminal_and_tsv_in_a_pipe(cli_env):
    piped = run(["articles", "list"], cli_env).stdout.splitlines()
    assert len(piped) == 5 and all(line.count("\t") == 3 for line in piped)
    shown = terminal.run_on_terminal([*ISNAD, "articles", "list"], cli_env,
                                     on_terminal=("stdout",))
    lines = shown.screen.strip().splitlines()
    assert lines[0].split() == ["id", "outlet", "date", "title"]
    assert len(lines) == 6 and "\t" not in shown.screen
    assert all(visible(line) <= 100 for line in lines)
    ids = [line.split("\t")[0] for line in piped]
    assert [line.split()[0] for line in lines[1:]] == ids


def test_index_status_shows_a_human_size_on_a_terminal_and_bytes_in_a_pipe(cli_env):
    piped = run(["index", "status"], cli_env).stdout
    assert re.search(r"bytes: \d+\n", piped)
    shown = terminal.run_on_terminal([*ISNAD, "index", "status"], cli_env,
                                     on_terminal=("stdout",)).screen
    assert re.search(r"size on disk\s+[\d.]+ (kB|MB)", shown)
    assert re.search(r"model\s+e5-small-q4", shown)
