"""One error root: every public exception amlops defines derives from `AmlopsError`."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import amlops
from amlops.errors import AmlopsError

NOT_IMPORTED = {"amlops.__main__"}  # runs the command line when imported


def public_exceptions() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(amlops.__path__, prefix="amlops."):
        if info.name in NOT_IMPORTED:
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found[f"{module.__name__}.{name}"] = value
    return found


def test_every_public_exception_derives_from_the_root() -> None:
    exceptions = public_exceptions()
    strays = sorted(name for name, cls in exceptions.items() if not issubclass(cls, AmlopsError))

    assert strays == []
    assert {"amlops.ci.expr.lexer.ExpressionError", "amlops.render.layout.RenderError"} <= set(exceptions)
