"""``python -m backend <command>``: see ``python -m backend --help``."""

import sys

from backend.cli import main

sys.exit(main())
