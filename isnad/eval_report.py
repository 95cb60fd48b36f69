"""`isnad eval`'s output for people: the terminal summary and the `--report DIR` folder
(report.md with the tables, two PNG plots, and eval.json for `isnad eval compare`).

matplotlib is an optional extra (`isnad[report]`); only the plots need it, and it is
imported only when a report is asked for.
"""

from __future__ import annotations

import json
from pathlib import Path

from isnad.prompts.eval import eval_text

from .errors import UserError

CURVE_PLOT = "answer_in_quote_at_k.png"
SCORES_PLOT = "scores.png"
REPORT_JSON = "eval.json"
MAX_LISTED = 50  # questions listed per table in report.md; --details has them all
COLOURS = {"all": "black", "ar": "tab:green", "en": "tab:blue"}


def require_matplotlib() -> None:
    """Refuse a --report before the model loads, rather than after the whole run."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UserError(eval_text("needs_matplotlib")) from None


def figure_keys(top: int) -> list[str]:
    return ["questions", "answerable", "recall@1", "recall@5", "recall@10", "mrr@10",
            f"gold_article_in_quotes@{top}", f"answer_in_quote@{top}",
            "abstained_answerable", "unanswerable", "abstained_unanswerable",
            "median_latency_ms"]


def label(key: str) -> str:
    name, _, top = key.partition("@")
    if name in ("gold_article_in_quotes", "answer_in_quote"):
        return eval_text(name, top=top)
    return eval_text(key)


def cell(key: str, value: object) -> str:
    if value is None:
        return "–"
    if key == "median_latency_ms":
        return f"{value:.1f}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def groups(report: dict) -> list[tuple[str, dict]]:
    """All questions first, then each question language."""
    return [(eval_text("all_languages"), report), *report["by_language"].items()]


# -- terminal -------------------------------------------------------------------------
def timing_text(report: dict) -> str:
    timing = report["timing"]
    index = (eval_text("index_reused") if timing["index_s"] is None
             else eval_text("index_built", seconds=timing["index_s"]))
    return eval_text("timing", index=index, questions=report["questions"],
                     questions_s=timing["questions_s"], median_ms=timing["median_ms"],
                     p95_ms=timing["p95_ms"], total_s=timing["total_s"])


def model_text(report: dict) -> str:
    """The model, and the query adapter its questions went through (reports made before
    adapters existed have none)."""
    adapter = report.get("query_adapter")
    return report["model"] if not adapter else f"{report['model']} + {adapter}"


def header_lines(report: dict) -> list[str]:
    return [
        eval_text("summary", file=Path(report["dataset"]["file"]).name,
                  questions=report["questions"], answerable=report["answerable"],
                  model=model_text(report), reader=report["reader"] or eval_text("no_reader"),
                  version=report["isnad_version"], date=report["date"]),
        eval_text("summary_settings", top=report["top"], threshold=threshold_text(report),
                  timing=timing_text(report)),
    ]


def threshold_text(report: dict) -> str:
    threshold = report["abstain_below"]
    return eval_text("no_threshold") if threshold is None else f"{threshold:g}"


def summary_text(report: dict) -> str:
    """One figure a line, one column per language: narrow enough for any terminal."""
    columns = groups(report)
    keys = figure_keys(report["top"])
    width = max(len(label(k)) for k in keys)
    lines = [*header_lines(report), ""]
    lines.append(" " * width + "".join(f"{name:>9}" for name, _ in columns))
    for key in keys:
        lines.append(f"{label(key):<{width}}" +
                     "".join(f"{cell(key, figures.get(key)):>9}" for _, figures in columns))
    return "\n".join(lines)


# -- the --report folder --------------------------------------------------------------
def write_report(folder: Path, report: dict, rows: list[dict]) -> Path:
    (folder / REPORT_JSON).write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n",
                                      encoding="utf-8")
    plot_curve(folder / CURVE_PLOT, report, rows)
    plot_scores(folder / SCORES_PLOT, report, rows)
    path = folder / "report.md"
    path.write_text(markdown(report, rows), encoding="utf-8")
    return path


def md_cell(text: object, limit: int = 160) -> str:
    value = " ".join(str(text).split())
    if len(value) > limit:
        value = value[:limit - 1] + "…"
    return value.replace("|", "\\|")


def md_table(head: list[str], body: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head),
            *("| " + " | ".join(row) + " |" for row in body)]


def markdown(report: dict, rows: list[dict]) -> str:
    top = report["top"]
    dataset = report["dataset"]
    run = [
        (eval_text("report_field_set"), f"`{dataset['file']}` ({report['questions']} "
                                        f"{label('questions')}, {report['answerable']} "
                                        f"{label('answerable')})"),
        (eval_text("report_field_parallel"), f"`{dataset['questions_file']}`"
         if dataset["questions_file"] else None),
        (eval_text("report_field_corpus"), f"{dataset['articles']}" +
         (" (" + ", ".join(f"`{p}`" for p in dataset["corpus"]) + ")"
          if dataset["corpus"] else "")),
        (eval_text("report_field_model"), model_text(report)),
        (eval_text("report_field_reader"), report["reader"] or eval_text("no_reader")),
        (eval_text("report_field_version"), report["isnad_version"]),
        (eval_text("report_field_date"), report["date"]),
        (eval_text("report_field_top"), str(top)),
        (eval_text("report_field_threshold"), threshold_text(report)),
        (eval_text("report_field_timing"), timing_text(report)),
    ]
    keys = figure_keys(top)
    curve_keys = list(report["answer_in_quote@k"])
    out = [f"# {eval_text('report_title', file=Path(dataset['file']).name)}", "",
           f"## {eval_text('report_run')}", "",
           *md_table(["", ""], [[name, md_cell(value, 400)] for name, value in run if value]),
           "", f"## {eval_text('report_figures')}", "", eval_text("report_figures_note"), "",
           *md_table(["", *map(label, keys)],
                     [[name, *(cell(k, figures.get(k)) for k in keys)]
                      for name, figures in groups(report)]),
           "", f"## {eval_text('report_curve')}", "",
           f"![{eval_text('report_curve')}]({CURVE_PLOT})", "", eval_text("report_curve_note"),
           "",
           *md_table(["", *(f"k={k}" for k in curve_keys)],
                     [[name, *(cell("", figures["answer_in_quote@k"][k]) for k in curve_keys)]
                      for name, figures in groups(report)]),
           "", f"## {eval_text('report_scores')}", "",
           f"![{eval_text('report_scores')}]({SCORES_PLOT})", "",
           scores_note(report), ""]
    misses = [r for r in rows if r["outcome"] == "miss"]
    wrongly_answered = [r for r in rows if r["outcome"] == "answered"]
    if misses:
        out += [f"## {eval_text('report_misses', top=top, count=len(misses))}", "",
                *question_table(misses, "report_column_gold",
                                lambda r: " / ".join(r["gold"]["answers"]))]
    if wrongly_answered:
        out += [f"## {eval_text('report_wrongly_answered', count=len(wrongly_answered))}", "",
                *question_table(wrongly_answered, "report_column_similarity",
                                lambda r: f"{r['best_similarity']:.3f}")]
    out.append(eval_text("report_compare_hint", json=REPORT_JSON))
    return "\n".join(out) + "\n"


def scores_note(report: dict) -> str:
    if report["abstain_below"] is None:
        return eval_text("report_scores_note_uncalibrated")
    return eval_text("report_scores_note" if report["unanswerable"]
                     else "report_scores_note_answerable_only",
                     threshold=threshold_text(report),
                     abstained_answerable=report["abstained_answerable"],
                     answerable=report["answerable"],
                     abstained_unanswerable=report["abstained_unanswerable"],
                     unanswerable=report["unanswerable"])


def question_table(rows: list[dict], extra_column: str, extra) -> list[str]:
    body = [[md_cell(r["id"]), r["language"], md_cell(r["question"]), md_cell(extra(r)),
             md_cell(r["quotes"][0]["text"] if r["quotes"] else "–")]
            for r in rows[:MAX_LISTED]]
    lines = md_table([eval_text("report_column_id"), eval_text("report_column_language"),
                      eval_text("report_column_question"), eval_text(extra_column),
                      eval_text("report_column_first_quote")], body)
    if len(rows) > MAX_LISTED:
        lines += ["", eval_text("report_more_rows", count=len(rows) - MAX_LISTED)]
    return [*lines, ""]


# -- plots ----------------------------------------------------------------------------
def new_figure():
    # The Agg canvas directly, without pyplot: no GUI backend, no global figure state.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.8), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def plot_curve(path: Path, report: dict, rows: list[dict]) -> None:
    """answer-in-quote@k per language, with the retrieval ceiling (gold article among the
    first k ranked articles) dashed in the same colour."""
    from matplotlib.ticker import PercentFormatter

    figure = new_figure()
    axes = figure.add_subplot()
    ks = [int(k) for k in report["answer_in_quote@k"]]
    for i, (name, figures) in enumerate(groups(report)):
        mine = [r for r in rows if r["answerable"] and (i == 0 or r["language"] == name)]
        if not mine:
            continue
        colour = COLOURS.get(name, f"C{i + 2}")
        axes.plot(ks, [figures["answer_in_quote@k"][str(k)] for k in ks], marker="o",
                  color=colour, linewidth=2 if i == 0 else 1.5,
                  label=eval_text("plot_curve_answer", language=name, n=len(mine)))
        recall = [sum(r["gold_rank"] is not None and r["gold_rank"] <= k for r in mine)
                  / len(mine) for k in ks]
        axes.plot(ks, recall, linestyle="--", linewidth=1, color=colour, alpha=0.7,
                  label=eval_text("plot_curve_recall", language=name))
    axes.axvline(report["top"], color="grey", linestyle=":", linewidth=1)
    axes.annotate(eval_text("plot_curve_top", top=report["top"]), (report["top"], 0.02),
                  xytext=(4, 0), textcoords="offset points", color="grey")
    axes.set(xticks=ks, ylim=(0, 1.02), xlabel=eval_text("plot_curve_x"),
             ylabel=eval_text("plot_curve_y"),
             title=eval_text("plot_curve_title", model=report["model"]))
    axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize="small")
    figure.savefig(path)


def plot_scores(path: Path, report: dict, rows: list[dict]) -> None:
    """The similarity abstention compares, for answerable and unanswerable questions,
    with the threshold: how far apart the two kinds are, and what the cut costs."""
    import numpy as np

    figure = new_figure()
    axes = figure.add_subplot()
    threshold = report["abstain_below"]
    scores = [r["best_similarity"] for r in rows]
    bins = np.linspace(min(scores) - 0.01, max(scores) + 0.01, 31) if scores else 10
    for answerable, key, colour in ((True, "plot_scores_answerable", "tab:blue"),
                                    (False, "plot_scores_unanswerable", "tab:red")):
        mine = [r["best_similarity"] for r in rows if r["answerable"] == answerable]
        if not mine:
            continue
        below = sum(s < threshold for s in mine) if threshold is not None else 0
        axes.hist(mine, bins=bins, color=colour, alpha=0.55,
                  label=eval_text(key, n=len(mine), below=below))
    if threshold is not None:
        axes.axvline(threshold, color="black", linestyle="--", linewidth=1.5,
                     label=eval_text("plot_scores_threshold", threshold=f"{threshold:g}"))
    axes.set(xlabel=eval_text("plot_scores_x"), ylabel=eval_text("plot_scores_y"),
             title=eval_text("plot_scores_title", model=report["model"]))
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize="small")
    figure.savefig(path)
