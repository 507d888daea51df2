"""Which parts of this repository a generated project holds, and where they go — decided by folder.

Standard library only: the cookiecutter hooks load this file by path.

* `assemble(repo)` runs in the `pre_prompt` hook, inside cookiecutter's temporary copy of this repository.
  It builds `{{cookiecutter.project_slug}}/` from the project skeleton (`project/`, rendered by Jinja) and
  the shared parts (`PARTS`, copied byte for byte through `_copy_without_render`, so every `${{ }}`,
  `${#`, `{%` and binary file survives), then records them and the template version in the copy's
  `cookiecutter.json`. Nothing lists single files: whatever the folders hold is taken.
* `finalize(project, answers, template)` runs in the `post_gen_project` hook. It keeps only the chosen CI
  platform (moving it to where that platform looks for it and rewriting the local references), the chosen
  infrastructure tool, the chosen deployment specs and the chosen task's contract; writes the answers into
  the configuration files, and the contract's task into the Azure ML monitor schedule (online projects only);
  and records the answers and template version in `ANSWERS_FILE`.

  The answers land strictly: every file and key the renderer writes to must be there, or generation fails
  with a `RenderError` naming the file and key (a key renamed in the template is never skipped silently).
  `*.parameters.json` is edited as parsed JSON; the YAML, HCL and Bicep files by line (their comments and
  layout are the template's documentation, and the standard library has no round-tripping parser for
  them), on the keys the renderer owns only, each edit verified to have found its key.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

from amlops.ci.signin import SERVICE_CONNECTIONS
from amlops.errors import FailedError

PROJECT_DIR = "{{cookiecutter.project_slug}}"
SKELETON = "project"
# Shared parts: (path in this repository, path in the generated project). Missing ones are skipped.
PARTS: tuple[tuple[str, str], ...] = (
    ("templates", "templates"),
    ("pipelines", "pipelines"),
    ("infrastructure", "infrastructure"),
    ("data-science", "data-science"),
    # checkov's own locked environment (pyproject.toml + uv.lock; `make tools` installs it): the PR CI's
    # infrastructure check needs it, and its pinned parsers clash with the project's environment.
    ("tools/checkov", "tools/checkov"),
    # Not tests/data_science: those test this repository's example datasets. A project has its own tests
    # (project/tests/), driven by its contract, so they survive swapping in the team's own data.
    # Not the tool (src/amlops): the project depends on it (project/pyproject.toml), as a wheel built into
    # `vendor/` (step_library=vendored) or from the template repository at the pinned ref.
)
JUNK = ("__pycache__", ".pytest_cache", ".ruff_cache", ".venv", "node_modules", ".amlops", ".mypy_cache")
ANSWERS_FILE = ".cookiecutter-answers.json"
TEMPLATE_SOURCE_ENV = "AMLOPS_TEMPLATE_SOURCE"
TEMPLATE_COMMIT_ENV = "AMLOPS_TEMPLATE_COMMIT"

GITHUB_WORKFLOWS = ".github/workflows"
GITHUB_ACTIONS = ".github/actions"
AZURE_DEVOPS_DIR = ".azure-pipelines"


class RenderError(FailedError):
    """The template does not hold what the renderer writes the answers into: a file, or a key in a file.

    Raised instead of silently skipping a renamed key; the post-gen hook reports it (`error: ...`, exit 1)
    and cookiecutter removes the half-made project."""


# ---------------------------------------------------------------------------------------------- assemble
def assemble(repo: Path, *, environ: Mapping[str, str] | None = None) -> list[str]:
    """Build `{{cookiecutter.project_slug}}/` in cookiecutter's temporary copy `repo`; return the parts."""
    environ = os.environ if environ is None else environ
    target = repo / PROJECT_DIR
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(repo / SKELETON, target, ignore=shutil.ignore_patterns(*JUNK))
    taken = []
    for source, destination in PARTS:
        path = repo / source
        if not path.exists():
            continue
        dest = target / destination
        dest.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            shutil.copytree(path, dest, ignore=shutil.ignore_patterns(*JUNK), dirs_exist_ok=True)
        else:
            shutil.copy2(path, dest)
        taken.append(destination)

    config_file = repo / "cookiecutter.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    # Top-level parts are copied wholesale; nested ones (tests/data_science) need their own pattern.
    config["_copy_without_render"] = sorted({p for t in taken for p in (t, f"{t}/*")})
    config["_template_version"] = _project_version(repo / "pyproject.toml")
    commit = environ.get(TEMPLATE_COMMIT_ENV) or _git_commit(repo)
    config["_template_commit"] = commit
    config["_template_source"] = environ.get(TEMPLATE_SOURCE_ENV, "")
    if commit and re.fullmatch(r"[0-9a-f]{40}", commit):
        # Pin to exactly what is being rendered unless the user says otherwise.
        config["step_library_ref"] = commit
    config_file.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return taken


