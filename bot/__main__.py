"""``python -m isnad.bot``: run the bot (the same as ``isnad bot``)."""

import os
import sys

# Before any import loads OpenMP (FAISS, the encoders): see app.quiet_openmp.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .app import main

sys.exit(main())
