"""Which pipelines an event starts: GitHub `on:` and Azure DevOps `trigger:`/`pr:`/`schedules:`/webhooks.

`select(repo_root, event, ref=..., changed_paths=..., payload=...)` scans the pipeline folders and returns
the files whose triggers match, in lifecycle order. The matching itself is pure functions over parsed
documents, tested table-driven.

Events: `push`, `pull_request` (`ref` is the *target* branch), `schedule`, `workflow_dispatch` (manual),
`repository_dispatch` (`payload["action"]` is the type) and the lifecycle's external events
(`amlops.lifecycle.events`: `model-registered`, the registry update).

Conventions chosen here:
- An external event selects GitHub workflows with `repository_dispatch` whose `types` are absent or include
  its dispatch type ("model-registered"), and Azure DevOps pipelines declaring a webhook resource with its
  alias (`resources.webhooks: [{webhook: modelRegistered, connection: ...}]`); the webhook's
  `filters` (`path`/`value`) must match the event record (`payload`, e.g. `path: alias, value: challenger`).
  `resources.pipelines` triggers are pipeline-completion triggers, not registry updates: not selected.
- `changed_paths=None` means "unknown": path filters are not applied. An empty list means nothing changed.
- Azure DevOps: no `trigger:` means every branch (the documented default); no `pr:` means every target
  branch (as for GitHub-hosted repositories); `workflow_dispatch`/`manual` selects every Azure DevOps
  pipeline (any pipeline can be queued by hand). A file counts as a pipeline if it has `stages`, `jobs`,
  `steps` or `extends` at the top; pipeline folders should hold no templates (those live in `templates/`).
- GitHub workflows with only `workflow_call` are never selected (they run from their callers).
- Order: lifecycle rank from the file name (pr/ci, infra, train, deploy, monitor, then the rest), then
  GitHub before Azure DevOps, then the path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from amlops.ci.errors import PipelineError
from amlops.lifecycle.events import external_event
from amlops.yamlsource import Loc

GITHUB_FOLDERS = (".github/workflows", "pipelines/github")
AZURE_DEVOPS_FOLDERS = ("pipelines/azure-devops", ".azure-pipelines")
AZURE_DEVOPS_ROOT_FILES = ("azure-pipelines.yml",)
MANUAL_EVENTS = ("workflow_dispatch", "manual")
LIFECYCLE = (
    ("pr", "ci"),
    ("infra", "infrastructure"),
    ("train",),
    ("deploy", "release"),
    ("monitor", "drift"),
)


# --- pattern matching -------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _github_regex(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]?")
            i += 1
        elif char == "+" and out:
            out.append("+")
            i += 1
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
                i += 1
            else:
                out.append("[" + pattern[i + 1 : end].replace("\\", "\\\\") + "]")
                i = end + 1
        elif char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(char))
            i += 1
    return re.compile("".join(out))


def github_match(pattern: str, name: str) -> bool:
    """GitHub filter pattern: `*` stops at `/`, `**` does not, `?` is zero or one character (the docs'
    `Octoc?t` matches `Octocat`), `+` repeats the previous character, `[a-z]` is a class, `\\` escapes."""
    return _github_regex(pattern).fullmatch(name) is not None


def github_filter(patterns: Iterable[str], name: str) -> bool:
    """Ordered patterns, `!` negating: the last pattern that matches decides; none matching means no."""
    included = False
    for raw in patterns:
        pattern = str(raw)
        if pattern.startswith("!"):
            if github_match(pattern[1:], name):
                included = False
        elif github_match(pattern, name):
            included = True
    return included


def github_paths(
    changed: Sequence[str] | None, *, include: Sequence[str] | None, ignore: Sequence[str] | None
) -> bool:
    """`paths`: some changed file is included; `paths-ignore`: some changed file is not ignored."""
    if changed is None:
        return True
    if include is not None:
        return any(github_filter(include, path) for path in changed)
    if ignore is not None:
        return any(not github_filter(ignore, path) for path in changed)
    return True


def azure_branch_match(pattern: str, branch: str) -> bool:
    """Azure DevOps branch/tag filter: exact name or wildcards `*` (any characters, `/` too) and `?`."""
    pattern = pattern.removeprefix("refs/heads/").removeprefix("refs/tags/")
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, branch) is not None


def azure_path_match(pattern: str, path: str) -> bool:
    """Azure DevOps path filter: a folder or file prefix (`docs` covers `docs/a.md`), or wildcards where
    `*` and `?` stay within a folder and `**` crosses folders; a match covers everything below it."""
    pattern = pattern.strip().lstrip("/").rstrip("/")
    path = path.lstrip("/")
    if not pattern:
        return True
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        else:
            char = pattern[i]
            parts.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
            i += 1
    return re.fullmatch("".join(parts) + "(?:/.*)?", path) is not None


def azure_include_exclude(
    include: Sequence[str] | None,
    exclude: Sequence[str] | None,
    name: str,
    match: Any,
    *,
    exclude_only_includes_all: bool = True,
) -> bool:
    """Inclusions first, then exclusions removed; exclusions alone include everything else (or nothing)."""
    if include is None:
        if not exclude_only_includes_all and exclude:
            return False
        included = True
    else:
        included = any(match(str(p), name) for p in include)
    return included and not any(match(str(p), name) for p in exclude or [])


# --- GitHub ---------------------------------------------------------------------------------------


def _on(document: Mapping[str, Any]) -> dict[str, Any]:
    on = document.get("on", document.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {str(e): None for e in on}
    if isinstance(on, Mapping):
        return dict(on)
    return {}


def _list(value: Any) -> list[str] | None:
    if value is None:
        return None
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _github_ref_filter(spec: Mapping[str, Any], ref: str) -> bool:
    branches, branches_ignore = _list(spec.get("branches")), _list(spec.get("branches-ignore"))
    tags, tags_ignore = _list(spec.get("tags")), _list(spec.get("tags-ignore"))
    has_branch_filter = branches is not None or branches_ignore is not None
    has_tag_filter = tags is not None or tags_ignore is not None
    if ref.startswith("refs/tags/"):
        name = ref.removeprefix("refs/tags/")
        if tags is not None:
            return github_filter(tags, name)
        if tags_ignore is not None:
            return not github_filter(tags_ignore, name)
        return not has_branch_filter
    name = ref.removeprefix("refs/heads/")
    if branches is not None:
        return github_filter(branches, name)
    if branches_ignore is not None:
        return not github_filter(branches_ignore, name)
    return not has_tag_filter


def github_triggered(
    document: Mapping[str, Any],
    event: str,
    *,
    ref: str = "refs/heads/main",
    changed_paths: Sequence[str] | None = None,
    payload: Mapping[str, Any] | None = None,
) -> bool:
    """Whether a GitHub workflow's `on:` starts it for this event."""
    on = _on(document)
    payload = payload or {}
    external = external_event(event)
    if external is not None:
        if "repository_dispatch" not in on:
            return False
        spec = on["repository_dispatch"] or {}
        types = _list(spec.get("types")) if isinstance(spec, Mapping) else None
        return types is None or external.dispatch_type in types
    if event == "manual":
        event = "workflow_dispatch"
    keys = ("pull_request", "pull_request_target") if event == "pull_request" else (event,)
    found = [key for key in keys if key in on]
    if not found:
        return False
    spec = on[found[0]] or {}
    if not isinstance(spec, Mapping):
        return True
    if event == "repository_dispatch":
        types = _list(spec.get("types"))
        action = payload.get("action", payload.get("event_type", payload.get("type")))
        return types is None or action in types
    if event in ("push", "pull_request"):
        if not _github_ref_filter(spec, ref):
            return False
        if ref.startswith("refs/tags/"):
            return True
        return github_paths(
            changed_paths, include=_list(spec.get("paths")), ignore=_list(spec.get("paths-ignore"))
        )
    return True


