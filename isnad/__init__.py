"""Isnad: verbatim, attributed answers from Arabic news."""

import os

# FAISS and the encoders use OpenMP, whose idle threads spin by default: on a busy
# 2-core machine that made one question take seconds instead of milliseconds. This
# package is imported before any of them, so the setting is in place in time.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
