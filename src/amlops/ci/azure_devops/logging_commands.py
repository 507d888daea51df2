"""`##vso[area.action key=value;...]message` logging commands written by steps: read (`parse_line`) and
applied to the job (`apply`: variables and outputs, issues, the step's result, PATH, records)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from amlops.ci.azure_devops.job_state import JobState
from amlops.ci.azure_devops.log import Printer
from amlops.ci.azure_devops.statuses import FAILED, SUCCEEDED, WITH_ISSUES
from amlops.ci.azure_devops.variables import Variables
from amlops.ci.result import Record, Status

_COMMAND = re.compile(r"##vso\[([A-Za-z]+)\.([A-Za-z]+)([^\]]*)\](.*)$")
_ESCAPES = (("%3B", ";"), ("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"), ("%AZP25", "%"))


@dataclass(frozen=True)
class Command:
    area: str  # lower case, e.g. "task"
    action: str  # lower case, e.g. "setvariable"
    properties: dict[str, str]  # keys lower case
    message: str

    def flag(self, key: str) -> bool:
        return self.properties.get(key.lower(), "").strip().lower() == "true"


def _unescape(text: str) -> str:
    for code, char in _ESCAPES:
        text = text.replace(code, char)
    return text


def parse_line(line: str) -> Command | None:
    """The logging command in `line` (it may follow other text), or None."""
    start = line.find("##vso[")
    if start < 0:
        return None
    m = _COMMAND.match(line[start:].rstrip("\r\n"))
    if m is None:
        return None
    props: dict[str, str] = {}
    for part in m.group(3).strip().split(";"):
        if not part.strip():
            continue
        key, _, value = part.partition("=")
        props[key.strip().lower()] = _unescape(value.strip())
    return Command(m.group(1).lower(), m.group(2).lower(), props, _unescape(m.group(4)))


RECORDED = (
    "build.updatebuildnumber",
    "build.addbuildtag",
    "task.setprogress",
    "task.uploadsummary",
    "task.uploadfile",
    "artifact.upload",
    "task.addattachment",
)
"""Commands kept as `Record`s of the run (nothing to do locally)."""


def apply(
    command: Command,
    *,
    step_name: str,
    job_vars: Variables,
    jr: JobState,
    line: str,
    log: Printer,
    records: list[Record],
) -> Status | None:
    """Apply one command of step `step_name` (written as `line`); `task.complete` gives the step's result."""
    key = f"{command.area}.{command.action}"
    if key == "task.setvariable":
        variable = command.properties.get("variable", "")
        if not variable:
            log("##[warning]task.setvariable without variable=")
            return None
        secret = command.flag("issecret")
        if secret and command.message:
            log.masks.add(command.message)
        if command.flag("isoutput"):
            jr.outputs[f"{step_name}.{variable}"] = command.message
            jr.steps[-1].outputs[variable] = command.message
            job_vars.set(f"{step_name}.{variable}", command.message, secret=secret)
        else:
            job_vars.set(variable, command.message, secret=secret, readonly=command.flag("isreadonly"))
        shown = "***" if secret else command.message
        log(f"##[debug]set variable {variable}{' (output)' if command.flag('isoutput') else ''} = {shown}")
        return None
    if key == "task.logissue":
        kind = command.properties.get("type", "warning").lower()
        log(f"##[{'error' if kind == 'error' else 'warning'}]{command.message}")
        return None
    if key == "task.complete":
        result = command.properties.get("result", "Succeeded")
        mapping = {"succeeded": SUCCEEDED, "succeededwithissues": WITH_ISSUES, "failed": FAILED}
        if command.message:
            log(command.message)
        return mapping.get(result.lower(), FAILED)
    if key == "task.prependpath":
        path = command.message.strip()
        current = job_vars.get("PATH") or os.environ.get("PATH", "")
        job_vars.set("PATH", f"{path}{os.pathsep}{current}")
        return None
    if key in RECORDED:
        records.append(Record(key, properties={"message": command.message, **command.properties}))
        return None
    log(line)
    return None
