"""Reading, cleaning and splitting news articles: everything before indexing."""

from .cleaning import parse_news_text
from .errors import CorpusError
from .model import Article, Passage, Problem, Span
from .outlets import canonical_outlet
from .readers import ReadResult, bundled_corpus_dir, read_articles
from .sentences import make_passages, split_article, split_sentences

__all__ = [
    "Article",
    "CorpusError",
    "Passage",
    "Problem",
    "ReadResult",
    "Span",
    "bundled_corpus_dir",
    "canonical_outlet",
    "make_passages",
    "parse_news_text",
    "read_articles",
    "split_article",
    "split_sentences",
]
