"""``python -m spoke``."""

from spoke.cli.main import main

raise SystemExit(main())
