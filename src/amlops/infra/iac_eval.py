"""Small, partial evaluators for this repository's Terraform and Bicep trees.

They evaluate exactly the subset of each language the trees use for settings that matter to security,
naming and parity: literals, parameter/variable/local references, comparisons, `!`, `&&`, `||`, the
conditional operator, property access on objects and simple string interpolation. Anything else (function
calls, resource attributes known only after deployment) evaluates to `UNKNOWN` instead of guessing.

Used by `amlops.infra.check` (to bind Bicep module parameters before checkov scans them: checkov neither
follows Bicep modules nor reads parameter files) and by the tests (parity between the trees, naming limits).
The parsers (python-hcl2, pycep-parser) are the `infra` extra of amlops, imported only when needed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


# --------------------------------------------------------------------------------------------- Terraform

_TF_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<op>==|!=|&&|\|\||[!?:(){}=,])
    | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)
    )""",
    re.VERBOSE,
)


class _Unsupported(Exception):
    pass


def _tf_tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TF_TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise _Unsupported(text[pos:])
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


@dataclass
class TerraformScope:
    """Variables (already evaluated) and locals (raw hcl2 values, evaluated on demand) of one module."""

    variables: dict[str, Any]
    locals: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)  # e.g. {"local.name_suffix": "ab12c"}

    def resolve(self, reference: str) -> Any:
        if reference in self.overrides:
            return self.overrides[reference]
        head, _, rest = reference.partition(".")
        if head in {"true", "false"} and not rest:
            return head == "true"
        if head == "null" and not rest:
            return None
        if head == "var":
            name, _, attr = rest.partition(".")
            value = self.variables.get(name, UNKNOWN)
        elif head == "local":
            name, _, attr = rest.partition(".")
            value = self.evaluate(self.locals[name]) if name in self.locals else UNKNOWN
        else:
            return UNKNOWN
        for part in attr.split(".") if attr else []:
            value = value.get(part, UNKNOWN) if isinstance(value, dict) else UNKNOWN
        return value

    def evaluate(self, value: Any) -> Any:
        """Evaluate one value as python-hcl2 returns it (quoted strings, `${...}` expressions, blocks)."""
        if isinstance(value, bool | int | float) or value is None:
            return value
        if isinstance(value, list):
            return [self.evaluate(item) for item in value]
        if isinstance(value, dict):
            return {key: self.evaluate(item) for key, item in value.items() if not key.startswith("__")}
        text = str(value)
        if text.startswith("${") and text.endswith("}") and _balanced(text[2:-1]):
            return self.expression(text[2:-1])
        if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
            return self._template(text[1:-1])
        return self.expression(text)

    def expression(self, text: str) -> Any:
        try:
            tokens = _tf_tokens(text)
            parser = _TerraformParser(tokens, self)
            result = parser.conditional()
            if parser.pos != len(tokens):
                return UNKNOWN
            return result
        except _Unsupported:
            return UNKNOWN

    def _template(self, text: str) -> Any:
        parts: list[str] = []
        pos = 0
        for match in re.finditer(r"\$\{([^{}]*)\}", text):
            parts.append(text[pos : match.start()])
            value = self.expression(match.group(1))
            if value is UNKNOWN or isinstance(value, dict | list):
                return UNKNOWN
            parts.append(str(value).lower() if isinstance(value, bool) else str(value))
            pos = match.end()
        parts.append(text[pos:])
        return "".join(parts).replace('\\"', '"')


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += char == "{"
        depth -= char == "}"
        if depth < 0:
            return False
    return depth == 0


