"""One module per verb. Each has a docstring (its help), `configure(parser)`, `execute(args) -> int` and a
plain function doing the work over a backend (used by `execute` and by the demo)."""
