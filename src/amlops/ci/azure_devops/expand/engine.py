"""Expand an Azure Pipelines file the way a preview run does, offline.

`${{ }}` expressions are evaluated with `parameters` and the statically defined `variables` in scope;
templates are inserted at stage, job, step and variable level (and through `extends`); files from
`resources.repositories` come from local folders (`--repo alias=PATH`). Whole-value expressions keep their
type (a list or mapping is inserted), expressions inside a longer string are interpolated as text.
Each `resources.webhooks` alias is a parameter holding the triggering event's JSON payload, as on Azure
(`${{ parameters.<alias>.<field> }}`): the payload passed in `webhooks[alias]`, or an empty object when the
run was not started by that webhook.
Every error names the file, the line and the chain of template call sites that led there.

The service's leniencies are reproduced, not linted away: names in expressions ignore case; a template
without a typed `parameters:` list (none, or the older `name: default` mapping) accepts undeclared
parameters; `parameters: ${{ parameters }}` passes a whole object; paths may use backslashes. So are
its strict checks: every `${{ }}` of a file is syntax-checked when it loads (`syntax`), a typed list rejects
undeclared parameters at the call and in expressions, and the expanded pipeline meets the schema (`schema`).
The stricter contract check of this repository's own step library is a test (tests/templates), not this.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from amlops.ci.azure_devops.expand.parameters import Parameter, bind, declarations
from amlops.ci.azure_devops.expand.schema import check_expanded
from amlops.ci.azure_devops.expand.syntax import check_file_syntax, find_expressions
from amlops.ci.azure_devops.expr import Context, ExpressionError, evaluate
from amlops.ci.azure_devops.expr.evaluator import Version, evaluate_text, to_string
from amlops.ci.errors import PipelineError
from amlops.yamlsource import Loc, YamlError, YMap, YSeq, load_file, loc_of

SECTION_KEYS = {"stages": "stages", "jobs": "jobs", "steps": "steps", "variables": "variables"}
TEMPLATE_SECTIONS = frozenset(SECTION_KEYS.values())
_DIRECTIVE = re.compile(r"^\s*\$\{\{(.*)\}\}\s*$", re.DOTALL)
_EACH = re.compile(r"^\s*each\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\s+(.+)$", re.DOTALL)


@dataclass(frozen=True)
class Limits:
    """Azure Pipelines' documented limits on template use."""

    max_files: int = 100  # separate YAML files included, directly or indirectly
    max_depth: int = 100  # levels of templates including templates
    max_bytes: int = 20 * 1024 * 1024  # YAML parsed (stands in for the 20 MB parsing-memory limit)


@dataclass
class _Frame:
    """One template instance: where it lives, who called it, its parameters and static variables."""

    path: Path
    shown: str
    repo: str  # "self" or an alias
    repo_root: Path
    chain: tuple[Loc, ...]
    named: dict[str, Any] = field(default_factory=dict)

    def at(self, loc: Loc | None) -> Loc | None:
        return None if loc is None else Loc(loc.file, loc.line, self.chain)


