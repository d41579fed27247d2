"""``python -m e2e_otel.cli``."""

from __future__ import annotations

import sys

from e2e_otel.cli.main import main

sys.exit(main())