# --- Azure DevOps ---------------------------------------------------------------------------------


def _azure_ref_and_paths(
    spec: Any, ref: str, changed_paths: Sequence[str] | None, *, exclude_only_includes_all: bool
) -> bool:
    if spec in (None, True):
        return not ref.startswith("refs/tags/")
    if spec in ("none", False):
        return False
    if isinstance(spec, (list, str)):
        return not ref.startswith("refs/tags/") and any(
            azure_branch_match(p, ref.removeprefix("refs/heads/")) for p in _list(spec) or []
        )
    if not isinstance(spec, Mapping):
        return False
    if ref.startswith("refs/tags/"):
        tags = spec.get("tags")
        if not isinstance(tags, Mapping):
            return False
        return azure_include_exclude(
            _list(tags.get("include")),
            _list(tags.get("exclude")),
            ref.removeprefix("refs/tags/"),
            azure_branch_match,
        )
    branches = spec.get("branches")
    if branches is not None:
        if isinstance(branches, Mapping):
            include, exclude = _list(branches.get("include")), _list(branches.get("exclude"))
        else:
            include, exclude = _list(branches), None
        name = ref.removeprefix("refs/heads/")
        if not azure_include_exclude(
            include, exclude, name, azure_branch_match, exclude_only_includes_all=exclude_only_includes_all
        ):
            return False
    elif "tags" in spec:  # only tags given: branches do not trigger
        return False
    paths = spec.get("paths")
    if changed_paths is None or not isinstance(paths, Mapping):
        return True
    include, exclude = _list(paths.get("include")), _list(paths.get("exclude"))
    return any(azure_include_exclude(include, exclude, path, azure_path_match) for path in changed_paths)


