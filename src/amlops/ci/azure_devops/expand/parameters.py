"""Template and pipeline parameters: declarations, defaults, required checks, types and `values:`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from amlops.ci.azure_devops.expr.evaluator import ExpressionError, to_string
from amlops.ci.errors import PipelineError
from amlops.yamlsource import Loc, YMap, YSeq, loc_of

STEP_KEYS = frozenset(
    {
        "script",
        "bash",
        "pwsh",
        "powershell",
        "checkout",
        "task",
        "download",
        "publish",
        "template",
        "getPackage",
        "reviewApp",
        "restoreCache",
        "downloadBuild",
    }
)
JOB_KEYS = frozenset({"job", "deployment", "template"})

# parameter type -> (section its items live in, single item keys, is a list)
TYPES: dict[str, tuple[str | None, frozenset[str] | None, bool]] = {
    "string": (None, None, False),
    "number": (None, None, False),
    "boolean": (None, None, False),
    "object": (None, None, False),
    "step": ("steps", STEP_KEYS, False),
    "steplist": ("steps", STEP_KEYS, True),
    "job": ("jobs", JOB_KEYS, False),
    "joblist": ("jobs", JOB_KEYS, True),
    "deployment": ("jobs", frozenset({"deployment", "template"}), False),
    "deploymentlist": ("jobs", frozenset({"deployment", "template"}), True),
    "stage": ("stages", frozenset({"stage", "template"}), False),
    "stagelist": ("stages", frozenset({"stage", "template"}), True),
    # The YAML schema's other types (parameters-parameter: "environment | filePath | ... | serviceConnection")
    # and stringList (runtime parameters doc): names of resources, or text, chosen when the run is queued.
    "stringlist": (None, None, True),
    "environment": (None, None, False),
    "filepath": (None, None, False),
    "pool": (None, None, False),
    "securefile": (None, None, False),
    "serviceconnection": (None, None, False),
}
# Types whose value is one piece of text (a resource name or a path), checked like `string`.
TEXT_TYPES = frozenset({"string", "environment", "filepath", "securefile", "serviceconnection"})
TYPE_NAMES = {
    k.lower(): k
    for k in (
        "string",
        "number",
        "boolean",
        "object",
        "step",
        "stepList",
        "job",
        "jobList",
        "deployment",
        "deploymentList",
        "stage",
        "stageList",
        "stringList",
        "environment",
        "filePath",
        "pool",
        "secureFile",
        "serviceConnection",
    )
}

_MISSING = object()


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str  # canonical spelling, e.g. "stepList"
    default: Any
    values: tuple[Any, ...] | None
    loc: Loc | None

    @property
    def required(self) -> bool:
        return self.default is _MISSING

    @property
    def section(self) -> str | None:
        return TYPES[self.type.lower()][0]


def declarations(node: Any, template: str) -> list[Parameter]:
    """Read a `parameters:` block: the typed list form, or the older mapping form (name: default)."""
    if node is None:
        return []
    if isinstance(node, Mapping):
        return [
            Parameter(str(k), "object", v, None, node.loc_of(k) if isinstance(node, YMap) else None)
            for k, v in node.items()
        ]
    if not isinstance(node, list):
        raise PipelineError(f"'parameters' in {template} must be a list of declarations", loc_of(node))
    out: list[Parameter] = []
    seen: set[str] = set()
    for i, item in enumerate(node):
        loc = node.loc_of(i) if isinstance(node, YSeq) else None
        if not isinstance(item, Mapping) or "name" not in item:
            raise PipelineError(f"each parameter in {template} needs a 'name'", loc)
        unknown = set(item) - {"name", "type", "default", "values", "displayName"}
        if unknown:
            raise PipelineError(
                f"parameter '{item['name']}' has unknown field(s) {', '.join(sorted(map(str, unknown)))} "
                "(allowed: name, displayName, type, default, values)",
                loc,
            )
        name = str(item["name"])
        if name.lower() in seen:
            raise PipelineError(f"parameter '{name}' is declared twice in {template}", loc)
        seen.add(name.lower())
        type_text = str(item.get("type", "string"))
        canonical = TYPE_NAMES.get(type_text.lower())
        if canonical is None:
            raise PipelineError(
                f"parameter '{name}' has unknown type '{type_text}' "
                f"(known: {', '.join(TYPE_NAMES.values())})",
                loc,
            )
        values = item.get("values")
        if values is not None and not isinstance(values, list):
            raise PipelineError(f"'values' of parameter '{name}' must be a list", loc)
        param = Parameter(
            name, canonical, item.get("default", _MISSING), tuple(values) if values else None, loc
        )
        if not param.required:
            coerce(param, param.default, template, "its default", loc)
        out.append(param)
    return out


def _describe(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"'{to_string(value)}'"


def coerce(param: Parameter, value: Any, template: str, origin: str, loc: Loc | None) -> Any:
    """Check `value` against the declared type and `values:`; return it in the type's Python form."""
    kind = param.type.lower()

    def fail(expected: str) -> PipelineError:
        return PipelineError(
            f"parameter '{param.name}' of {template} expects {expected}, but {origin} is {_describe(value)}",
            loc,
        )

    if kind in TEXT_TYPES:
        if isinstance(value, (Mapping, list)):
            raise fail("a string")
        value = "" if value is None else to_string(value)
    elif kind == "stringlist":
        if value is None:
            value = []
        if not isinstance(value, list) or any(isinstance(v, (Mapping, list)) for v in value):
            raise fail("a stringList (a list of strings)")
        value = YSeq((to_string(v) for v in value), loc=loc_of(value))
    elif kind == "pool":
        if isinstance(value, list):
            raise fail("a pool (a name or a mapping)")
        if not isinstance(value, Mapping):
            value = "" if value is None else to_string(value)
    elif kind == "number":
        if isinstance(value, (bool, Mapping, list)) or value is None:
            raise fail("a number")
        if isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                raise fail("a number") from None
            value = int(number) if number.is_integer() and not math.isinf(number) else number
    elif kind == "boolean":
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            value = value.strip().lower() == "true"
        elif not isinstance(value, bool):
            raise fail("a boolean (true or false)")
    elif kind != "object":
        section, keys, is_list = TYPES[kind]
        items = value if is_list else [value]
        if is_list and value is None:
            value, items = [], []
        if not isinstance(items, list):
            raise fail(f"a {param.type} (a list of {section})")
        for item in items:
            if not isinstance(item, Mapping) or keys is None or not (set(item) & keys):
                article = "an" if param.type[0] in "aeiou" else "a"
                raise fail(
                    f"{article} {param.type} "
                    f"(each item a mapping with one of: {', '.join(sorted(keys or ()))})"
                )
    if param.values is not None:
        allowed = [to_string(v) if not isinstance(v, (Mapping, list)) else v for v in param.values]
        chosen = list(value) if kind == "stringlist" else [value]  # a stringList: each item
        for one in chosen:
            _check_allowed(param, one, allowed, template, origin, loc)
    return value


