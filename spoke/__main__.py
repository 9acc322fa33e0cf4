"""``python -m spoke``."""

from spoke.cli.quick import main

raise SystemExit(main())
