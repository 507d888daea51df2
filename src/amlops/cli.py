"""amlops: run the MLOps template's ML lifecycle locally (or, later, on Azure Machine Learning).

Every command prints its machine-readable result as one JSON line, the last line on stdout; progress and
tables for humans go to stderr. Exit codes: 0 ok, 1 failed, 2 usage error, 3 refused.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Mapping, Sequence
from types import ModuleType

from amlops import __version__
from amlops.ci_outputs import DIALECTS, detect, parse_mapping
from amlops.config import BACKEND_ENV, PROJECT_DIR_ENV, STATE_DIR_ENV, resolve_settings
from amlops.errors import AmlopsError
from amlops.output import configure_ci_outputs, emit_result

# Command name -> module with `configure(parser)`, `execute(args) -> int` and a docstring used as help.
# Modules are imported only when their command runs (or when --help lists them).
COMMANDS: dict[str, str] = {
    "register-data": "amlops.verbs.register_data",
    "validate-data": "amlops.verbs.validate_data",
    "run-pipeline": "amlops.verbs.run_pipeline",
    "gate": "amlops.verbs.gate",
    "register-model": "amlops.verbs.register_model",
    "report": "amlops.verbs.report",
    "promote-model": "amlops.verbs.promote_model",
    "announce": "amlops.verbs.announce",
    "deploy-online": "amlops.verbs.deploy_online",
    "invoke": "amlops.verbs.invoke",
    "get-keys": "amlops.verbs.get_keys",
    "rollback": "amlops.verbs.rollback",
    "delete-endpoint": "amlops.verbs.delete_endpoint",
    "deploy-batch": "amlops.verbs.deploy_batch",
    "check-drift": "amlops.verbs.check_drift",
    "status": "amlops.verbs.status",
    "validate-config": "amlops.verbs.validate_config",
    "check-infra": "amlops.verbs.check_infra",
    "graph": "amlops.graph.command",
    "demo": "amlops.demo",
    "new": "amlops.render.command",
    "update": "amlops.render.update",
}
# Commands provided by other packages; registered only if their module is importable.
OPTIONAL_COMMANDS: dict[str, str] = {
    "expand": "amlops.lifecycle.commands_expand",
    "run": "amlops.lifecycle.commands_run",
}


def _load(module_name: str) -> ModuleType | None:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # Only a missing command module (or its package) means "not available"; a missing dependency
        # inside an existing module is a real error and must surface.
        if exc.name is not None and module_name.startswith(exc.name):
            return None
        raise


def available_commands() -> dict[str, str]:
    commands = dict(COMMANDS)
    for name, module_name in OPTIONAL_COMMANDS.items():
        try:
            found = importlib.util.find_spec(module_name) is not None
        except ModuleNotFoundError:  # the parent package does not exist (yet)
            found = False
        if found:
            commands[name] = module_name
    return commands


def _summary(module: ModuleType) -> str:
    doc = (module.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""


def build_parser(commands: dict[str, str], selected: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="amlops", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"amlops {__version__}")
    parser.add_argument(
        "--backend",
        choices=["local", "azure"],
        default=None,
        help=f"where the work runs (env {BACKEND_ENV}; default local)",
    )
    parser.add_argument(
        "--state-dir",
        default=None,
        help=f"local state folder (env {STATE_DIR_ENV}; default <project>/.amlops)",
    )
    parser.add_argument(
        "--project-dir", default=None, help=f"the project's root folder (env {PROJECT_DIR_ENV}; default cwd)"
    )
    parser.add_argument(
        "--ci-outputs",
        choices=DIALECTS,
        default=None,
        help="write step outputs for this CI (default: detected; GITHUB_ACTIONS=true with GITHUB_OUTPUT"
        " -> github, TF_BUILD=True -> azure-devops)",
    )
    parser.add_argument(
        "--output",
        dest="ci_output_map",
        action="append",
        type=parse_mapping,
        default=[],
        metavar="NAME=KEY",
        help="in a pipeline step, also set step output NAME to the result's KEY (repeatable;"
        " `result`, the whole result, is always set)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in commands.items():
        # Only the selected command's module is imported; the others get a lazy one-line help.
        if selected is None or name == selected:
            module = _load(module_name)
            if module is None:
                continue
            command_parser = sub.add_parser(
                name,
                help=_summary(module).replace("%", "%%"),
                description=module.__doc__,
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
            module.configure(command_parser)
            command_parser.set_defaults(_module=module)
        else:
            sub.add_parser(name, add_help=False)
    return parser


def _selected_command(argv: Sequence[str], commands: dict[str, str]) -> str | None:
    """The first argument naming a command, skipping global options and their values."""
    takes_value = {"--backend", "--state-dir", "--project-dir", "--ci-outputs", "--output"}
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in takes_value:
            skip = True
            continue
        if arg.startswith("-"):
            continue
        return arg if arg in commands else None
    return None


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """The command line. CI detection reads `environ`, which defaults to os.environ only for the real command
    line (argv None): in-process callers (tests, the demo) write step outputs only if they pass it (or
    --ci-outputs)."""
    if environ is None:
        environ = os.environ if argv is None else {}
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = available_commands()
    selected = _selected_command(argv, commands)
    parser = build_parser(commands, selected)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help exits 0, bad usage exits 2
        return int(exc.code or 0)
    args.settings = resolve_settings(
        backend=args.backend, state_dir=args.state_dir, project_dir=args.project_dir
    )
    try:
        configure_ci_outputs(detect(environ, args.ci_outputs, args.ci_output_map))
        return int(args._module.execute(args))
    except AmlopsError as exc:
        print(f"amlops {args.command}: error: {exc.message}", file=sys.stderr)
        emit_result({**exc.result, "error": exc.message, "error_type": type(exc).__name__}, failed=True)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"amlops {args.command}: interrupted", file=sys.stderr)
        return 130
    finally:
        configure_ci_outputs(None)


if __name__ == "__main__":
    raise SystemExit(main())
