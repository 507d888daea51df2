"""Step outputs written by amlops itself when it runs as a pipeline step.

A verb's result becomes step outputs without any glue in the step's script:
- GitHub Actions (`GITHUB_ACTIONS=true` and `GITHUB_OUTPUT` set): `NAME=VALUE` lines appended to the file
  `$GITHUB_OUTPUT`; a value with a newline uses the `NAME<<DELIMITER` form.
- Azure DevOps (`TF_BUILD=True`): `##vso[task.setvariable variable=NAME;isOutput=true]VALUE` lines on stdout,
  before the JSON result line (which stays the last line).

The outputs are `result` (the whole result, compact JSON) plus one per `--output NAME=KEY` (the value of the
result's top-level KEY: strings as they are, anything else compact JSON). `build_lines` is pure; `write` does
the I/O.

A verb may also put a Markdown summary on the CI run page (`write_summary`): GitHub appends it to the file
`$GITHUB_STEP_SUMMARY` (the job summary); Azure DevOps gets `##vso[task.uploadsummary]<file>` on stdout (the
build summary's section from that Markdown file).
"""

from __future__ import annotations

import json
import secrets
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

from amlops.errors import UsageError

Dialect = Literal["github", "azure-devops"]
DIALECTS: tuple[str, ...] = ("github", "azure-devops", "none")
RESULT_OUTPUT = "result"


@dataclass(frozen=True)
class CiOutputs:
    """Where the outputs go (`dialect`, `github_output` file for github) and which ones (`mapping`)."""

    dialect: Dialect
    mapping: tuple[tuple[str, str], ...] = ()
    github_output: Path | None = None
    github_step_summary: Path | None = None
    artifacts_url: str | None = None  # the run page's artifacts (`artifacts_url`)


def parse_mapping(text: str) -> tuple[str, str]:
    """`NAME=KEY` -> (NAME, KEY); argparse `type=` (a ValueError becomes a usage error)."""
    name, sep, key = text.partition("=")
    name, key = name.strip(), key.strip()
    if not sep or not name or not key:
        raise ValueError(f"expected NAME=KEY, got {text!r}")
    if name == RESULT_OUTPUT:
        raise ValueError(f"{RESULT_OUTPUT!r} is always written (the whole result); choose another NAME")
    return name, key


def running_ci(environ: Mapping[str, str]) -> str | None:
    """The CI system this process runs in, by the variables each sets in every job: github
    (`GITHUB_ACTIONS=true`), azure-devops (`TF_BUILD=True`), else None."""
    if environ.get("GITHUB_ACTIONS") == "true":
        return "github"
    if environ.get("TF_BUILD", "").lower() == "true":
        return "azure-devops"
    return None


def artifacts_url(environ: Mapping[str, str]) -> str | None:
    """The run page's artifacts, from the variables each CI system sets in every job (GitHub:
    GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID; Azure DevOps: SYSTEM_COLLECTIONURI,
    SYSTEM_TEAMPROJECT, BUILD_BUILDID); None outside CI or when one is missing."""
    dialect = running_ci(environ)
    if dialect == "github":
        parts = [environ.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
        if all(parts):
            return f"{parts[0].rstrip('/')}/{parts[1]}/actions/runs/{parts[2]}#artifacts"
    elif dialect == "azure-devops":
        parts = [environ.get(k, "") for k in ("SYSTEM_COLLECTIONURI", "SYSTEM_TEAMPROJECT", "BUILD_BUILDID")]
        if all(parts):
            project = urllib.parse.quote(parts[1])
            return (
                f"{parts[0].rstrip('/')}/{project}/_build/results?buildId={urllib.parse.quote(parts[2])}"
                "&view=artifacts&type=publishedArtifacts"
            )
    return None


def detect(
    environ: Mapping[str, str],
    forced: str | None = None,
    mapping: Sequence[tuple[str, str]] = (),
) -> CiOutputs | None:
    """The CI dialect from `forced` (github | azure-devops | none) or the environment; None: write nothing."""
    github_file = environ.get("GITHUB_OUTPUT") or None
    if forced == "none":
        return None
    running = running_ci(environ)
    if forced == "github" or (forced is None and github_file and running == "github"):
        if not github_file:
            raise UsageError("--ci-outputs github needs GITHUB_OUTPUT (the step's output file) to be set")
        summary = environ.get("GITHUB_STEP_SUMMARY") or None
        summary_file = Path(summary) if summary else None
        return CiOutputs("github", tuple(mapping), Path(github_file), summary_file, artifacts_url(environ))
    if forced == "azure-devops" or (forced is None and running == "azure-devops"):
        return CiOutputs("azure-devops", tuple(mapping), artifacts_url=artifacts_url(environ))
    if forced is not None:
        raise UsageError(f"unknown --ci-outputs {forced!r} (one of: {', '.join(DIALECTS)})")
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), allow_nan=False)


