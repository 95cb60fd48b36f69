"""What `isnad eval` and `isnad eval compare` say: the summary, the Markdown report, the
plots and the errors.

English only: maintainers read these, in the vocabulary of the benchmarks (R@k, MRR).
"""

from __future__ import annotations

EVAL_TEXT: dict[str, str] = {
    # -- errors (one line each) -------------------------------------------------------
    "needs_matplotlib": "--report draws its plots with matplotlib, which is not installed: "
                        "pip install 'isnad[report]'",
    "details_is_folder": "--details {path} is a folder: give a file, e.g. {path}/details.jsonl",
    "report_is_file": "--report {path} is a file: give a folder",
    "cannot_write": "cannot write {path}: {reason}",
    "no_such_report": "no such file: {path}",
    "not_json": "{path} is not JSON ({reason})",
    "not_a_report": "{path} is not an `isnad eval --json` report, a --report folder or a "
                    "bench/results quality file",
    "mixed_kinds": "{single} holds one run and {sets} several question sets: compare two "
                   "files of the same kind",
    "no_common_set": "{a} and {b} share no question set ({a_sets} / {b_sets})",
    # -- figures ------------------------------------------------------------------------
    "questions": "questions",
    "answerable": "answerable",
    "recall@1": "R@1",
    "recall@5": "R@5",
    "recall@10": "R@10",
    "mrr@10": "MRR@10",
    "gold_article_in_quotes": "gold article in top-{top} quotes",
    "answer_in_quote": "answer in top-{top} quotes",
    "abstained_answerable": "would abstain: answerable",
    "unanswerable": "unanswerable",
    "abstained_unanswerable": "would abstain: unanswerable",
    "median_latency_ms": "median ms",
    "all_languages": "all",
    # -- the summary (terminal) and the report's header ---------------------------------
    "summary": "{file}: {questions} questions ({answerable} answerable) · model {model} · "
               "reader {reader} · isnad {version} · {date}",
    "summary_settings": "top {top} quotes · abstains below {threshold} · {timing}",
    "timing": "{index} · {questions} questions in {questions_s} s (median {median_ms} ms, "
              "p95 {p95_ms} ms) · {total_s} s in all",
    "index_built": "index built in {seconds} s",
    "index_reused": "index reused",
    "no_reader": "none",
    "no_threshold": "never (no calibration for this model)",
    "wrote": "wrote {path}",
    # -- the Markdown report ------------------------------------------------------------
    "report_title": "Isnad evaluation: {file}",
    "report_run": "Run",
    "report_field_set": "question set",
    "report_field_parallel": "questions from",
    "report_field_corpus": "articles",
    "report_field_model": "embedding model",
    "report_field_reader": "reader",
    "report_field_version": "Isnad",
    "report_field_date": "date (UTC)",
    "report_field_top": "quotes per answer (`--top`)",
    "report_field_threshold": "abstains when the best sentence similarity is below",
    "report_field_timing": "timing",
    "report_figures": "Figures",
    "report_figures_note": "R@k: a gold article among the first k articles ranked; MRR@10 on "
                           "the same ranking; quote figures count the quotes the engine ranks "
                           "first even where it would abstain. Ratios are of the answerable "
                           "questions; abstentions are counts.",
    "report_curve": "Answer in the first k quotes",
    "report_curve_note": "The share of answerable questions with a gold answer inside one of "
                         "the first k quotes, i.e. in what `--top k` shows (the engine shows "
                         "fewer than k quotes when the later ones score far below the first). "
                         "Dashed in the plot: a gold article among the first k articles "
                         "ranked: the most quoting could reach.",
    "report_scores": "Abstention",
    "report_scores_note": "The engine abstains when no sentence is at least {threshold} "
                          "similar to the question: {abstained_answerable} of {answerable} "
                          "answerable and {abstained_unanswerable} of {unanswerable} "
                          "unanswerable questions here.",
    "report_scores_note_uncalibrated": "This model has no abstention threshold (it was "
                                       "never calibrated: bench/calibrate.py), so the "
                                       "engine never abstains with it.",
    "report_scores_note_answerable_only": "The engine abstains when no sentence is at least "
                                          "{threshold} similar to the question: "
                                          "{abstained_answerable} of {answerable} questions "
                                          "here (all answerable: the set has no unanswerable "
                                          "ones).",
    "report_misses": "Answerable questions without the answer in the top-{top} quotes "
                     "({count})",
    "report_wrongly_answered": "Unanswerable questions answered ({count})",
    "report_more_rows": "… and {count} more: see `--details`.",
    "report_column_id": "id",
    "report_column_language": "lang",
    "report_column_question": "question",
    "report_column_gold": "gold answer",
    "report_column_first_quote": "first quote",
    "report_column_similarity": "best similarity",
    "report_compare_hint": "Compare with another run: `isnad eval compare OTHER.json {json}`.",
    # -- plots --------------------------------------------------------------------------
    "plot_curve_title": "Answer in the first k quotes ({model})",
    "plot_curve_x": "k (quotes shown)",
    "plot_curve_y": "answerable questions",
    "plot_curve_answer": "{language}: answer in quotes (n={n})",
    "plot_curve_recall": "{language}: gold article in first k articles",
    "plot_curve_top": "--top {top}",
    "plot_scores_title": "Best sentence similarity per question ({model})",
    "plot_scores_x": "best sentence similarity to the question",
    "plot_scores_y": "questions",
    "plot_scores_answerable": "answerable (n={n}, {below} below)",
    "plot_scores_unanswerable": "unanswerable (n={n}, {below} below)",
    "plot_scores_threshold": "abstains below {threshold}",
    # -- compare ------------------------------------------------------------------------
    "compare_run": "{name}  {file}: {model} · reader {reader} · isnad {version} · top {top} "
                   "· {date}",
    "compare_set": "set {name}",
    "compare_gained": "gained (a miss in A, a hit in B)",
    "compare_lost": "lost (a hit in A, a miss in B)",
    "compare_now_abstained_unanswerable": "unanswerable, now abstained on",
    "compare_now_answered_unanswerable": "unanswerable, now answered",
    "compare_now_abstained_answerable": "answerable, now abstained on",
    "compare_now_answered_answerable": "answerable, no longer abstained on",
    "compare_only_in_a": "only in A",
    "compare_only_in_b": "only in B",
    "compare_inferred": "(A or B has no per-question outcomes, an older report: gained and "
                        "lost are read from the misses, assuming the same questions)",
    "compare_metric": "figure",
    "compare_unchanged": "{count} per-language figures unchanged, not shown",
}


def eval_text(key: str, **params: object) -> str:
    text = EVAL_TEXT[key]
    return text.format(**params) if params else text