def _check_allowed(  # noqa: PLR0917 (internal helper)
    param: Parameter, value: Any, allowed: list[Any], template: str, origin: str, loc: Loc | None
) -> None:
    shown = value if isinstance(value, (Mapping, list)) else to_string(value)
    if shown not in allowed:
        raise PipelineError(
            f"parameter '{param.name}' of {template}: {origin} {_describe(value)} "
            "is not an allowed value "
            f"(allowed: {', '.join(map(str, allowed))})",
            loc,
        )


class DeclaredParameters(YMap):
    """The `parameters` of a file with a typed `parameters:` list: naming an undeclared one is an error."""

    __slots__ = ("template",)

    def __init__(self, *args: Any, template: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.template = template

    def missing(self, name: str) -> Any:
        declared = ", ".join(str(k) for k in self) or "none"
        raise ExpressionError(f"{self.template} declares no parameter '{name}' (declared: {declared})")


def bind(
    params: list[Parameter],
    args: Mapping[str, Any],
    arg_locs: Mapping[str, Loc | None],
    *,
    template: str,
    call_site: Loc | None,
    call_text: str = "the call",
    typed: bool = True,
) -> dict[str, Any]:
    """Match passed values to declarations: missing required values and wrong types fail.

    `typed`: the template declares its parameters as a typed list, so undeclared names fail (at the call
    and when an expression names one). Otherwise (no `parameters:`, or the older `name: default` mapping)
    undeclared values are accepted and bound as given, as the service does."""
    by_name = {p.name.lower(): p for p in params}
    for name in args:
        if typed and str(name).lower() not in by_name:
            declared = ", ".join(p.name for p in params) or "none"
            raise PipelineError(
                f"{template} does not declare a parameter '{name}' (declared: {declared})",
                arg_locs.get(name) or call_site,
            )
    bound: dict[str, Any] = DeclaredParameters(template=template) if typed else YMap()
    given = {str(k).lower(): (k, v) for k, v in args.items()}
    for p in params:
        if p.name.lower() in given:
            key, value = given.pop(p.name.lower())
            bound[p.name] = coerce(
                p, value, template, f"the value passed by {call_text}", arg_locs.get(key) or call_site
            )
        elif not p.required:
            bound[p.name] = coerce(p, p.default, template, "its default", p.loc)
        else:
            raise PipelineError(
                f"parameter '{p.name}' of {template} is required, but {call_text} passes no value "
                f"(declared at {p.loc})"
                if p.loc
                else f"parameter '{p.name}' of {template} is required",
                call_site,
            )
    for key, value in given.values():  # undeclared, accepted by an untyped template
        bound[str(key)] = value
    return bound
