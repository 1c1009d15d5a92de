"""``python -m server.cli``: the ``tandem`` command, as the console script runs it."""

from __future__ import annotations

import sys

from server.cli import main

if __name__ == "__main__":
    sys.exit(main())
