"""User-facing strings in Arabic and English."""

from .messages import CLI_MESSAGES, MESSAGES, cli_t, t

__all__ = ["CLI_MESSAGES", "MESSAGES", "cli_t", "t"]