def _dotted(payload: Mapping[str, Any], path: str) -> Any:
    value: Any = payload
    for part in path.removeprefix("$.").split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def azure_triggered(
    document: Mapping[str, Any],
    event: str,
    *,
    ref: str = "refs/heads/main",
    changed_paths: Sequence[str] | None = None,
    payload: Mapping[str, Any] | None = None,
) -> bool:
    """Whether an Azure DevOps pipeline's triggers start it for this event."""
    if event == "push":
        return _azure_ref_and_paths(
            document.get("trigger"), ref, changed_paths, exclude_only_includes_all=True
        )
    if event == "pull_request":
        return _azure_ref_and_paths(document.get("pr"), ref, changed_paths, exclude_only_includes_all=False)
    if event == "schedule":
        schedules = document.get("schedules")
        if not isinstance(schedules, list):
            return False
        name = ref.removeprefix("refs/heads/")
        for schedule in schedules:
            branches = schedule.get("branches") if isinstance(schedule, Mapping) else None
            if branches is None:
                return True
            if isinstance(branches, Mapping):
                include, exclude = _list(branches.get("include")), _list(branches.get("exclude"))
            else:
                include, exclude = _list(branches), None
            if azure_include_exclude(include, exclude, name, azure_branch_match):
                return True
        return False
    if event in MANUAL_EVENTS:
        return True
    external = external_event(event)
    if external is not None:
        resources = document.get("resources") or {}
        webhooks = resources.get("webhooks") if isinstance(resources, Mapping) else None
        for hook in webhooks or []:
            if not isinstance(hook, Mapping) or str(hook.get("webhook")) != external.webhook:
                continue
            filters = hook.get("filters") or []
            if all(
                _text(_dotted(payload or {}, str(f.get("path", "")))) == _text(f.get("value"))
                for f in filters
                if isinstance(f, Mapping)
            ):
                return True
        return False
    return False


# --- scanning ---------------------------------------------------------------------------------------


def lifecycle_rank(path: Path) -> int:
    """Position of a pipeline in the lifecycle, from the words of its file name."""
    words = set(re.split(r"[-_.]", path.stem.lower()))
    for rank, keys in enumerate(LIFECYCLE):
        if words & set(keys):
            return rank
    return len(LIFECYCLE)


def _load(path: Path, repo_root: Path) -> dict[str, Any] | None:
    shown = path.relative_to(repo_root).as_posix()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise PipelineError(f"invalid YAML: {error}", Loc(shown, mark.line + 1 if mark else 1)) from None
    return document if isinstance(document, dict) else None


def _files(repo_root: Path, folders: Iterable[str]) -> list[Path]:
    found: list[Path] = []
    for folder in folders:
        base = repo_root / folder
        if base.is_dir():
            found.extend(sorted(p for p in base.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file()))
    return found


def select(
    repo_root: Path,
    event: str,
    *,
    ref: str = "refs/heads/main",
    changed_paths: Sequence[str] | None = None,
    payload: Mapping[str, Any] | None = None,
    github_folders: Sequence[str] = GITHUB_FOLDERS,
    azure_devops_folders: Sequence[str] = AZURE_DEVOPS_FOLDERS,
) -> list[Path]:
    """The pipeline files under `repo_root` that `event` starts, in lifecycle order (see the module doc)."""
    chosen: list[tuple[int, int, str, Path]] = []
    for path in _files(repo_root, github_folders):
        document = _load(path, repo_root)
        if (
            document is not None
            and "jobs" in document
            and github_triggered(document, event, ref=ref, changed_paths=changed_paths, payload=payload)
        ):
            chosen.append((lifecycle_rank(path), 0, path.as_posix(), path))
    ado_files = _files(repo_root, azure_devops_folders)
    ado_files += [repo_root / f for f in AZURE_DEVOPS_ROOT_FILES if (repo_root / f).is_file()]
    for path in ado_files:
        document = _load(path, repo_root)
        if document is None or not ({"stages", "jobs", "steps", "extends"} & set(document)):
            continue
        if azure_triggered(document, event, ref=ref, changed_paths=changed_paths, payload=payload):
            chosen.append((lifecycle_rank(path), 1, path.as_posix(), path))
    return [item[3] for item in sorted(chosen)]