class Expander:
    def __init__(
        self,
        *,
        repo_root: Path,
        repos: Mapping[str, Path] | None = None,
        parameters: Mapping[str, Any] | None = None,
        variables: Mapping[str, Any] | None = None,
        limits: Limits | None = None,
        webhooks: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.repo_root = repo_root.resolve()
        self.webhooks = {k: dict(v) for k, v in (webhooks or {}).items()}
        self.repos = {k: Path(v).resolve() for k, v in (repos or {}).items()}
        self.parameters = dict(parameters or {})
        self.variables = dict(variables or {})
        self.limits = limits or Limits()
        self.files: set[Path] = set()
        self.bytes = 0
        self.declared_repos: set[str] = set()
        self._cache: dict[Path, Any] = {}
        self.start_time = datetime.now(UTC)

    # ------------------------------------------------------------------ files
    def shown_name(self, path: Path, repo: str, repo_root: Path) -> str:
        try:
            rel = path.resolve().relative_to(repo_root).as_posix()
        except ValueError:
            rel = path.as_posix()
        return rel if repo == "self" else f"{rel}@{repo}"

    def load(self, path: Path, shown: str) -> Any:
        if path not in self._cache:
            try:
                doc = load_file(path, shown)
            except YamlError as exc:
                raise PipelineError(exc.problem, exc.loc) if exc.loc else PipelineError(str(exc)) from None
            check_file_syntax(doc)  # the whole file, taken branches or not
            self._cache[path] = doc
        return self._cache[path]

    # ------------------------------------------------------------------ expressions
    def context(self, frame: _Frame, scope: Mapping[str, Any]) -> Context:
        named = {
            "parameters": frame.named.get("parameters", {}),
            "variables": frame.named.get("variables", {}),
            "pipeline": {"startTime": self.start_time},
        }
        for name, value in scope.items():  # a loop variable shadows a name spelt in any case
            put_ignoring_case(named, name, value)
        return Context(named=named, where="template expressions")

    def fail(self, message: str, loc: Loc | None, frame: _Frame) -> PipelineError:
        return PipelineError(message, frame.at(loc) if loc is not None and not loc.chain else loc)

    def evaluate(self, text: str, frame: _Frame, scope: Mapping[str, Any], loc: Loc | None) -> Any:
        try:
            return evaluate(text, self.context(frame, scope))
        except ExpressionError as exc:
            column = f" (at column {exc.column})" if exc.column else ""
            raise self.fail(
                f"error in expression '{text.strip()}': {exc.message}{column}", loc, frame
            ) from None

    def expand_string(self, text: str, frame: _Frame, scope: Mapping[str, Any], loc: Loc | None) -> Any:
        if "${{" not in text:
            return text
        try:
            spans = find_expressions(text)
        except ExpressionError as exc:
            raise self.fail(f"error in '{text.strip()}': {exc.message}", loc, frame) from None
        if len(spans) == 1 and text[: spans[0][0]].strip() == "" and text[spans[0][1] :].strip() == "":
            start, end = spans[0]
            return _yaml_value(self.evaluate(text[start + 3 : end - 2], frame, scope, loc))
        out, last = [], 0
        for start, end in spans:
            out.append(text[last:start])
            inner = text[start + 3 : end - 2]
            try:
                out.append(evaluate_text(inner, self.context(frame, scope)))
            except ExpressionError as exc:
                column = f" (at column {exc.column})" if exc.column else ""
                raise self.fail(
                    f"error in expression '{inner.strip()}': {exc.message}{column}", loc, frame
                ) from None
            last = end
        out.append(text[last:])
        return "".join(out)

    # ------------------------------------------------------------------ directives
    def directive(self, key: Any) -> tuple[str, str] | None:
        """('if'|'elseif'|'else'|'each'|'insert'|'expr', rest) for a `${{ }}` mapping key, else None."""
        if not isinstance(key, str) or "${{" not in key:
            return None
        m = _DIRECTIVE.match(key)
        if m is None or len(find_expressions(key)) != 1:
            return ("expr", key)
        inner = m.group(1).strip()
        word = inner.split(None, 1)[0] if inner else ""
        if word in ("if", "elseif", "each"):
            return (word, inner[len(word) :].strip())
        if inner in ("else", "insert"):
            return (inner, "")
        return ("expr", key)

    def _condition(
        self, kind: str, text: str, frame: _Frame, scope: Mapping[str, Any], loc: Loc | None
    ) -> bool:
        if not text:
            raise self.fail(
                f"'${{{{ {kind} }}}}' needs a condition, e.g. '${{{{ {kind} eq(parameters.x, 1) }}}}'",
                loc,
                frame,
            )
        from amlops.ci.azure_devops.expr.evaluator import to_bool

        return to_bool(self.evaluate(text, frame, scope, loc))

    def _each(
        self, text: str, frame: _Frame, scope: Mapping[str, Any], loc: Loc | None
    ) -> tuple[str, list[Any]]:
        m = _EACH.match("each " + text)
        if m is None:
            raise self.fail(
                f"expected '${{{{ each <name> in <expression> }}}}' but found '${{{{ each {text} }}}}'",
                loc,
                frame,
            )
        name, expr = m.group(1), m.group(2)
        collection = self.evaluate(expr, frame, scope, loc)
        if collection is None:
            return name, []
        if isinstance(collection, Mapping):
            return name, [{"key": k, "value": v} for k, v in collection.items()]
        if isinstance(collection, list):
            return name, list(collection)
        raise self.fail(
            f"'${{{{ each }}}}' needs a list or mapping, but '{expr.strip()}' is a single value", loc, frame
        )

    # ------------------------------------------------------------------ nodes
    def expand(  # noqa: PLR0917 (internal helper)
        self,
        node: Any,
        frame: _Frame,
        scope: Mapping[str, Any],
        section: str | None = None,
        loc: Loc | None = None,
        var_block: bool = False,
    ) -> Any:
        if isinstance(node, str):
            return self.expand_string(node, frame, scope, loc)
        if isinstance(node, Mapping):
            return self.expand_map(node, frame, scope, var_block)
        if isinstance(node, list):
            return self.expand_seq(node, frame, scope, section)
        return node

    def _new_map(self, node: Any, frame: _Frame) -> YMap:
        loc = loc_of(node)
        return YMap(loc=frame.at(loc) if loc is not None and not loc.chain else loc)

    def expand_map(
        self, node: Mapping[str, Any], frame: _Frame, scope: Mapping[str, Any], var_block: bool = False
    ) -> YMap:
        out = self._new_map(node, frame)
        node_locs = getattr(node, "locs", {})
        if "variables" in node and isinstance(node["variables"], (list, Mapping)):
            # Variables come first: later variables and the other keys of this mapping see them.
            frame = _Frame(
                frame.path,
                frame.shown,
                frame.repo,
                frame.repo_root,
                frame.chain,
                {**frame.named, "variables": dict(frame.named.get("variables", {}))},
            )
            variables = self.expand(
                node["variables"], frame, scope, "variables", node_locs.get("variables"), var_block=True
            )
        else:
            variables = None
        state: str | None = None  # after an if/elseif: "taken" or "open"
        for key, value in node.items():
            kloc = node_locs.get(key, loc_of(node))
            d = self.directive(key)
            if d is None or d[0] == "expr":
                state = None
                new_key = key if d is None else self.expand_string(key, frame, scope, kloc)
                if isinstance(new_key, (Mapping, list)):
                    raise self.fail("a mapping key expression must give a single value", kloc, frame)
                if key == "variables" and variables is not None:
                    new_value = variables
                else:
                    new_value = self.expand(value, frame, scope, SECTION_KEYS.get(str(new_key)), kloc)
                out[new_key] = new_value
                out.locs[new_key] = frame.at(kloc) if kloc is not None and not kloc.chain else kloc
                if var_block:
                    define_variables(frame.named["variables"], static_variables({new_key: new_value}))
                continue
            kind, rest = d
            take = False
            if kind == "if":
                take = self._condition("if", rest, frame, scope, kloc)
                state = "taken" if take else "open"
            elif kind in ("elseif", "else"):
                if state is None:
                    raise self.fail(
                        f"'${{{{ {kind} }}}}' must directly follow '${{{{ if }}}}' or '${{{{ elseif }}}}'",
                        kloc,
                        frame,
                    )
                if kind == "elseif":
                    take = state == "open" and self._condition("elseif", rest, frame, scope, kloc)
                    state = "taken" if (take or state == "taken") else "open"
                else:
                    take, state = state == "open", None
            if kind == "each":
                state = None
                name, items = self._each(rest, frame, scope, kloc)
                for item in items:
                    self._merge(out, value, frame, {**scope, name: item}, kloc, var_block)
                continue
            if kind == "insert":
                state = None
                take = True
            if take:
                self._merge(out, value, frame, scope, kloc, var_block)
        return out

    def _merge(  # noqa: PLR0917 (internal helper)
        self,
        out: YMap,
        value: Any,
        frame: _Frame,
        scope: Mapping[str, Any],
        loc: Loc | None,
        var_block: bool = False,
    ) -> None:
        if value is None:
            return
        expanded = self.expand(value, frame, scope, None, loc)
        if expanded is None:
            return
        if not isinstance(expanded, Mapping):
            raise self.fail(
                "inside a mapping, a '${{ }}' directive must contain key: value pairs", loc, frame
            )
        for k, v in expanded.items():
            out[k] = v
            out.locs[k] = getattr(expanded, "locs", {}).get(k, loc)
        if var_block:  # conditional variables of the mapping form are seen by the ones after them
            define_variables(frame.named["variables"], static_variables(expanded))

    def expand_seq(
        self, node: list[Any], frame: _Frame, scope: Mapping[str, Any], section: str | None
    ) -> YSeq:
        out = YSeq(loc=frame.at(loc_of(node)) if loc_of(node) and not loc_of(node).chain else loc_of(node))
        state: str | None = None
        for i, item in enumerate(node):
            iloc = node.loc_of(i) if isinstance(node, YSeq) else loc_of(node)
            d = None
            if isinstance(item, Mapping) and len(item) == 1:
                d = self.directive(next(iter(item)))
            if d is not None and d[0] != "expr":
                kind, rest = d
                body = next(iter(item.values()))
                take = False
                if kind == "if":
                    take = self._condition("if", rest, frame, scope, iloc)
                    state = "taken" if take else "open"
                elif kind in ("elseif", "else"):
                    if state is None:
                        raise self.fail(
                            f"'${{{{ {kind} }}}}' must directly follow "
                            "'${{ if }}' or '${{ elseif }}'",
                            iloc,
                            frame,
                        )
                    if kind == "elseif":
                        take = state == "open" and self._condition("elseif", rest, frame, scope, iloc)
                        state = "taken" if (take or state == "taken") else "open"
                    else:
                        take, state = state == "open", None
                elif kind == "each":
                    state = None
                    name, items = self._each(rest, frame, scope, iloc)
                    for each_item in items:
                        self._splice(out, body, frame, {**scope, name: each_item}, section, iloc)
                    continue
                else:
                    state, take = None, True
                if take:
                    self._splice(out, body, frame, scope, section, iloc)
                continue
            state = None
            if section in TEMPLATE_SECTIONS and isinstance(item, Mapping) and "template" in item:
                for new_item, new_loc in self.include(item, frame, scope, section, iloc):
                    out.append(new_item)
                    out.locs.append(new_loc)
                    if section == "variables" and "variables" in frame.named:
                        define_variables(frame.named["variables"], static_variables([new_item]))
                continue
            value = self.expand(item, frame, scope, None, iloc)
            shown_loc = frame.at(iloc) if iloc is not None and not iloc.chain else iloc
            inserted = value if isinstance(item, str) and isinstance(value, list) else [value]
            for v in inserted:
                v_loc = (loc_of(v) or shown_loc) if v is not value else shown_loc
                if isinstance(item, str) and _is_template_reference(v, section):
                    # a template reference that came in through an expression (a parameter, a loop)
                    for new_item, new_loc in self.include(v, frame, scope, section, v_loc):
                        out.append(new_item)
                        out.locs.append(new_loc)
                        if section == "variables" and "variables" in frame.named:
                            define_variables(frame.named["variables"], static_variables([new_item]))
                    continue
                if section == "variables" and "variables" in frame.named:
                    define_variables(frame.named["variables"], static_variables([v]))
                out.append(v)
                out.locs.append(v_loc)
        return out

    def _splice(  # noqa: PLR0917 (internal helper)
        self,
        out: YSeq,
        body: Any,
        frame: _Frame,
        scope: Mapping[str, Any],
        section: str | None,
        loc: Loc | None,
    ) -> None:
        if body is None:
            return
        if isinstance(body, list):
            expanded = self.expand_seq(body, frame, scope, section)
            out.extend(expanded)
            out.locs.extend(expanded.locs)
        else:
            wrapper = YSeq([body], loc=loc)
            wrapper.locs.append(loc)
            expanded = self.expand_seq(wrapper, frame, scope, section)
            out.extend(expanded)
            out.locs.extend(expanded.locs)

    # ------------------------------------------------------------------ templates
    def resolve(self, ref: str, frame: _Frame, loc: Loc | None) -> tuple[Path, str, Path]:
        path_text, _, alias = ref.partition("@")
        path_text = path_text.strip().replace("\\", "/")  # the service accepts Windows separators
        if alias:
            alias = alias.strip()
            if alias == "self":
                repo, root = "self", self.repo_root
            else:
                if alias not in self.repos:
                    if alias not in self.declared_repos:
                        raise self.fail(
                            f"template '{ref}' names the repository '{alias}', which resources.repositories "
                            "does not declare",
                            loc,
                            frame,
                        )
                    raise self.fail(
                        f"template '{ref}' comes from the repository '{alias}', which has no local copy: "
                        f"pass --repo {alias}=PATH",
                        loc,
                        frame,
                    )
                repo, root = alias, self.repos[alias]
            base = root
        else:
            repo, root = frame.repo, frame.repo_root
            base = frame.path.parent
        path = (root / path_text.lstrip("/")) if path_text.startswith("/") else (base / path_text)
        return path.resolve(), repo, root

    def include(
        self, item: Mapping[str, Any], frame: _Frame, scope: Mapping[str, Any], section: str, loc: Loc | None
    ) -> list[tuple[Any, Loc | None]]:
        item_locs = getattr(item, "locs", {})
        extra = set(item) - {"template", "parameters"}
        if extra:
            raise self.fail(
                f"a {section} template reference may only have 'template' and 'parameters', not "
                f"{', '.join(sorted(map(str, extra)))}",
                item_locs.get(sorted(extra)[0], loc),
                frame,
            )
        ref = self.expand_string(str(item["template"]), frame, scope, loc)
        call_site = item_locs.get("template", loc)
        call_site = Loc(call_site.file, call_site.line) if call_site is not None else None
        new_frame, doc, params = self.open_template(str(ref), frame, call_site)
        body = doc.get(section)
        if section not in doc:
            raise PipelineError(
                f"{new_frame.shown} is used as a {section[:-1]} template but has no '{section}:'",
                frame.at(call_site),
            )
        self.bind_into(
            new_frame,
            params,
            item.get("parameters"),
            item_locs.get("parameters", loc),
            frame,
            scope,
            call_site,
            typed=typed_parameters(doc),
        )
        expanded = self.expand(body, new_frame, {}, section, getattr(doc, "locs", {}).get(section))
        if expanded is None:
            return []
        if section == "variables":
            expanded = normalize_variables(expanded)
        if not isinstance(expanded, list):
            raise PipelineError(
                f"'{section}' in {new_frame.shown} must be a list",
                new_frame.at(getattr(doc, "locs", {}).get(section)),
            )
        locs = getattr(expanded, "locs", [None] * len(expanded))
        return list(zip(expanded, locs, strict=False))

    def open_template(
        self, ref: str, frame: _Frame, call_site: Loc | None
    ) -> tuple[_Frame, Any, list[Parameter]]:
        chain = (*frame.chain, call_site) if call_site is not None else frame.chain
        if len(chain) > self.limits.max_depth:
            raise PipelineError(
                f"templates are nested more than {self.limits.max_depth} levels deep "
                "(Azure Pipelines' limit); "
                f"is '{ref}' including itself?",
                frame.at(call_site),
            )
        path, repo, root = self.resolve(ref, frame, frame.at(call_site))
        shown = self.shown_name(path, repo, root)
        if not path.is_file():
            raise PipelineError(f"template '{ref}' not found (looked for {shown})", frame.at(call_site))
        if path not in self.files:
            self.files.add(path)
            if len(self.files) > self.limits.max_files:
                raise PipelineError(
                    f"more than {self.limits.max_files} separate template files are included "
                    "(Azure Pipelines' limit)",
                    frame.at(call_site),
                )
        self.bytes += path.stat().st_size
        if self.bytes > self.limits.max_bytes:
            raise PipelineError(
                f"the templates add up to more than {self.limits.max_bytes // (1024 * 1024)} MB of YAML "
                "(Azure Pipelines' parsing limit)",
                frame.at(call_site),
            )
        try:
            doc = self.load(path, shown)
        except PipelineError as exc:
            if exc.loc is None or exc.loc.chain:
                raise
            raise PipelineError(exc.reason, exc.loc.within(chain)) from None
        if not isinstance(doc, Mapping):
            raise PipelineError(
                f"{shown} must be a YAML mapping (with parameters: and the template's content)",
                Loc(shown, 1, chain),
            )
        new_frame = _Frame(
            path, shown, repo, root, chain, {"variables": dict(frame.named.get("variables", {}))}
        )
        try:
            params = declarations(doc.get("parameters"), shown) if "parameters" in doc else []
        except PipelineError as exc:
            if exc.loc is None or exc.loc.chain:
                raise
            raise PipelineError(exc.reason, exc.loc.within(chain)) from None
        return new_frame, doc, params

    def bind_into(  # noqa: PLR0917 (internal helper)
        self,
        new_frame: _Frame,
        params: list[Parameter],
        args: Any,
        args_loc: Loc | None,
        caller: _Frame,
        scope: Mapping[str, Any],
        call_site: Loc | None,
        *,
        typed: bool = True,
    ) -> None:
        if args is None:
            args = YMap()
        if isinstance(args, str) and "${{" in args:
            # `parameters: ${{ parameters }}` (or any expression giving a mapping) passes a whole object.
            args = self.expand_string(args, caller, scope, args_loc)
            if args is None or args == "":
                args = YMap()
            elif isinstance(args, Mapping) and not isinstance(args, YMap):
                args = YMap(args)
        if not isinstance(args, Mapping):
            raise self.fail(
                "'parameters' of a template reference must be a mapping (or an expression giving one, "
                f"such as ${{{{ parameters }}}}), not {_describe_value(args)}",
                args_loc,
                caller,
            )
        by_name = {p.name.lower(): p for p in params}
        expanded = YMap()
        arg_locs = getattr(args, "locs", {})
        locs: dict[str, Loc | None] = {}
        # Directives among the arguments (e.g. ${{ if }}) expand first, in the caller's scope.
        if any(self.directive(k) for k in args):
            args = self.expand_map(args, caller, scope)
            arg_locs = args.locs
        for key, value in args.items():
            param = by_name.get(str(key).lower())
            section = param.section if param is not None else None
            kloc = arg_locs.get(key)
            kloc = caller.at(kloc) if kloc is not None and not kloc.chain else kloc
            expanded[key] = self.expand(value, caller, scope, section, kloc)
            locs[key] = kloc
        where = caller.at(call_site) if call_site is not None else None
        bound = bind(
            params,
            expanded,
            locs,
            template=new_frame.shown,
            call_site=where,
            call_text=f"the call at {where}" if where else "the call",
            typed=typed,
        )
        new_frame.named["parameters"] = bound

    # ------------------------------------------------------------------ pipeline
    def expand_file(self, path: Path) -> YMap:
        path = path.resolve()
        shown = self.shown_name(path, "self", self.repo_root)
        doc = self.load(path, shown)
        if not isinstance(doc, Mapping):
            raise PipelineError(
                "a pipeline file must be a YAML mapping (stages:, jobs: or steps:)", Loc(shown, 1)
            )
        self.bytes += path.stat().st_size
        resources = doc.get("resources")
        if isinstance(resources, Mapping) and isinstance(resources.get("repositories"), list):
            for repo in resources["repositories"]:
                if isinstance(repo, Mapping) and "repository" in repo:
                    self.declared_repos.add(str(repo["repository"]))
        frame = _Frame(path, shown, "self", self.repo_root, (), {"variables": dict(self.variables)})
        params = declarations(doc.get("parameters"), shown) if "parameters" in doc else []
        args = YMap(self.parameters)
        declared = {p.name.lower() for p in params}
        for name in self.parameters:
            if name.lower() not in declared:
                known = ", ".join(p.name for p in params) or "none"
                raise PipelineError(
                    f"--param {name}: {shown} declares no parameter '{name}' (declared: {known})",
                    Loc(shown, 1),
                )
        frame.named["parameters"] = bind(
            params,
            args,
            {},
            template=shown,
            call_site=None,
            call_text="the command line",
            typed=typed_parameters(doc),
        )
        self.bind_webhooks(doc, frame, shown)
        body = YMap({k: v for k, v in doc.items() if k not in ("parameters", "extends")}, loc=doc.loc)
        body.locs.update({k: v for k, v in doc.locs.items() if k in body})
        out = self.expand_map(body, frame, {})
        if "extends" in doc:
            out = self.extend(doc, out, frame)
        check_expanded(out)
        return out

    def bind_webhooks(self, doc: Mapping[str, Any], frame: _Frame, shown: str) -> None:
        """Each `resources.webhooks` alias becomes a parameter: the payload it was triggered with, or {}."""
        resources = doc.get("resources")
        hooks = resources.get("webhooks") if isinstance(resources, Mapping) else None
        aliases = [
            str(h["webhook"]) for h in hooks or [] if isinstance(h, Mapping) and h.get("webhook") is not None
        ]
        for alias in self.webhooks:
            if alias.lower() not in {a.lower() for a in aliases}:
                raise PipelineError(
                    f"{shown} declares no webhook resource '{alias}' "
                    f"(declared: {', '.join(aliases) or 'none'})",
                    Loc(shown, 1),
                )
        declared = {name.lower() for name in frame.named["parameters"]}
        given = {k.lower(): v for k, v in self.webhooks.items()}
        for alias in aliases:
            if alias.lower() in declared:
                raise PipelineError(
                    f"webhook resource '{alias}' has the name of a pipeline parameter; rename one of them",
                    loc_of(hooks) or Loc(shown, 1),
                )
            frame.named["parameters"][alias] = _plain_payload(given.get(alias.lower(), {}))

    def extend(self, doc: Mapping[str, Any], out: YMap, frame: _Frame) -> YMap:
        ext = doc["extends"]
        eloc = doc.locs.get("extends")
        if not isinstance(ext, Mapping) or "template" not in ext:
            raise PipelineError("'extends' needs 'template:' (and optionally 'parameters:')", eloc)
        ext_locs = getattr(ext, "locs", {})
        call_site = ext_locs.get("template", eloc)
        ref = self.expand_string(str(ext["template"]), frame, {}, call_site)
        new_frame, tdoc, params = self.open_template(str(ref), frame, call_site)
        self.bind_into(
            new_frame,
            params,
            ext.get("parameters"),
            ext_locs.get("parameters", eloc),
            frame,
            {},
            call_site,
            typed=typed_parameters(tdoc),
        )
        body = YMap({k: v for k, v in tdoc.items() if k != "parameters"}, loc=tdoc.loc)
        body.locs.update({k: v for k, v in tdoc.locs.items() if k in body})
        expanded = self.expand_map(body, new_frame, {})
        if "variables" in out and "variables" in expanded:
            raise PipelineError(
                f"'variables' is defined both here and in the extended template {new_frame.shown} "
                f"(at {expanded.locs.get('variables')}); a pipeline that extends a template which defines "
                "variables cannot redefine them: move them into the template or pass them as parameters",
                out.locs.get("variables"),
            )
        for key, value in expanded.items():
            out[key] = value
            out.locs[key] = expanded.locs.get(key)
        return out


def _is_template_reference(value: Any, section: str | None) -> bool:
    return section in TEMPLATE_SECTIONS and isinstance(value, Mapping) and "template" in value


def typed_parameters(doc: Mapping[str, Any]) -> bool:
    """Whether a file declares its parameters as a typed list (then undeclared ones are errors)."""
    return isinstance(doc.get("parameters"), list)


def _plain_payload(value: Any) -> Any:
    """A JSON payload as the evaluator's values: mappings and lists copied, scalars kept."""
    if isinstance(value, Mapping):
        return YMap({str(k): _plain_payload(v) for k, v in value.items()})
    if isinstance(value, list):
        return YSeq(_plain_payload(v) for v in value)
    return value


def _yaml_value(value: Any) -> Any:
    """Expression results as YAML values: whole numbers as int, versions and dates as text."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, (Version, datetime)):
        return to_string(value)
    return value


def normalize_variables(value: Any) -> list[Any]:
    """Variables as a list of `{name, value}` / `{group}` items (the mapping form converts)."""
    if value is None:
        return YSeq()
    if isinstance(value, Mapping):
        out = YSeq(loc=loc_of(value))
        for k, v in value.items():
            item = YMap({"name": k, "value": v}, loc=value.loc_of(k) if isinstance(value, YMap) else None)
            out.append(item)
            out.locs.append(item.loc)
        return out
    return value


def put_ignoring_case(named: dict[str, Any], name: str, value: Any) -> None:
    """Set `named[name]`, replacing an entry whose name differs only in case (names ignore case)."""
    for existing in [k for k in named if isinstance(k, str) and k.lower() == name.lower() and k != name]:
        del named[existing]
    named[name] = value


def define_variables(known: dict[str, Any], new: Mapping[str, Any]) -> None:
    """Later definitions of a variable replace earlier ones, whatever the case of its name."""
    for name, value in new.items():
        put_ignoring_case(known, name, value)


def static_variables(value: Any) -> dict[str, Any]:
    """Name -> value of the variables whose values are known at compile time."""
    out: dict[str, Any] = {}
    if isinstance(value, Mapping):
        items: Any = [{"name": k, "value": v} for k, v in value.items()]
    elif isinstance(value, list):
        items = value
    else:
        return out
    for item in items:
        if isinstance(item, Mapping) and "name" in item:
            v = item.get("value")
            if not (isinstance(v, str) and v.strip().startswith("$[")):
                out[str(item["name"])] = v
    return out


def expand_pipeline(
    path: Path,
    *,
    repo_root: Path | None = None,
    repos: Mapping[str, Path] | None = None,
    parameters: Mapping[str, Any] | None = None,
    variables: Mapping[str, Any] | None = None,
    limits: Limits | None = None,
    webhooks: Mapping[str, Mapping[str, Any]] | None = None,
) -> YMap:
    """Expand the pipeline file at `path`; raise `PipelineError` naming file, line and template chain.

    `webhooks` maps a `resources.webhooks` alias to the payload of the event that started the run."""
    root = (repo_root or path.parent).resolve()
    return Expander(
        repo_root=root,
        repos=repos,
        parameters=parameters,
        variables=variables,
        limits=limits,
        webhooks=webhooks,
    ).expand_file(path)


def _describe_value(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    return f"'{to_string(value)}'"
