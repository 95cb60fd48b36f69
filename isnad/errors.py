"""Errors that reach the user as one line, with the exit code they map to."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a request that cannot be met; exit code 2."""

    exit_code = 2
