"""Azure Pipelines expressions: lexer, parser and evaluator for `${{ }}`, `$[ ]` and conditions."""

from amlops.ci.azure_devops.expr.evaluator import Context, evaluate, to_bool, to_string
from amlops.ci.azure_devops.expr.parser import ExpressionError, parse

__all__ = ["Context", "ExpressionError", "evaluate", "parse", "to_bool", "to_string"]