def _project_version(pyproject: Path) -> str:
    if not pyproject.is_file():
        return ""
    match = re.search(r'(?m)^version\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"))
    return match.group(1) if match else ""


def _git_commit(repo: Path) -> str:
    if not (repo / ".git").exists():
        return ""
    try:
        result = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
        )
    except OSError:
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


# ---------------------------------------------------------------------------------------------- finalize
def finalize(
    project: Path, answers: Mapping[str, str], template: Mapping[str, str], *, source: Path | None = None
) -> None:
    """Prune and relocate the parts for `answers`, write the settings, the answers record and the project's
    Python environment files: the vendored `amlops` wheel (built from `source`, the template checkout) and
    `uv.lock`."""
    if answers["ci_platform"] == "github-actions":
        _github(project, answers)
    else:
        _azure_devops(project, answers)
    _remove(project / "templates")
    _ci_defaults(project, answers)
    _keep_one(project / "infrastructure", answers["infrastructure"], ("terraform", "bicep"))
    _deployment_specs(project / "pipelines" / "azureml", answers["deployment"])
    sample = _task(project / "data-science", answers["task"])
    apply_settings(project, answers, sample=sample)
    set_monitor_task(project)
    pipeline_diagrams(project, source)
    _prune_empty(project)
    record = {"template": dict(template), "answers": dict(answers)}
    (project / ANSWERS_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    if source is not None:
        if answers["step_library"] == "vendored":
            build_wheel(source, project / VENDOR_DIR)
        lock(project, preferences=source / "uv.lock")


# ---------------------------------------------------------------------------------------------- README
README = "README.md"
PIPELINES_MARKER = "<!-- amlops:pipelines -->"


def pipeline_diagrams(project: Path, source: Path | None) -> None:
    """Replace the README's `PIPELINES_MARKER` line with a Mermaid diagram of each pipeline the project has,
    drawn from the files just written by the template's own graph code (`amlops.graph.readme`, run with
    `source/src` as its working folder, so that this template's amlops draws them; without `source`, the
    installed amlops)."""
    readme = project / README
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    if PIPELINES_MARKER not in text:
        raise RenderError(
            f"{README}: no '{PIPELINES_MARKER}' to set (expected by the renderer for the pipeline diagrams)"
        )
    done = subprocess.run(
        [sys.executable, "-m", "amlops.graph.readme", str(project.resolve())],
        cwd=source / "src" if source is not None else None,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RenderError(f"{README}: drawing the pipelines failed: {done.stderr.strip()[-2000:]}")
    readme.write_text(text.replace(PIPELINES_MARKER, done.stdout.rstrip("\n")), encoding="utf-8")


# ---------------------------------------------------------------------------------------------- environment
VENDOR_DIR = "vendor"
LOCK_FILE = "uv.lock"


def uv_command() -> list[str]:
    """uv on PATH, else the one installed into this Python (`python -m uv`)."""
    found = shutil.which("uv")
    if found:
        return [found]
    import importlib.util

    if importlib.util.find_spec("uv") is not None:
        return [sys.executable, "-m", "uv"]
    raise ValueError("uv is not installed: it builds the vendored amlops wheel and writes uv.lock")


def build_wheel(source: Path, destination: Path) -> Path:
    """Build `amlops` from the template checkout `source` into `destination` (one reproducible wheel)."""
    destination.mkdir(parents=True, exist_ok=True)
    for old in destination.glob("amlops-*.whl"):
        old.unlink()
    done = subprocess.run(
        [*uv_command(), "build", "--quiet", "--wheel", "--out-dir", str(destination), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    wheels = sorted(destination.glob("amlops-*.whl"))
    if done.returncode != 0 or len(wheels) != 1:
        raise ValueError(f"building the amlops wheel from {source} failed:\n{done.stderr[-3000:]}")
    for extra in destination.iterdir():  # uv build leaves a .gitignore of `*` in a folder it creates
        if extra != wheels[0]:
            _remove(extra)
    return wheels[0]


def lock(project: Path, *, preferences: Path | None = None) -> bool:
    """Write the project's `uv.lock`, keeping the versions of `preferences` (the template's lock, so the
    project starts from the versions the template was tested with). A failure (no registry, an unreachable
    pinned repository) is reported, not fatal: `uv lock` in the project writes it later."""
    target = project / LOCK_FILE
    if preferences is not None and preferences.is_file() and not target.exists():
        shutil.copy2(preferences, target)  # uv reuses a lock's versions wherever they still fit
    try:
        command = uv_command()
    except ValueError as exc:
        _remove(target)
        print(f"warning: {exc}; run `uv lock` in {project}", file=sys.stderr)
        return False
    done = subprocess.run(
        [*command, "lock", "--quiet"], cwd=project, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        _remove(target)
        print(
            f"warning: uv.lock not written ({done.stderr.strip()[-1500:]}); run `uv lock` in {project}",
            file=sys.stderr,
        )
        return False
    return True


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def _move(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.exists():
        raise FileExistsError(f"two parts would both become {destination}")
    shutil.move(str(source), str(destination))


def _keep_one(folder: Path, chosen: str, options: tuple[str, ...]) -> None:
    for option in options:
        if option != chosen:
            _remove(folder / option)


def _prune_empty(root: Path) -> None:
    for dirpath, _dirnames, _filenames in os.walk(root, topdown=False):
        if Path(dirpath) != root and not os.listdir(dirpath):
            os.rmdir(dirpath)


def _yaml_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in {".yml", ".yaml"})


# ---------------------------------------------------------------------------------------------- GitHub
_USES_LOCAL = re.compile(r"(?m)^(?P<lead>\s*-?\s*uses:\s*['\"]?)\./(?P<path>[^\s'\"#]+)")


def _github(project: Path, answers: Mapping[str, str]) -> None:
    pinned = answers["step_library"] == "pinned"
    library = project / "templates" / "github"
    moved: dict[str, str] = {}  # old path (repository-relative) -> new path
    workflows = project / GITHUB_WORKFLOWS
    # Reusable workflows of the library get a `_` prefix: GitHub wants every workflow in one flat folder, and
    # a library workflow may share its name with a pipeline (deploy-model.yml).
    for source_dir, prefix in ((project / "pipelines" / "github", ""), (library / "workflows", "_")):
        if not source_dir.is_dir():
            continue
        for path in sorted(source_dir.glob("*.y*ml")):
            old = path.relative_to(project).as_posix()
            _move(path, workflows / f"{prefix}{path.name}")
            moved[old] = f"{GITHUB_WORKFLOWS}/{prefix}{path.name}"
    actions = library / "actions"
    action_names = sorted(p.name for p in actions.iterdir() if p.is_dir()) if actions.is_dir() else []
    for name in action_names:
        old = f"templates/github/actions/{name}"
        if pinned:
            ref = _tag_name(answers["step_library_ref"])
            moved[old] = f"@{answers['step_library_repository']}/{old}@{ref}"
        else:
            _move(actions / name, project / GITHUB_ACTIONS / name)
            moved[old] = f"{GITHUB_ACTIONS}/{name}"

    def rewrite(match: re.Match[str]) -> str:
        path = match["path"].rstrip("/")
        new = moved.get(path)
        if new is None:
            return match[0]
        return f"{match['lead']}{new[1:]}" if new.startswith("@") else f"{match['lead']}./{new}"

    for folder in (workflows, project / GITHUB_ACTIONS):
        if folder.is_dir():
            for path in _yaml_files(folder):
                _edit(path, lambda text: _USES_LOCAL.sub(rewrite, text))
    _remove(project / "pipelines" / "github")
    _remove(project / "pipelines" / "azure-devops")


def _tag_name(ref: str) -> str:  # GitHub's `uses: owner/repo/path@<tag or sha>`
    return ref.removeprefix("refs/tags/")


def _edit(path: Path, change: Callable[[str], str]) -> None:
    text = path.read_text(encoding="utf-8")
    new = change(text)
    if new != text:
        path.write_text(new, encoding="utf-8")


# ---------------------------------------------------------------------------------------------- Azure DevOps
_TEMPLATE_REF = re.compile(
    r"(?m)^(?P<lead>\s*(?:-\s*)?template:\s*)(?P<quote>['\"]?)(?P<path>[^\s'\"@#$]+)(?P<alias>@[\w-]+)?"
    r"(?P=quote)(?P<rest>\s*(?:#.*)?)$"
)
_REPOSITORY_ENTRY = re.compile(r"(?m)^(?P<indent>[ \t]*)- repository:\s*(?P<alias>[\w-]+)")


def _azure_devops(project: Path, answers: Mapping[str, str]) -> None:
    """Pipelines go to `.azure-pipelines/`. The pipelines reach the step library through a repository
    resource (`template: jobs/x.yml@<alias>`): vendored, the library is copied to
    `.azure-pipelines/templates/` and those references become relative paths (the resource is dropped);
    pinned, the resource's `name` and `ref` are set from the answers."""
    pinned = answers["step_library"] == "pinned"
    pipelines = project / "pipelines" / "azure-devops"
    library = project / "templates" / "azure-devops"
    destination = project / AZURE_DEVOPS_DIR
    moved: dict[str, str] = {}  # old repository-relative path -> new one, for every moved file
    sources = [(pipelines, destination)] + ([] if pinned else [(library, destination / "templates")])
    for source, target in sources:
        if source.is_dir():
            for path in sorted(p for p in source.rglob("*") if p.is_file()):
                new = (target / path.relative_to(source)).relative_to(project).as_posix()
                moved[path.relative_to(project).as_posix()] = new
    library_old = library.relative_to(project).as_posix()
    contents = {old: (project / old).read_text(encoding="utf-8") for old in moved if old.endswith(_YAML)}
    for old, original in contents.items():
        aliases = {m["alias"] for m in _REPOSITORY_ENTRY.finditer(original)}

        def rewrite(match: re.Match[str], old: str = old, aliases: set[str] = aliases) -> str:
            alias = (match["alias"] or "")[1:]
            if alias in aliases:  # the step library through a repository resource
                if pinned:
                    return match[0]
                target_old = f"{library_old}/{match['path'].lstrip('/')}"
            elif alias in ("", "self"):
                target_old = _resolve(old, match["path"], alias)
            else:
                return match[0]
            # A file that stays (pipelines/config/...) is still referenced, now from the moved file's place.
            target_new = moved.get(target_old) or (target_old if (project / target_old).is_file() else None)
            if target_new is None:
                return match[0]
            if match["path"].startswith("/") or alias == "self":
                new_ref = ("/" if match["path"].startswith("/") else "") + target_new
                suffix = match["alias"] if alias == "self" else ""
            else:
                new_ref = os.path.relpath(target_new, os.path.dirname(moved[old])).replace(os.sep, "/")
                suffix = ""
            return f"{match['lead']}{match['quote']}{new_ref}{suffix}{match['quote']}{match['rest']}"

        text = _TEMPLATE_REF.sub(rewrite, original)
        for alias in aliases:
            if pinned:
                text = _set_repository(
                    text,
                    alias,
                    answers["step_library_repository"],
                    answers["step_library_ref"],
                    where=old,
                )
            else:
                text = _drop_repository(text, alias)
        contents[old] = text
    for old, new in moved.items():
        _move(project / old, project / new)
        if old in contents:
            (project / new).write_text(contents[old], encoding="utf-8")
    _remove(pipelines)
    _remove(project / "pipelines" / "github")
    _remove(project / ".github")  # the skeleton's GitHub-only settings (zizmor)


_YAML = (".yml", ".yaml")


def _resolve(referrer: str, path: str, alias: str) -> str:
    """The repository-relative file a `template:` reference in `referrer` points at."""
    if path.startswith("/") or alias == "self":
        return os.path.normpath(path.lstrip("/")).replace(os.sep, "/")
    return os.path.normpath(os.path.join(os.path.dirname(referrer), path)).replace(os.sep, "/")


def azure_devops_ref(ref: str) -> str:
    """refs/tags/<tag> for a tag, the SHA itself for a commit."""
    return ref if re.fullmatch(r"[0-9a-f]{40}", ref) or ref.startswith("refs/tags/") else f"refs/tags/{ref}"


def _entry_span(lines: list[str], alias: str) -> tuple[int, int] | None:
    """Line range of the `- repository: <alias>` list entry, including the comment lines just above it."""
    for index, line in enumerate(lines):
        match = _REPOSITORY_ENTRY.fullmatch(line.rstrip()) or _REPOSITORY_ENTRY.match(line)
        if match and match["alias"] == alias:
            indent = len(match["indent"])
            end = index + 1
            while end < len(lines) and (
                not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent
            ):
                if (
                    lines[end].lstrip().startswith("- ")
                    and len(lines[end]) - len(lines[end].lstrip()) <= indent
                ):
                    break
                end += 1
            while end > index + 1 and not lines[end - 1].strip():
                end -= 1
            start = index
            while start > 0 and lines[start - 1].lstrip().startswith("#"):
                start -= 1
            return start, end
    return None


def _drop_repository(text: str, alias: str) -> str:
    lines = text.splitlines()
    span = _entry_span(lines, alias)
    if span is None:
        return text
    del lines[span[0] : span[1]]
    if 0 < span[0] < len(lines) and not lines[span[0]].strip() and not lines[span[0] - 1].strip():
        del lines[span[0]]
    # Drop `repositories:` / `resources:` keys left without content.
    for key in ("repositories", "resources"):
        for index, line in enumerate(lines):
            if re.fullmatch(rf"\s*{key}:\s*", line):
                indent = len(line) - len(line.lstrip())
                following = next((ln for ln in lines[index + 1 :] if ln.strip()), "")
                if len(following) - len(following.lstrip()) <= indent:
                    del lines[index]
                break
    return "\n".join(lines) + "\n"


def _set_repository(text: str, alias: str, name: str, ref: str, *, where: str = "<text>") -> str:
    """Set `name:` and `ref:` of the `- repository: <alias>` entry; both must be there (`RenderError`
    naming `where`, the file)."""
    lines = text.splitlines()
    span = _entry_span(lines, alias)
    if span is None:
        raise RenderError(f"{where}: no '- repository: {alias}' entry to pin (expected by the renderer)")
    found = set()
    for index in range(*span):
        for key, value in (("name", name), ("ref", azure_devops_ref(ref))):
            lines[index], count = re.subn(rf"^(\s*(?:- )?{key}:\s*)\S+", rf"\g<1>{value}", lines[index])
            if count:
                found.add(key)
    for key, answer in (("name", "step_library_repository"), ("ref", "step_library_ref")):
        if key not in found:
            raise RenderError(
                f"{where}: the '- repository: {alias}' entry has no '{key}:' to set (expected by the "
                f"renderer for {answer})"
            )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- defaults
def set_default(text: str, name: str, value: str) -> tuple[str, int]:
    """Set the `default:` of every parameter/input called `name`: Azure DevOps `- name: <name>` entries and
    GitHub `<name>:` inputs alike. Returns the new text and how many defaults were set."""
    lines = text.splitlines()
    head = re.compile(rf"(?P<indent>\s*)(?:- name:\s*{re.escape(name)}|{re.escape(name)}:)\s*(?:#.*)?")
    default = re.compile(r"^(\s*default:\s*)[^#\n]*?(\s*(?:#.*)?)$")
    count = 0
    for index, line in enumerate(lines):
        match = head.fullmatch(line)
        if not match:
            continue
        indent = len(match["indent"])
        for sub in range(index + 1, len(lines)):
            body = lines[sub]
            if body.strip() and len(body) - len(body.lstrip()) <= indent:
                break
            lines[sub], changed = default.subn(rf"\g<1>{value}\g<2>", body)
            count += changed
    return "\n".join(lines) + ("\n" if text.endswith("\n") else ""), count


# The deployment parameters each dialect's pipelines default from the `deployment` answer.
DEPLOYMENT_PARAMETERS = {
    "azure-devops": ("deployOnline", "deployBatch"),
    "github-actions": ("deploy-online", "deploy-batch"),
}
_TOOL_DEFAULT = re.compile(r"(?m)^(\s*default:\s*)(?:terraform|bicep)(\s*(?:#.*)?)$")


def _ci_defaults(project: Path, answers: Mapping[str, str]) -> None:
    """Make the pipelines default to the chosen infrastructure tool and deployment kinds. Each of the
    dialect's deployment parameters, and the tool's default, must be found at least once (`RenderError`)."""
    tool = answers["infrastructure"]
    online = str(answers["deployment"] in ("online", "online-and-batch")).lower()
    batch = str(answers["deployment"] in ("batch", "online-and-batch")).lower()
    values = {"deployOnline": online, "deployBatch": batch, "deploy-online": online, "deploy-batch": batch}
    if answers["ci_platform"] == "github-actions":
        folders = [project / GITHUB_WORKFLOWS, project / GITHUB_ACTIONS]
    else:
        folders = [project / AZURE_DEVOPS_DIR]
    counts = dict.fromkeys([*values, "tool"], 0)

    def change(text: str) -> str:
        text, tools = _TOOL_DEFAULT.subn(rf"\g<1>{tool}\g<2>", text)
        counts["tool"] += tools
        text = re.sub(r"\|\|\s*'(?:terraform|bicep)'", f"|| '{tool}'", text)
        for name, value in values.items():
            text, count = set_default(text, name, value)
            counts[name] += count
        return text

    for folder in folders:
        if folder.is_dir():
            for path in _yaml_files(folder):
                _edit(path, change)
    where = ", ".join(folder.relative_to(project).as_posix() for folder in folders)
    for name in DEPLOYMENT_PARAMETERS[answers["ci_platform"]]:
        if not counts[name]:
            raise RenderError(
                f"{where}: no '{name}' parameter with a 'default:' to set (expected by the renderer for "
                "deployment)"
            )
    if not counts["tool"]:
        raise RenderError(
            f"{where}: no 'default: terraform' or 'default: bicep' to set (expected by the renderer for "
            "infrastructure)"
        )


# ---------------------------------------------------------------------------------------------- specs, task
def _deployment_specs(azureml: Path, deployment: str) -> None:
    keep = {"online": ("online",), "batch": ("batch",), "online-and-batch": ("online", "batch")}[deployment]
    if not azureml.is_dir():
        return
    for path in azureml.iterdir():
        for kind in ("online", "batch"):
            if path.name.startswith(f"{kind}-") and kind not in keep:
                _remove(path)


_TASK = re.compile(r"(?m)^task:\s*['\"]?(\w+)")


def contract_task(contract: Path) -> str | None:
    match = _TASK.search(contract.read_text(encoding="utf-8")) if contract.is_file() else None
    return match.group(1) if match else None


CONTRACT = "data-science/contract.yml"
# Azure ML's own monitoring of the online deployment; an online-* spec, so batch-only projects have none.
MONITOR_SCHEDULE = "pipelines/azureml/online-monitor-schedule.yml"
MONITOR_TARGET = ("create_monitor", "monitoring_target")


def set_monitor_task(project: Path) -> None:
    """Set `MONITOR_SCHEDULE`'s `create_monitor.monitoring_target.ml_task` to the task of the project's
    contract (`task:` of `CONTRACT`, the chosen task's by now), strictly: a contract without a task or a
    schedule without the key is a `RenderError` naming the file. Nothing to do without the schedule."""
    schedule = project / MONITOR_SCHEDULE
    if not schedule.is_file():
        return
    task = contract_task(project / CONTRACT)
    if task is None:
        problem = "no 'task:' to read" if (project / CONTRACT).is_file() else "no such file"
        raise RenderError(
            f"{CONTRACT}: {problem} (expected by the renderer for the ml_task of {MONITOR_SCHEDULE})"
        )
    write_settings(
        project,
        schedule,
        partial(set_yaml_scalars, mapping=MONITOR_TARGET),
        {"ml_task": task},
        {"ml_task": "task"},
        mapping=MONITOR_TARGET,
    )


DATA_SUFFIXES = (".csv", ".parquet")


def _task(data_science: Path, task: str) -> str | None:
    """Make `data-science/contract.yml` the chosen task's contract: the main one, or an example's.

    An example's files replace the main ones at the same relative paths, except its data files (which
    replace `data/`'s sample). No request file is copied: the smoke test sends the model's own request.
    Returns the new sample's repository-relative path when the sample changed.
    """
    examples = data_science / "examples"
    sample = None
    replaced: list[str] = []
    if contract_task(data_science / "contract.yml") != task:
        candidates = sorted(examples.glob("*/contract.yml")) if examples.is_dir() else []
        chosen = next((c.parent for c in candidates if contract_task(c) == task), None)
        if chosen is None:
            raise ValueError(f"task={task!r}: no contract for this task under {data_science}")
        files = sorted(p for p in chosen.rglob("*") if p.is_file())
        data = [p for p in files if p.parent == chosen and p.suffix in DATA_SUFFIXES]
        if data:
            for old in sorted((data_science / "data").glob("*")):
                if old.suffix in DATA_SUFFIXES:
                    replaced.append(f"{data_science.name}/data/{old.name}")
                    old.unlink()
        for path in files:
            if path in data:
                target = data_science / "data" / path.name
                sample = f"{data_science.name}/data/{path.name}"
            else:
                target = data_science / path.relative_to(chosen)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    _remove(examples)
    if sample is not None:
        _replace_sample_references(data_science.parent, replaced, sample)
    return sample


SAMPLE_REFERENCES = (GITHUB_WORKFLOWS, GITHUB_ACTIONS, AZURE_DEVOPS_DIR, "pipelines")


def _replace_sample_references(project: Path, old: list[str], new: str) -> None:
    """Point the pipelines' defaults and the Azure ML specs at the new sample (`../../data-science/...`
    in the specs, `data-science/...` in the pipelines)."""
    for folder in SAMPLE_REFERENCES:
        root = project / folder
        for path in sorted(root.rglob("*")) if root.is_dir() else ():
            if path.is_file() and path.suffix in (".yml", ".yaml", ".json", ".md"):

                def change(text: str) -> str:
                    for name in old:
                        text = re.sub(rf"(?<![\w/.-]){re.escape(name)}(?![\w-]|\.\w)", new, text)
                        text = text.replace(f"../../{name}", f"../../{new}")
                    return text

                _edit(path, change)


# ---------------------------------------------------------------------------------------------- settings
def resource_names(answers: Mapping[str, str], env: str) -> dict[str, str]:
    """Azure resource names per environment; the same formulas the answer validation checks lengths of."""
    slug = answers["project_slug"]
    return {
        "resourceGroup": f"rg-{slug}-{env}",
        "workspaceName": f"mlw-{slug}-{env}",
        "serviceConnection": f"{slug}-{env}",
        "onlineEndpoint": f"{slug}-{env}-online",
        "batchEndpoint": f"{slug}-{env}-batch",
    }


def workload_name(slug: str) -> str:
    """Terraform/Bicep `workload_name`: 2-10 lowercase letters or digits, from the slug."""
    return re.sub(r"[^a-z0-9]", "", slug)[:10]


def _answer_labels(*names: str) -> str:
    return ", ".join(names)


def write_settings(
    project: Path,
    path: Path,
    setter: Callable[[str, Mapping[str, str]], tuple[str, set[str]]],
    values: Mapping[str, str],
    sources: Mapping[str, str],
    *,
    read_back: bool = True,
    mapping: tuple[str, ...] = ("variables",),
) -> None:
    """Set `values` in `path` with `setter`; every key must be found. `sources[key]` names the answer(s) a
    key's value comes from, for the error message. `read_back`: check a YAML file's `mapping` (the keys of
    nested mappings from the top, `variables:` by default: the setter's) after the edit (not for setters
    that rename keys)."""
    where = path.relative_to(project).as_posix() if path.is_relative_to(project) else str(path)
    if not path.is_file():
        answers = _answer_labels(*dict.fromkeys(sources[key] for key in values))
        raise RenderError(f"{where}: no such file (expected by the renderer for {answers})")
    text = path.read_text(encoding="utf-8")
    try:
        new, found = setter(text, values)
        missing = [key for key in values if key not in found]
        if missing:
            key = missing[0]
            raise RenderError(f"no '{key}' to set (expected by the renderer for {sources[key]})")
        if read_back and path.suffix in _YAML:
            for key, loaded in _yaml_read_back(new, values, mapping).items():
                raise RenderError(
                    f"'{key}' reads back as {loaded!r}, not {values[key]!r} after the edit (expected by the "
                    f"renderer for {sources[key]})"
                )
    except RenderError as exc:
        raise RenderError(f"{where}: {exc}") from None
    if new != text:
        path.write_text(new, encoding="utf-8")


def _require(project: Path, folder: Path, patterns: tuple[str, ...], sources: str) -> list[Path]:
    """The files under `folder` matching any of `patterns`; at least one must exist."""
    found = sorted({path for pattern in patterns for path in folder.glob(pattern) if path.is_file()})
    if not found:
        names = " or ".join(f"'{pattern.rsplit('/', 1)[-1]}'" for pattern in patterns)
        where = folder.relative_to(project).as_posix()
        raise RenderError(f"{where}: no {names} file (expected by the renderer for {sources})")
    return found


def apply_settings(project: Path, answers: Mapping[str, str], *, sample: str | None = None) -> None:
    """Write the answers into the configuration files, strictly: every file and key the renderer expects
    must be there (`RenderError` names the file and key otherwise)."""
    roles = {
        "dev": ("dev_environment", answers["dev_environment"]),
        "prod": ("prod_environment", answers["prod_environment"]),
    }
    slug = answers["project_slug"]
    tool = answers["infrastructure"]
    infrastructure = project / "infrastructure" / tool
    for role, (env_answer, env) in roles.items():
        names = _answer_labels("project_slug", env_answer)
        yaml_values = {
            "environmentName": env,
            "modelName": answers["model_name"],
            **resource_names(answers, env),
            **({"dataPath": sample, "batchInput": sample} if sample else {}),
        }
        yaml_sources = {
            "environmentName": env_answer,
            "modelName": "model_name",
            **dict.fromkeys(resource_names(answers, env), names),
            "dataPath": "task",
            "batchInput": "task",
        }
        config = project / "pipelines" / "config" / f"{role}.yml"
        write_settings(project, config, set_yaml_scalars, yaml_values, yaml_sources)
        if answers.get("ci_platform") == "azure-devops":
            # the local declaration of each environment's service connection, named as the settings name it
            write_settings(
                project,
                project / AZURE_DEVOPS_DIR / SERVICE_CONNECTIONS,
                rename_top_level_keys,
                {f"amlops-{role}": resource_names(answers, env)["serviceConnection"]},
                {f"amlops-{role}": names},
                read_back=False,
            )

        if tool == "terraform":
            hcl_values = {
                "workload_name": workload_name(slug),
                "environment_name": env,
                "location": answers["location"],
                "network_mode": answers["network_mode"],
            }
            hcl_sources = {
                "workload_name": "project_slug",
                "environment_name": env_answer,
                "location": "location",
                "network_mode": "network_mode",
            }
            for path in _require(
                project, infrastructure, (f"**/{role}.tfvars",), _answer_labels(*hcl_sources.values())
            ):
                write_settings(project, path, set_hcl_strings, hcl_values, hcl_sources)
            for path in _require(project, infrastructure, (f"**/{role}.tfbackend",), names):
                write_settings(
                    project, path, set_hcl_strings, {"key": f"{slug}-{env}.tfstate"}, {"key": names}
                )
        else:
            bicep_values = {
                "workloadName": workload_name(slug),
                "environmentName": env,
                "location": answers["location"],
                "networkMode": answers["network_mode"],
            }
            bicep_sources = {
                "workloadName": "project_slug",
                "environmentName": env_answer,
                "location": "location",
                "networkMode": "network_mode",
            }
            patterns = (f"**/{role}.parameters.json", f"**/{role}.bicepparam")
            for path in _require(project, infrastructure, patterns, _answer_labels(*bicep_sources.values())):
                setter = set_bicep_params if path.suffix == ".bicepparam" else set_parameters_json
                write_settings(project, path, setter, bicep_values, bicep_sources)


def rename_top_level_keys(text: str, renames: Mapping[str, str]) -> tuple[str, set[str]]:
    """Rename top-level mapping keys (`old:` at column 0 -> `new:`), keeping everything else; returns the
    new text and the old keys found."""
    found: set[str] = set()

    def one(match: re.Match[str]) -> str:
        found.add(match["key"])
        return f"{renames[match['key']]}:"

    keys = "|".join(re.escape(k) for k in renames)
    return re.sub(rf"(?m)^(?P<key>{keys}):(?=[ \t]*(?:#.*)?$)", one, text), found


def _yaml_scalar(value: str) -> str:
    """`value` as a YAML string scalar: plain when YAML reads it back as that string, else double-quoted."""
    plain = re.fullmatch(r"[A-Za-z_][\w./-]*", value) and value.lower() not in _YAML_WORDS
    return value if plain else json.dumps(value)


# Plain scalars YAML 1.1 (Azure DevOps) or 1.2 would read as booleans or null.
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def set_yaml_scalars(
    text: str, values: Mapping[str, str], *, mapping: tuple[str, ...] = ("variables",)
) -> tuple[str, set[str]]:
    """Set the keys of one block mapping that are in `values`, keeping the comments; returns the new text and
    the keys found. `mapping` is where that mapping is, as the keys leading to it from the top level: the
    `variables:` mapping of a pipelines/config file by default. Other mappings, and the mapping's nested
    ones, are not touched."""
    keys = "|".join(re.escape(k) for k in values)
    entry = re.compile(rf"(?P<lead>(?P<key>{keys}):)(?P<space>[ \t]*)(?P<value>.*?)(?P<rest>[ \t]+#.*)?")
    lines = text.splitlines(keepends=True)
    found: set[str] = set()
    parents: list[int] = []  # the indents of the keys of `mapping` entered so far
    child: int | None = 0  # the indent of the current mapping's keys, once known
    for index, line in enumerate(lines):
        body = line.rstrip("\r\n")
        if not body.strip() or body.lstrip().startswith("#"):
            continue
        indent = len(body) - len(body.lstrip(" "))
        if parents and indent <= parents[-1]:
            break  # the mapping has ended (mapping keys are unique: it is nowhere else)
        child = indent if child is None else child
        if indent != child:
            continue
        if len(parents) < len(mapping):
            if re.fullmatch(rf"{re.escape(mapping[len(parents)])}:[ \t]*(?:#.*)?", body[indent:]):
                parents.append(indent)
                child = None
            continue
        match = entry.fullmatch(body[indent:])
        if match is None:
            continue
        key = match["key"]
        space = match["space"] or " "
        new = f"{body[:indent]}{match['lead']}{space}{_yaml_scalar(values[key])}{match['rest'] or ''}"
        lines[index] = new + line[len(body) :]
        found.add(key)
    return "".join(lines), found


def _yaml_read_back(
    text: str, values: Mapping[str, str], mapping: tuple[str, ...] = ("variables",)
) -> dict[str, object]:
    """Keys of `mapping` (as in `set_yaml_scalars`) whose loaded value is not the one set; empty without
    PyYAML (an optional check: the hooks may run under a Python without it)."""
    try:
        import yaml
    except ImportError:
        return {}
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RenderError(f"not valid YAML after the edit ({exc})") from None
    for name in mapping:
        document = document.get(name) if isinstance(document, dict) else None
    loaded = document if isinstance(document, dict) else {}
    return {key: loaded.get(key) for key, value in values.items() if loaded.get(key) != value}


def set_hcl_strings(text: str, values: Mapping[str, str]) -> tuple[str, set[str]]:
    """Set `key = "value"` assignments in .tfvars / .tfbackend files; returns the new text and the keys
    found."""
    keys = "|".join(re.escape(k) for k in values)
    pattern = re.compile(rf'(?m)^(?P<lead>[ \t]*(?P<key>{keys})[ \t]*=[ \t]*)"[^"\n]*"')
    return _set_quoted(pattern, text, values, '"')


def set_bicep_params(text: str, values: Mapping[str, str]) -> tuple[str, set[str]]:
    """Set `param key = 'value'` lines in .bicepparam files; returns the new text and the keys found."""
    keys = "|".join(re.escape(k) for k in values)
    pattern = re.compile(rf"(?m)^(?P<lead>[ \t]*param[ \t]+(?P<key>{keys})[ \t]*=[ \t]*)'[^'\n]*'")
    return _set_quoted(pattern, text, values, "'")


def _set_quoted(
    pattern: re.Pattern[str], text: str, values: Mapping[str, str], quote: str
) -> tuple[str, set[str]]:
    """Replace each match of `pattern` (groups `lead` and `key`) by `lead` and the key's value in `quote`s;
    returns the new text and the keys found."""
    found: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        found.add(match["key"])
        return f"{match['lead']}{quote}{values[match['key']]}{quote}"

    return pattern.sub(replace, text), found


def set_parameters_json(text: str, values: Mapping[str, str]) -> tuple[str, set[str]]:
    """Set `parameters.<key>.value` (string parameters) of an ARM/Bicep `.parameters.json`, parsed with
    `json`; returns the new text and the keys found. The file is written back with its own indentation and
    final newline, so a file in `json.dumps(..., indent=N)` layout changes only in the values."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RenderError(f"not valid JSON ({exc})") from None
    parameters = document.get("parameters") if isinstance(document, dict) else None
    if not isinstance(parameters, dict):
        return text, set()
    found: set[str] = set()
    for key, value in values.items():
        entry = parameters.get(key)
        if isinstance(entry, dict) and isinstance(entry.get("value"), str):
            entry["value"] = value
            found.add(key)
    if not found:
        return text, found
    return _dump_json(document, like=text), found


def _dump_json(document: object, *, like: str) -> str:
    """`document` serialized the way `like` is: its indentation (spaces or a tab; none when it is one
    line), its ASCII escaping, its line endings and final newline."""
    first = re.search(r"(?m)^([ \t]+)\S", like)
    indent: str | int | None = None
    if first is not None:
        indent = "\t" if first[1].startswith("\t") else len(first[1])
    ascii_only = all(ord(char) < 128 for char in like)
    text = json.dumps(document, indent=indent, ensure_ascii=ascii_only)
    if like.endswith("\n"):
        text += "\n"
    return text.replace("\n", "\r\n") if "\r\n" in like else text