class _TerraformParser:
    def __init__(self, tokens: list[tuple[str, str]], scope: TerraformScope) -> None:
        self.tokens, self.pos, self.scope = tokens, 0, scope

    def _peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise _Unsupported("end of expression")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def conditional(self) -> Any:
        condition = self.disjunction()
        if self._peek() != "?":
            return condition
        self._take()
        when_true = self.conditional()
        if self._take()[1] != ":":
            raise _Unsupported(":")
        when_false = self.conditional()
        if condition is UNKNOWN:
            return UNKNOWN
        return when_true if condition else when_false

    def disjunction(self) -> Any:
        left = self.conjunction()
        while self._peek() == "||":
            self._take()
            right = self.conjunction()
            left = UNKNOWN if UNKNOWN in (left, right) else bool(left or right)
        return left

    def conjunction(self) -> Any:
        left = self.comparison()
        while self._peek() == "&&":
            self._take()
            right = self.comparison()
            left = UNKNOWN if UNKNOWN in (left, right) else bool(left and right)
        return left

    def comparison(self) -> Any:
        left = self.unary()
        while self._peek() in {"==", "!="}:
            op = self._take()[1]
            right = self.unary()
            equal = UNKNOWN if UNKNOWN in (left, right) else left == right
            left = equal if equal is UNKNOWN or op == "==" else not equal
        return left

    def unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            value = self.unary()
            return UNKNOWN if value is UNKNOWN else not value
        return self.atom()

    def atom(self) -> Any:
        kind, text = self._take()
        if text == "(":
            value = self.conditional()
            if self._take()[1] != ")":
                raise _Unsupported(")")
            return value
        if text == "{":
            return self._object()
        if kind == "string":
            return self.scope._template(text[1:-1])
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "ident":
            if self._peek() == "(":
                return self._call(text)
            return self.scope.resolve(text)
        raise _Unsupported(text)

    def _object(self) -> Any:
        result: dict[str, Any] = {}
        while self._peek() != "}":
            kind, key = self._take()
            if kind not in {"ident", "string"}:
                raise _Unsupported(key)
            name = self.scope._template(key[1:-1]) if kind == "string" else key
            if self._take()[1] != "=":
                raise _Unsupported("=")
            value = self.conditional()
            if name is UNKNOWN:
                return UNKNOWN
            result[name] = value
            if self._peek() == ",":
                self._take()
        self._take()
        return result

    def _call(self, name: str) -> Any:
        """Only merge() is evaluated; other functions are parsed and yield UNKNOWN."""
        self._take()
        arguments = []
        while self._peek() != ")":
            arguments.append(self.conditional())
            if self._peek() == ",":
                self._take()
        self._take()
        if name == "merge" and all(isinstance(a, dict) for a in arguments):
            return {key: value for argument in arguments for key, value in argument.items()}
        return UNKNOWN


def load_tfvars(path: Path) -> dict[str, Any]:
    import hcl2

    with path.open() as handle:
        raw = hcl2.load(handle)
    scope = TerraformScope(variables={})
    return {key: scope.evaluate(value) for key, value in raw.items() if not key.startswith("__")}


