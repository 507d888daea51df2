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
  the configuration files; and records the answers and template version in `ANSWERS_FILE`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

PROJECT_DIR = "{{cookiecutter.project_slug}}"
SKELETON = "project"
# Shared parts: (path in this repository, path in the generated project). Missing ones are skipped.
PARTS: tuple[tuple[str, str], ...] = (
    ("templates", "templates"),
    ("pipelines", "pipelines"),
    ("infrastructure", "infrastructure"),
    ("data-science", "data-science"),
    ("tests/data_science", "tests/data_science"),
    # The tool itself, with the lock file: the pipelines run `uv run --frozen amlops` in the project root.
    ("src/amlops", "src/amlops"),
    ("pyproject.toml", "pyproject.toml"),
    ("uv.lock", "uv.lock"),
)
JUNK = ("__pycache__", ".pytest_cache", ".ruff_cache", ".venv", "node_modules", ".amlops", ".mypy_cache")
ANSWERS_FILE = ".cookiecutter-answers.json"
TEMPLATE_SOURCE_ENV = "AMLOPS_TEMPLATE_SOURCE"
TEMPLATE_COMMIT_ENV = "AMLOPS_TEMPLATE_COMMIT"

GITHUB_WORKFLOWS = ".github/workflows"
GITHUB_ACTIONS = ".github/actions"
AZURE_DEVOPS_DIR = ".azure-pipelines"
STEP_LIBRARY_ALIAS = "steplib"
STEP_LIBRARY_ENDPOINT = "github-step-library"


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
def finalize(project: Path, answers: Mapping[str, str], template: Mapping[str, str]) -> None:
    """Prune and relocate the parts for `answers`, write the settings and the answers record."""
    if answers["ci_platform"] == "github-actions":
        _github(project, answers)
    else:
        _azure_devops(project, answers)
    _remove(project / "templates")
    _keep_one(project / "infrastructure", answers["infrastructure"], ("terraform", "bicep"))
    _deployment_specs(project / "pipelines" / "azureml", answers["deployment"])
    _task(project / "data-science", answers["task"])
    apply_settings(project, answers)
    _prune_empty(project)
    record = {"template": dict(template), "answers": dict(answers)}
    (project / ANSWERS_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


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
    for source_dir in (project / "pipelines" / "github", library / "workflows"):
        if not source_dir.is_dir():
            continue
        for path in sorted(source_dir.glob("*.y*ml")):
            old = path.relative_to(project).as_posix()
            _move(path, workflows / path.name)
            moved[old] = f"{GITHUB_WORKFLOWS}/{path.name}"
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


def _tag_name(ref: str) -> str:
    return ref.removeprefix("refs/tags/")


def _edit(path: Path, change: Callable[[str], str]) -> None:
    text = path.read_text(encoding="utf-8")
    new = change(text)
    if new != text:
        path.write_text(new, encoding="utf-8")


# ---------------------------------------------------------------------------------------------- Azure DevOps
_TEMPLATE_REF = re.compile(
    r"(?m)^(?P<lead>\s*(?:-\s*)?template:\s*)(?P<quote>['\"]?)(?P<path>[^\s'\"@#$]+)(?P<alias>@[\w-]+)?(?P=quote)"
    r"(?P<rest>\s*(?:#.*)?)$"
)


def _azure_devops(project: Path, answers: Mapping[str, str]) -> None:
    pinned = answers["step_library"] == "pinned"
    pipelines = project / "pipelines" / "azure-devops"
    library = project / "templates" / "azure-devops"
    destination = project / AZURE_DEVOPS_DIR
    # old repository-relative path -> new repository-relative path, for every moved file.
    moved: dict[str, str] = {}
    for source, target in ((pipelines, destination), (library, destination / "templates")):
        if not source.is_dir() or (pinned and source == library):
            continue
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            rel = path.relative_to(source)
            moved[path.relative_to(project).as_posix()] = (target / rel).relative_to(project).as_posix()
    pipeline_files = (
        {p.relative_to(project).as_posix() for p in pipelines.rglob("*") if p.is_file()}
        if pipelines.is_dir()
        else set()
    )
    contents = {
        old: (project / old).read_text(encoding="utf-8") for old in moved if old.endswith((".yml", ".yaml"))
    }
    ref = answers["step_library_ref"]
    for old, text in contents.items():
        uses_library = False

        def rewrite(match: re.Match[str], old: str = old) -> str:
            nonlocal uses_library
            alias = match["alias"]
            if alias not in (None, "@self"):
                return match[0]
            target_old = _resolve(old, match["path"], alias)
            if pinned and target_old.startswith("templates/azure-devops/"):
                uses_library = True
                return f"{match['lead']}{target_old}@{STEP_LIBRARY_ALIAS}{match['rest']}"
            target_new = moved.get(target_old)
            if target_new is None:
                return match[0]
            if match["path"].startswith("/") or alias == "@self":
                new_ref = "/" + target_new if match["path"].startswith("/") else target_new
            else:
                new_ref = os.path.relpath(target_new, os.path.dirname(moved[old])).replace(os.sep, "/")
            return f"{match['lead']}{match['quote']}{new_ref}{alias or ''}{match['quote']}{match['rest']}"

        new_text = _TEMPLATE_REF.sub(rewrite, text)
        if uses_library and old in pipeline_files:
            new_text = _add_step_library_resource(new_text, answers["step_library_repository"], ref)
        contents[old] = new_text
    for old, new in moved.items():
        _move(project / old, project / new)
        if old in contents:
            (project / new).write_text(contents[old], encoding="utf-8")
    _remove(pipelines)
    _remove(project / "pipelines" / "github")


def _resolve(referrer: str, path: str, alias: str | None) -> str:
    """The repository-relative file a `template:` reference in `referrer` points at."""
    if path.startswith("/") or alias == "@self":
        return os.path.normpath(path.lstrip("/")).replace(os.sep, "/")
    return os.path.normpath(os.path.join(os.path.dirname(referrer), path)).replace(os.sep, "/")


def _azure_devops_ref(ref: str) -> str:
    return ref if re.fullmatch(r"[0-9a-f]{40}", ref) or ref.startswith("refs/tags/") else f"refs/tags/{ref}"


def _add_step_library_resource(text: str, repository: str, ref: str) -> str:
    entry = [
        f"    - repository: {STEP_LIBRARY_ALIAS}  # the shared step library, pinned (never a branch)",
        "      type: github",
        f"      name: {repository}",
        f"      ref: {_azure_devops_ref(ref)}",
        f"      endpoint: {STEP_LIBRARY_ENDPOINT}  # GitHub service connection allowed to read it",
    ]
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if re.fullmatch(r"resources:\s*(#.*)?", line):
            for sub in range(index + 1, len(lines)):
                if lines[sub] and not lines[sub].startswith((" ", "#")):
                    break
                if re.fullmatch(r"\s+repositories:\s*(#.*)?", lines[sub]):
                    lines[sub + 1 : sub + 1] = entry
                    return "\n".join(lines) + "\n"
            lines[index + 1 : index + 1] = ["  repositories:", *entry]
            return "\n".join(lines) + "\n"
    block = ["resources:", "  repositories:", *entry, ""]
    for index, line in enumerate(lines):
        if re.match(r"(stages|jobs|steps|extends):", line):
            lines[index:index] = block
            return "\n".join(lines) + "\n"
    return "\n".join([*lines, *block])


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


def _task(data_science: Path, task: str) -> None:
    """Make `data-science/contract.yml` the chosen task's contract: the main one, or an example's."""
    examples = data_science / "examples"
    if contract_task(data_science / "contract.yml") != task:
        candidates = sorted(examples.glob("*/contract.yml")) if examples.is_dir() else []
        chosen = next((c.parent for c in candidates if contract_task(c) == task), None)
        if chosen is None:
            raise ValueError(f"task={task!r}: no contract for this task under {data_science}")
        # The example's files replace the main ones at the same relative paths.
        for path in sorted(p for p in chosen.rglob("*") if p.is_file()):
            target = data_science / path.relative_to(chosen)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    _remove(examples)


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


def apply_settings(project: Path, answers: Mapping[str, str]) -> None:
    """Write the answers into the configuration files that exist; keys a file lacks are left alone."""
    roles = {"dev": answers["dev_environment"], "prod": answers["prod_environment"]}
    for role, env in roles.items():
        yaml_values = {
            "environmentName": env,
            "modelName": answers["model_name"],
            **resource_names(answers, env),
        }
        config = project / "pipelines" / "config" / f"{role}.yml"
        if config.is_file():
            _edit(config, lambda text, values=yaml_values: set_yaml_scalars(text, values))
        hcl_values = {
            "workload_name": workload_name(answers["project_slug"]),
            "environment_name": env,
            "location": answers["location"],
            "network_mode": answers["network_mode"],
        }
        for path in sorted((project / "infrastructure").glob(f"*/**/{role}.tfvars")):
            _edit(path, lambda text, values=hcl_values: set_hcl_strings(text, values))
        for path in sorted((project / "infrastructure").glob(f"*/**/{role}.tfbackend")):
            _edit(
                path,
                lambda text, env=env: set_hcl_strings(
                    text, {"key": f"{answers['project_slug']}-{env}.tfstate"}
                ),
            )
        bicep_values = {
            "workloadName": workload_name(answers["project_slug"]),
            "environmentName": env,
            "location": answers["location"],
            "networkMode": answers["network_mode"],
        }
        for path in sorted((project / "infrastructure").glob(f"*/**/{role}.bicepparam")):
            _edit(path, lambda text, values=bicep_values: set_bicep_params(text, values))


def set_yaml_scalars(text: str, values: Mapping[str, str]) -> str:
    """Set `key: value` lines (any indentation) whose key is in `values`, keeping trailing comments."""

    def replace(match: re.Match[str]) -> str:
        return f"{match['lead']}{values[match['key']]}{match['rest'] or ''}"

    keys = "|".join(re.escape(k) for k in values)
    pattern = re.compile(rf"(?m)^(?P<lead>\s*(?P<key>{keys}):[ \t]+)[^#\n]*?(?P<rest>[ \t]+#.*)?$")
    return pattern.sub(replace, text)


def set_hcl_strings(text: str, values: Mapping[str, str]) -> str:
    """Set `key = "value"` assignments in .tfvars / .tfbackend files."""
    keys = "|".join(re.escape(k) for k in values)
    pattern = re.compile(rf'(?m)^(?P<lead>\s*(?P<key>{keys})\s*=\s*)"[^"\n]*"')
    return pattern.sub(lambda m: f'{m["lead"]}"{values[m["key"]]}"', text)


def set_bicep_params(text: str, values: Mapping[str, str]) -> str:
    """Set `param key = 'value'` lines in .bicepparam files."""
    keys = "|".join(re.escape(k) for k in values)
    pattern = re.compile(rf"(?m)^(?P<lead>\s*param\s+(?P<key>{keys})\s*=\s*)'[^'\n]*'")
    return pattern.sub(lambda m: f"{m['lead']}'{values[m['key']]}'", text)
