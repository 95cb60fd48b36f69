"""`isnad eval compare A B`: which questions B gained and lost against A, by question id,
and how every figure moved.

A and B are `isnad eval --json` output, a `--report` folder (its eval.json), or a
bench/results/quality-*.json file (several question sets, compared set by set). Reports
from before per-question outcomes were recorded still compare: gained and lost are then
read from their lists of misses.
"""

from __future__ import annotations

import json
from pathlib import Path

from isnad.prompts.eval import eval_text

from .errors import UserError
from .eval_report import REPORT_JSON, cell

#: Numbers in a report that are settings or timing, not figures to compare.
NOT_FIGURES = {"top", "abstain_below", "seconds", "distractor_passages"}


def load_report(path: Path) -> dict:
    if path.is_dir():
        path = path / REPORT_JSON
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(eval_text("no_such_report", path=path)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(eval_text("not_json", path=path, reason=str(exc)[:120])) from None
    if not isinstance(data, dict) or not runs_of(data):
        raise UserError(eval_text("not_a_report", path=path))
    return data


def is_run(value: object) -> bool:
    return isinstance(value, dict) and "questions" in value and "answerable" in value


def runs_of(report: dict) -> dict[str | None, dict]:
    """{None: report} for one run; {set name: run} for a bench file of several sets."""
    if is_run(report):
        return {None: report}
    return {name: run for name, run in report.items() if is_run(run)}


def compare_files(a_path: Path, b_path: Path) -> dict:
    a, b = load_report(a_path), load_report(b_path)
    single_a, single_b = None in runs_of(a), None in runs_of(b)
    if single_a != single_b:
        single, sets = (a_path, b_path) if single_a else (b_path, a_path)
        raise UserError(eval_text("mixed_kinds", single=single, sets=sets))
    diff = compare_runs(a, b)
    if "sets" in diff and not diff["sets"]:
        raise UserError(eval_text("no_common_set", a=a_path, b=b_path,
                                  a_sets=", ".join(map(str, runs_of(a))),
                                  b_sets=", ".join(map(str, runs_of(b)))))
    return diff


def compare_runs(a: dict, b: dict) -> dict:
    runs_a, runs_b = runs_of(a), runs_of(b)
    if None in runs_a and None in runs_b:
        return compare_one(runs_a[None], runs_b[None])
    return {"sets": {name: compare_one(runs_a[name], runs_b[name])
                     for name in runs_a if name in runs_b}}


def compare_one(a: dict, b: dict) -> dict:
    diff: dict[str, object] = {"a": about(a), "b": about(b)}
    outcomes_a, outcomes_b = a.get("outcomes"), b.get("outcomes")
    if outcomes_a is not None and outcomes_b is not None:
        both = [i for i in outcomes_a if i in outcomes_b]

        def moved(key: str, before: object, after: object, answerable: bool) -> list[str]:
            return sorted(i for i in both
                          if (outcomes_a[i]["hit"] is not None) == answerable
                          and outcomes_a[i][key] is before and outcomes_b[i][key] is after)

        diff.update({
            "gained": moved("hit", False, True, True),
            "lost": moved("hit", True, False, True),
            "now_abstained_unanswerable": moved("answered", True, False, False),
            "now_answered_unanswerable": moved("answered", False, True, False),
            "now_abstained_answerable": moved("answered", True, False, True),
            "now_answered_answerable": moved("answered", False, True, True),
            "only_in_a": sorted(set(outcomes_a) - set(outcomes_b)),
            "only_in_b": sorted(set(outcomes_b) - set(outcomes_a)),
            "inferred_from_misses": False,
        })
    else:
        misses_a, misses_b = set(a.get("misses", [])), set(b.get("misses", []))
        gained, lost = misses_a - misses_b, misses_b - misses_a
        # Where one side knows its outcomes, keep only what it confirms.
        if outcomes_b is not None:
            gained = {i for i in gained if outcomes_b.get(i, {}).get("hit") is True}
        if outcomes_a is not None:
            lost = {i for i in lost if outcomes_a.get(i, {}).get("hit") is True}
        diff.update({"gained": sorted(gained), "lost": sorted(lost),
                     "inferred_from_misses": True})
    figures_a, figures_b = flat_figures(a), flat_figures(b)
    diff["metrics"] = {key: {"a": value, "b": figures_b[key],
                             "delta": round(figures_b[key] - value, 4)}
                       for key, value in figures_a.items() if key in figures_b}
    return diff


def about(run: dict) -> dict:
    """What the run says of itself; older reports leave out what they did not record."""
    return {key: run[key] for key in ("model", "reader", "isnad_version", "date", "top")
            if key in run}


def flat_figures(run: dict, prefix: str = "") -> dict[str, float]:
    """Every figure of a run under one dotted name: recall@1, answer_in_quote@k.3,
    by_language.ar.mrr@10."""
    out: dict[str, float] = {}
    for key, value in run.items():
        if key in NOT_FIGURES or isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            out[prefix + key] = value
        elif key == "answer_in_quote@k" and isinstance(value, dict):
            out.update({f"{prefix}{key}.{k}": v for k, v in value.items()})
        elif key == "by_language" and isinstance(value, dict) and not prefix:
            for language, figures in value.items():
                out.update(flat_figures(figures, f"by_language.{language}."))
    return out


def signed(key: str, delta: float) -> str:
    if not delta:
        return "0"
    written = cell(key, abs(delta))
    return ("+" if delta > 0 else "-") + written


def render_comparison(diff: dict, a_path: Path, b_path: Path) -> str:
    if "sets" not in diff:
        return "\n".join(render_one(diff, a_path, b_path))
    lines: list[str] = []
    for name, one in diff["sets"].items():
        lines += ["", eval_text("compare_set", name=name), *render_one(one, a_path, b_path)]
    return "\n".join(lines).lstrip("\n")


def render_one(diff: dict, a_path: Path, b_path: Path) -> list[str]:
    lines = []
    for name, path in (("A", a_path), ("B", b_path)):
        run = diff[name.lower()]
        reader = ("?" if "reader" not in run
                  else run["reader"] or eval_text("no_reader"))
        lines.append(eval_text("compare_run", name=name, file=path,
                               model=run.get("model", "?"), reader=reader,
                               version=run.get("isnad_version", "?"), top=run.get("top", "?"),
                               date=run.get("date", "?")))
    lines.append("")
    for key in ("gained", "lost", "now_abstained_unanswerable", "now_answered_unanswerable",
                "now_abstained_answerable", "now_answered_answerable", "only_in_a",
                "only_in_b"):
        ids = diff.get(key)
        if ids is None or (not ids and key not in ("gained", "lost")):
            continue
        lines.append(f"{eval_text('compare_' + key)}, {len(ids)}" +
                     (": " + " ".join(ids) if ids else ""))
    if diff["inferred_from_misses"]:
        lines.append(eval_text("compare_inferred"))
    metrics = diff["metrics"]
    width = max([len(eval_text("compare_metric")), *map(len, metrics)])
    lines += ["", f"{eval_text('compare_metric'):<{width}} {'A':>9} {'B':>9} {'Δ':>9}"]
    unchanged = 0
    for key, figure in metrics.items():
        if key.startswith("by_language.") and figure["delta"] == 0:
            unchanged += 1
            continue
        name = key.rsplit(".", 1)[-1]  # how the figure is written: latency, ratio, count
        lines.append(f"{key:<{width}} {cell(name, figure['a']):>9} {cell(name, figure['b']):>9}"
                     f" {signed(name, figure['delta']):>9}")
    if unchanged:
        lines.append(eval_text("compare_unchanged", count=unchanged))
    return lines
