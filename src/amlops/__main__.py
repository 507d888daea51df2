"""`python -m amlops`: the amlops command line."""

from amlops.cli import main

raise SystemExit(main())
