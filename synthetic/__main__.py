"""``python -m synthetic <command>``: see ``python -m synthetic --help``."""

import sys

from synthetic.cli import main

sys.exit(main())
