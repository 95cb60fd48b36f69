"""What a write, a check and a repair did: plain values, with the JSON the CLI prints.

Every backend returns these, so ``isnad index add --json`` reads the same whatever
holds the index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..corpus.model import Problem


@dataclass(frozen=True, slots=True)
class Duplicate:
    """An article not indexed because ``kept`` (already indexed, or earlier in the
    batch) has the same text, or nearly (``similarity`` < 1)."""

    article_id: str
    kept: str
    similarity: float
    origin: str | None = None

    def __str__(self) -> str:
        what = "same text as" if self.similarity >= 1 else \
            f"near-duplicate ({self.similarity:.0%} alike) of"
        where = f" ({self.origin})" if self.origin else ""
        return f"{self.article_id}{where}: {what} {self.kept}; kept {self.kept}"

    def to_dict(self) -> dict[str, object]:
        return {"id": self.article_id, "kept": self.kept, "similarity": self.similarity}


@dataclass
class UpdateReport:
    """What one write did. ``articles``/``passages``/``sentences`` are the totals of the
    resulting index; the lists name the articles each outcome applied to. ``problems``
    holds every input that was not indexed: unreadable files (the service layer puts
    the reader's first) and articles the writer refused."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: What went wrong but was dealt with (a damaged embedding cache moved aside).
    warnings: list[str] = field(default_factory=list)
    articles: int = 0
    passages: int = 0
    sentences: int = 0
    embedded: int = 0
    cached: int = 0
    seconds: float = 0.0
    encode_seconds: float = 0.0
    generation: str | None = None

    @property
    def changed(self) -> bool:
        return self.generation is not None

    def to_dict(self) -> dict[str, object]:
        """What ``isnad index add --json`` prints (unchanged articles only counted)."""
        return {
            "added": self.added, "replaced": self.replaced,
            "unchanged": len(self.unchanged), "removed": self.removed,
            "not_found": self.not_found,
            "duplicates": [d.to_dict() for d in self.duplicates],
            "problems": [str(p) for p in self.problems],
            "warnings": self.warnings,
            "articles": self.articles, "passages": self.passages,
            "embedded": self.embedded, "cached": self.cached,
            "seconds": round(self.seconds, 3),
            "encode_seconds": round(self.encode_seconds, 3),
            "generation": self.generation,
        }


@dataclass
class VerifyReport:
    generation: str = ""
    articles: int = 0
    passages: int = 0
    sentences: int = 0
    segments: int = 0
    problems: list[str] = field(default_factory=list)
    #: No current generation at all: the one problem says what to do instead.
    missing: bool = False
    #: Which backend was checked (what repairs it differs).
    backend: str = "local"

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def model_only(self) -> bool:
        """Whether the one thing wrong is the model (rebuilding, or setting ISNAD_MODEL
        back, repairs it)."""
        return bool(self.problems) and all(p.startswith("model:") for p in self.problems)

    def to_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "generation": self.generation, "articles": self.articles,
                "passages": self.passages, "sentences": self.sentences,
                "segments": self.segments, "problems": self.problems}


@dataclass(frozen=True)
class Recovery:
    generation: Path | str  # what ``current`` points at now (a backend's version name)
    previous: Path | None  # the broken or missing target it pointed at, if any
    changed: bool
