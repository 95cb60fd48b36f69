"""User-facing strings in Arabic and English."""

from .messages import MESSAGES, t

__all__ = ["MESSAGES", "t"]
