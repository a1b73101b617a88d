"""``python -m gateway …`` (see :mod:`gateway.cli`)."""

import sys

from gateway.cli import main

sys.exit(main())