@dataclass
class TerraformModule:
    """One Terraform module folder, parsed with python-hcl2."""

    path: Path
    variables: dict[str, dict[str, Any]]
    locals: dict[str, Any]
    resources: dict[str, dict[str, dict[str, Any]]]  # type -> name -> body
    modules: dict[str, dict[str, Any]]  # name -> body
    outputs: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, path: Path) -> TerraformModule:
        import hcl2

        module = cls(path, {}, {}, {}, {}, {})
        for file in sorted(path.glob("*.tf")):
            with file.open() as handle:
                document = hcl2.load(handle)
            for block in document.get("variable", []):
                for name, body in block.items():
                    module.variables[_unquote(name)] = body
            for block in document.get("locals", []):
                module.locals.update({k: v for k, v in block.items() if not k.startswith("__")})
            for block in document.get("resource", []):
                for rtype, named in block.items():
                    for name, body in named.items():
                        module.resources.setdefault(_unquote(rtype), {})[_unquote(name)] = body
            for block in document.get("module", []):
                for name, body in block.items():
                    module.modules[_unquote(name)] = body
            for block in document.get("output", []):
                for name, body in block.items():
                    module.outputs[_unquote(name)] = body
        return module

    def scope(self, inputs: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> TerraformScope:
        """Scope with `inputs` (evaluated values) over the variables' defaults."""
        defaults = TerraformScope(variables={})
        variables = {
            name: defaults.evaluate(body["default"]) if "default" in body else UNKNOWN
            for name, body in self.variables.items()
        }
        variables.update(inputs)
        return TerraformScope(variables=variables, locals=self.locals, overrides=dict(overrides or {}))


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def get_path(body: Any, path: str) -> Any:
    """`a.b.c` through nested dicts; hcl2 blocks (lists of dicts) are entered at their first element."""
    value = body
    for part in path.split("."):
        if isinstance(value, list) and value and isinstance(value[0], dict):
            value = value[0]
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        return value[0]
    return value


# ------------------------------------------------------------------------------------------------- Bicep


def _is_identifier(value: Any) -> bool:
    from pycep.transformer import BicepElement

    return isinstance(value, BicepElement)


@dataclass
class BicepScope:
    """Parameters (evaluated) and variables (raw pycep values, evaluated on demand) of one Bicep file."""

    parameters: dict[str, Any]
    variables: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)  # e.g. {"nameSuffix": "ab12c"}

    def resolve(self, name: str) -> Any:
        if name in self.overrides:
            return self.overrides[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.variables:
            return self.evaluate(self.variables[name]["value"])
        if name in {"true", "false"}:
            return name == "true"
        return UNKNOWN

    def evaluate(self, value: Any) -> Any:
        if isinstance(value, bool | int | float) or value is None:
            return value
        if isinstance(value, list):
            return [self.evaluate(item) for item in value]
        if isinstance(value, str):
            if _is_identifier(value):
                return self.resolve(str(value))
            return self._interpolate(value)
        if isinstance(value, dict):
            if set(value) == {"operator"}:
                return self._operator(value["operator"])
            if set(value) == {"function"}:
                return self._function(value["function"])
            return {key: self.evaluate(item) for key, item in value.items()}
        return UNKNOWN

    def _interpolate(self, text: str) -> Any:
        parts: list[str] = []
        pos = 0
        for match in re.finditer(r"\$\{([^{}]*)\}", text):
            parts.append(text[pos : match.start()])
            value: Any = self
            for segment in match.group(1).strip().split("."):
                if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", segment):
                    return UNKNOWN
                value = self.resolve(segment) if value is self else _member(value, segment)
            if value is UNKNOWN or isinstance(value, dict | list):
                return UNKNOWN
            parts.append(str(value).lower() if isinstance(value, bool) else str(value))
            pos = match.end()
        parts.append(text[pos:])
        return "".join(parts)

    def _operator(self, operator: dict[str, Any]) -> Any:
        kind, operands = operator["type"], operator["operands"]
        if kind == "conditional":
            condition = self.evaluate(operands["condition"])
            if condition is UNKNOWN:
                return UNKNOWN
            return self.evaluate(operands["true_value"] if condition else operands["false_value"])
        if kind == "not":
            value = self.evaluate(operands["bool_value"])
            return UNKNOWN if value is UNKNOWN else not value
        if kind in {"equals", "not_equals", "and", "or"}:
            left, right = self.evaluate(operands["operand_1"]), self.evaluate(operands["operand_2"])
            if UNKNOWN in (left, right):
                return UNKNOWN
            return {
                "equals": lambda: left == right,
                "not_equals": lambda: left != right,
                "and": lambda: bool(left and right),
                "or": lambda: bool(left or right),
            }[kind]()
        if kind == "property_accessor":
            return _member(self.evaluate(operands["operand_1"]), str(operands["operand_2"]))
        if kind == "index_accessor":
            index = self.evaluate(operands["operand_2"])
            return _member(self.evaluate(operands["operand_1"]), index)
        return UNKNOWN

    def _function(self, function: dict[str, Any]) -> Any:
        kind, parameters = function["type"], function.get("parameters") or {}
        if kind == "empty":
            value = self.evaluate(next(iter(parameters.values())))
            return UNKNOWN if value is UNKNOWN else len(value) == 0
        if kind == "concat":
            values = [self.evaluate(item) for item in parameters.values()]
            if any(v is UNKNOWN or not isinstance(v, list) for v in values):
                return UNKNOWN
            return [item for value in values for item in value]
        if kind == "objectKeys":
            value = self.evaluate(next(iter(parameters.values())))
            return list(value) if isinstance(value, dict) else UNKNOWN
        return UNKNOWN


def _member(value: Any, key: Any) -> Any:
    if isinstance(value, dict) and key in value:
        return value[key]
    if isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
        return value[key]
    return UNKNOWN


@dataclass
class BicepFile:
    path: Path
    document: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> BicepFile:
        from pycep import BicepParser

        return cls(path, BicepParser().parse(file_path=path))

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        return self.document.get("parameters") or {}

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.document.get("resources") or {}

    @property
    def modules(self) -> dict[str, dict[str, Any]]:
        return self.document.get("modules") or {}

    @property
    def outputs(self) -> dict[str, dict[str, Any]]:
        return self.document.get("outputs") or {}

    def scope(self, inputs: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> BicepScope:
        """Scope with `inputs` (evaluated values) over the parameters' defaults."""
        defaults = BicepScope(parameters={})
        parameters = {
            name: defaults.evaluate(body["default"]) if body.get("default") is not None else UNKNOWN
            for name, body in self.parameters.items()
        }
        parameters.update(inputs)
        return BicepScope(
            parameters=parameters,
            variables=self.document.get("variables") or {},
            overrides=dict(overrides or {}),
        )


def module_call(module: dict[str, Any]) -> tuple[Any, dict[str, Any] | None, dict[str, Any]]:
    """(condition, loop, params) of a pycep module declaration, whatever its shape (plain, if, for)."""
    config = module["config"]
    condition, loop = None, None
    while "config" in config:
        condition = config.get("condition", condition)
        loop = config.get("loop_type", loop)
        config = config["config"]
    return condition, loop, config.get("params") or {}


def load_parameters_json(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text())
    return {name: entry["value"] for name, entry in document["parameters"].items()}