def output_values(result: Mapping[str, Any], mapping: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """(name, text) per mapped key, then `result`; an unknown key is a usage error naming the known ones."""
    missing = [key for _, key in mapping if key not in result]
    if missing:
        raise UsageError(
            f"--output: the result has no key {', '.join(repr(k) for k in missing)}"
            f" (available: {', '.join(sorted(result)) or 'none'})",
            result=result,
        )
    values = [(name, _text(result[key])) for name, key in mapping]
    return [*values, (RESULT_OUTPUT, _text(dict(result)))]


def _delimiter(value: str) -> str:
    while True:
        delimiter = f"AMLOPS_EOF_{secrets.token_hex(8)}"
        if delimiter not in value:
            return delimiter


def build_lines(
    dialect: Dialect, values: Sequence[tuple[str, str]], *, delimiter: str | None = None
) -> list[str]:
    """The lines that set `values` as step outputs in `dialect` (without trailing newlines)."""
    lines: list[str] = []
    for name, value in values:
        if dialect == "azure-devops":
            # A logging command is one line: CR and LF as the agent's escapes (it decodes %0D and %0A; `%`
            # itself stays as it is: the agent decodes %AZP25 only behind a knob).
            escaped = value.replace("\r", "%0D").replace("\n", "%0A")
            lines.append(f"##vso[task.setvariable variable={name};isOutput=true]{escaped}")
        elif "\n" in value or "\r" in value:
            marker = delimiter or _delimiter(value)
            if marker in value:
                raise ValueError(f"delimiter {marker!r} occurs in the value of {name!r}")
            lines += [f"{name}<<{marker}", *value.split("\n"), marker]
        else:
            lines.append(f"{name}={value}")
    return lines


def write(ci: CiOutputs, result: Mapping[str, Any], stdout: TextIO, *, only_result: bool = False) -> None:
    """Write the step outputs of `result`; all or nothing (an unknown key raises before any is written).
    `only_result` (the verb failed; its result may lack keys): `result`, and those outputs it has (a failed
    pipeline run still has its run id, which the run report needs)."""
    mapping = [(name, key) for name, key in ci.mapping if key in result] if only_result else ci.mapping
    values = output_values(result, mapping)
    lines = build_lines(ci.dialect, values)
    if ci.dialect == "azure-devops":
        stdout.write("".join(line + "\n" for line in lines))
        stdout.flush()
        return
    assert ci.github_output is not None
    with ci.github_output.open("a", encoding="utf-8") as handle:
        handle.write("".join(line + "\n" for line in lines))


def summary_line(markdown_file: Path) -> str:
    """Azure DevOps' logging command that adds the Markdown file to the build summary."""
    path = str(markdown_file.resolve())
    if "\n" in path or "\r" in path or "]" in path:
        raise UsageError(f"cannot name {path!r} in a logging command (it holds a line break or ']')")
    return f"##vso[task.uploadsummary]{path}"


def write_summary(ci: CiOutputs | None, markdown_file: Path, stdout: TextIO) -> str | None:
    """Put the Markdown file on the CI run page; what was done (None outside a pipeline step)."""
    if ci is None:
        return None
    if ci.dialect == "azure-devops":
        stdout.write(summary_line(markdown_file) + "\n")
        stdout.flush()
        return "azure-devops build summary"
    if ci.github_step_summary is None:
        return None
    text = markdown_file.read_text(encoding="utf-8")
    with ci.github_step_summary.open("a", encoding="utf-8") as handle:
        handle.write(text if text.endswith("\n") else text + "\n")
    return "github job summary"
