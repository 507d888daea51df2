"""Parse an expression into a small tree of tuples.

Grammar: expr := primary postfix* ; primary := literal | NAME '(' [expr (',' expr)*] ')' | NAME ;
postfix := '.' NAME | '.' '*' | '[' expr ']' | '[' '*' ']'.
Nodes: ('lit', value) ('name', str) ('call', name, args) ('prop', obj, name) ('index', obj, expr)
('star', obj).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from amlops.ci.azure_devops.expr.lexer import ExpressionError, Token, tokenize

__all__ = ["ExpressionError", "parse"]

MAX_DEPTH = 50


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise ExpressionError("unexpected end of expression", len(self.text) + 1)
        self.i += 1
        return tok

    def expect(self, punct: str) -> Token:
        tok = self.peek()
        if tok is None:
            raise ExpressionError(f"expected '{punct}' but the expression ended", len(self.text) + 1)
        if tok.kind != "punct" or tok.value != punct:
            raise ExpressionError(f"expected '{punct}' but found '{self.show(tok)}'", tok.pos + 1)
        self.i += 1
        return tok

    @staticmethod
    def show(tok: Token) -> str:
        if tok.kind == "string":
            return f"'{tok.value}'"
        if tok.kind == "number" and float(tok.value).is_integer():
            return str(int(tok.value))
        return tok.raw or str(tok.value)

    def expression(self, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested deeper than {MAX_DEPTH} levels")
        tok = self.take()
        if tok.kind in ("string", "number", "version", "bool", "null"):
            node: Any = ("lit", tok.value)
        elif tok.kind == "ident":
            nxt = self.peek()
            if nxt is not None and nxt.kind == "punct" and nxt.value == "(":
                self.i += 1
                args = []
                if not (self.peek() and self.peek().kind == "punct" and self.peek().value == ")"):
                    while True:
                        args.append(self.expression(depth + 1))
                        sep = self.take()
                        if sep.kind == "punct" and sep.value == ")":
                            break
                        if not (sep.kind == "punct" and sep.value == ","):
                            raise ExpressionError(
                                f"expected ',' or ')' in the arguments of {tok.value}() "
                                f"but found '{self.show(sep)}'",
                                sep.pos + 1,
                            )
                else:
                    self.i += 1
                node = ("call", tok.value, tuple(args), tok.pos + 1)
            else:
                node = ("name", tok.value, tok.pos + 1)
        else:
            raise ExpressionError(f"unexpected '{self.show(tok)}'", tok.pos + 1)
        while True:
            nxt = self.peek()
            if nxt is None or nxt.kind != "punct" or nxt.value not in ".[":
                return node
            self.i += 1
            if nxt.value == ".":
                name = self.take()
                if name.kind == "punct" and name.value == "*":
                    node = ("star", node)
                elif name.kind in ("ident", "bool", "null"):
                    node = (
                        "prop",
                        node,
                        name.value
                        if name.kind == "ident"
                        else self.text[name.pos :].split(".")[0].split("[")[0].strip(),
                    )
                elif name.kind == "number" and float(name.value).is_integer():
                    node = ("prop", node, str(int(name.value)))
                else:
                    raise ExpressionError(
                        f"expected a property name after '.' but found '{self.show(name)}'", name.pos + 1
                    )
            else:
                inner = self.peek()
                if inner is not None and inner.kind == "punct" and inner.value == "*":
                    self.i += 1
                    node = ("star", node)
                else:
                    node = ("index", node, self.expression(depth + 1))
                self.expect("]")


@lru_cache(maxsize=4096)
def parse(text: str) -> Any:
    """Parse `text` (without `${{ }}` / `$[ ]`); raise `ExpressionError` with a column on bad syntax."""
    if not text.strip():
        raise ExpressionError("empty expression", 1)
    parser = _Parser(text)
    node = parser.expression()
    rest = parser.peek()
    if rest is not None:
        raise ExpressionError(
            f"unexpected '{parser.show(rest)}' after the end of the expression", rest.pos + 1
        )
    return node
