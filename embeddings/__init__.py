"""Embedding backends behind one small interface (see base.Encoder)."""

from .base import Encoder, EncoderError, l2_normalise
from .factory import DEFAULT_MODEL, KNOWN_MODELS, LIGHT_MODEL, canonical_model_name, create_encoder

__all__ = ["DEFAULT_MODEL", "KNOWN_MODELS", "LIGHT_MODEL", "Encoder", "EncoderError",
           "canonical_model_name", "create_encoder", "l2_normalise"]
