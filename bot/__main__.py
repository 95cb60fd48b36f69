"""``python -m isnad.bot``: run the bot (the same as ``isnad bot``)."""

import sys

from .app import main

sys.exit(main())
