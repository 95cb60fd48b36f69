"""``isnad index verify``: does the current generation hold together?

Checks what a reader relies on: the catalog is a sound SQLite file of this format;
every segment it lists is on disk and loads; in each segment the FAISS ids are exactly
the catalog's rows for it plus its tombstones (and the BM25 rows the same as the
passage vectors); offsets lie inside their article's text; the vectors have the
model's dimension. Problems are collected, not raised, so one run lists them all.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...embeddings.base import Encoder
from ...home import IndexHome
from ..errors import IndexDamaged, ModelMismatch, check_model, index_missing
from ..reports import VerifyReport
from .catalog import Catalog
from .generations import open_catalog
from .segments import Segment


def _compare(what: str, stored: np.ndarray, expected: set[int], problems: list[str]) -> None:
    found = {int(i) for i in stored}
    if len(found) != len(stored):
        problems.append(f"{what}: the same id is stored twice")
    missing, extra = expected - found, found - expected
    if missing:
        problems.append(f"{what}: {len(missing)} catalog rows have no vector "
                        f"(e.g. id {min(missing)})")
    if extra:
        problems.append(f"{what}: {len(extra)} vectors have no catalog row (e.g. id {min(extra)})")


def verify_index(home: IndexHome, encoder: Encoder | None) -> VerifyReport:
    """Check the current generation (see the module docstring)."""
    if not home.current.exists():
        return VerifyReport(problems=[str(index_missing(home))], missing=True)
    return verify_generation(home, home.current.resolve(), encoder)


def verify_generation(home: IndexHome, generation: Path,
                      encoder: Encoder | None) -> VerifyReport:
    """Check one generation, current or not (``isnad index recover`` looks for the
    newest one that passes)."""
    report = VerifyReport()
    problems = report.problems
    report.generation = str(generation)
    try:
        catalog = open_catalog(generation)
    except IndexDamaged as exc:
        problems.append(f"catalog: {exc}")
        return report
    try:
        problems.extend(f"catalog: {p}" for p in catalog.integrity_problems())
        _check_catalog(catalog, home, encoder, report)
    except Exception as exc:  # a damaged file can fail in ways no check foresaw
        problems.append(f"could not finish checking: {type(exc).__name__}: {exc}")
    finally:
        catalog.close()
    return report


def _check_catalog(catalog: Catalog, home: IndexHome, encoder: Encoder | None,
                   report: VerifyReport) -> None:
    problems = report.problems
    fingerprint = catalog.meta("fingerprint")
    if encoder is not None:
        try:
            check_model(str(catalog.meta("model")), fingerprint, encoder)
        except ModelMismatch as exc:
            problems.append(f"model: {exc}")
    dim = fingerprint.get("dim") if isinstance(fingerprint, dict) else None
    report.articles = catalog.count("articles")
    report.passages = catalog.count("passages")
    report.sentences = catalog.count("sentences")
    names = catalog.segments()
    report.segments = len(names)
    orphans, outside, empty = catalog.inconsistencies()
    if orphans:
        problems.append(f"catalog: {orphans} rows point at a segment it does not list")
    if outside:
        problems.append(f"catalog: {outside} offsets lie outside their article's text")
    if empty:
        problems.append(f"catalog: {empty} articles have no passages")
    for name in names:
        folder = home.segments / name
        try:
            segment = Segment.open(folder)
        except Exception as exc:
            problems.append(f"segment {name}: cannot be loaded from {folder} ({exc})")
            continue
        pids = set(catalog.ids_in_segment("passages", name)) | catalog.tombstones("passage",
                                                                                  name)
        sids = set(catalog.ids_in_segment("sentences", name)) | catalog.tombstones("sentence",
                                                                                   name)
        _compare(f"segment {name} passages", segment.vectors.ids(), pids, problems)
        _compare(f"segment {name} sentences", segment.sentences.ids(), sids, problems)
        _compare(f"segment {name} lexical", segment.lexical.ids, pids, problems)
        for what, vectors in (("passage", segment.vectors), ("sentence", segment.sentences)):
            if dim is not None and len(vectors) and vectors.dim != dim:
                problems.append(f"segment {name}: {what} vectors have {vectors.dim} "
                                f"dimensions, the model {dim}")
