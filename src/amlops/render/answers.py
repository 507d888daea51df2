"""The cookiecutter's answers: which keys exist, which values each may take, and why a value is refused.

Standard library only (the `pre_gen_project` hook loads this file by path). The questions, their order,
defaults and choice lists live in `cookiecutter.json`; the rules that a list of choices cannot express
(patterns, the region list, combinations) live here. Every message names the answer and what is allowed.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# Azure public-cloud region names, as `az account list-locations --query "[].name"` spells them.
REGIONS: frozenset[str] = frozenset(
    [
        "australiacentral",
        "australiacentral2",
        "australiaeast",
        "australiasoutheast",
        "austriaeast",
        "belgiumcentral",
        "brazilsouth",
        "brazilsoutheast",
        "canadacentral",
        "canadaeast",
        "centralindia",
        "centralus",
        "chilecentral",
        "denmarkeast",
        "eastasia",
        "eastus",
        "eastus2",
        "francecentral",
        "francesouth",
        "germanynorth",
        "germanywestcentral",
        "indonesiacentral",
        "israelcentral",
        "italynorth",
        "japaneast",
        "japanwest",
        "jioindiacentral",
        "jioindiawest",
        "koreacentral",
        "koreasouth",
        "malaysiawest",
        "mexicocentral",
        "newzealandnorth",
        "northcentralus",
        "northeurope",
        "norwayeast",
        "norwaywest",
        "polandcentral",
        "qatarcentral",
        "southafricanorth",
        "southafricawest",
        "southcentralus",
        "southeastasia",
        "southindia",
        "spaincentral",
        "swedencentral",
        "swedensouth",
        "switzerlandnorth",
        "switzerlandwest",
        "uaecentral",
        "uaenorth",
        "uksouth",
        "ukwest",
        "westcentralus",
        "westeurope",
        "westindia",
        "westus",
        "westus2",
        "westus3",
    ]
)

# Azure ML online and batch endpoint names: 3-32 characters, a letter first, letters, digits and hyphens.
ENDPOINT_NAME_MAX = 32
ENDPOINT_SUFFIXES = {"online": "-online", "batch": "-batch"}


@dataclass(frozen=True)
class Rule:
    """A free-text answer's pattern and the sentence that says what it allows."""

    pattern: str
    allowed: str


_ENVIRONMENT = "2-10 lowercase letters or digits, starting with a letter"
RULES: dict[str, Rule] = {
    "project_name": Rule(
        r"[\w][\w .,()&'+-]{0,79}",
        "1-80 characters: letters, digits, spaces and . , ( ) & ' + - (no braces or quotes)",
    ),
    "project_slug": Rule(
        r"(?=.{3,24}$)[a-z][a-z0-9]*(-[a-z0-9]+)*",
        "3-24 characters: lowercase letters, digits and single hyphens, starting with a letter "
        "and not ending with a hyphen (e.g. churn-model)",
    ),
    "dev_environment": Rule(
        r"[a-z][a-z0-9]{1,9}", "2-10 lowercase letters or digits, starting with a letter"
    ),
    "prod_environment": Rule(
        r"[a-z][a-z0-9]{1,9}", "2-10 lowercase letters or digits, starting with a letter"
    ),
    "model_name": Rule(
        r"[A-Za-z0-9][A-Za-z0-9_.-]{0,254}",
        "1-255 characters: letters, digits, '-', '_' and '.', starting with a letter or digit",
    ),
    "step_library_repository": Rule(
        r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}",
        "a GitHub repository as owner/name (e.g. contoso/amlops-template)",
    ),
}

_SEMVER_TAG = re.compile(r"v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?")
_TAG_REF = re.compile(r"refs/tags/[^\s~^:?*\[\\]+")
_SHA = re.compile(r"[0-9a-f]{40}")


def load_questions(cookiecutter_json: Path) -> dict[str, object]:
    """The public questions of `cookiecutter.json` (keys not starting with `_`), in file order."""
    data = json.loads(cookiecutter_json.read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if not key.startswith("_")}


def unknown_keys(given: Mapping[str, object], questions: Mapping[str, object]) -> list[str]:
    """Messages for keys that are not questions (cookiecutter itself would silently ignore them)."""
    messages = []
    for key in given:
        if key not in questions:
            close = difflib.get_close_matches(key, list(questions), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            messages.append(f"{key}: unknown answer{hint}; the answers are: {', '.join(questions)}")
    return messages


def step_library_ref_kind(ref: str) -> str | None:
    """'sha' or 'tag' for a pinnable reference, None for anything else (a branch, a short SHA, ...)."""
    if _SHA.fullmatch(ref):
        return "sha"
    if _SEMVER_TAG.fullmatch(ref) or _TAG_REF.fullmatch(ref):
        return "tag"
    return None


def tag_name(ref: str) -> str:
    """The bare tag or SHA, as GitHub's `uses: owner/repo/path@<ref>` wants it."""
    return ref.removeprefix("refs/tags/")


def azure_devops_ref(ref: str) -> str:
    """The form Azure DevOps' `resources.repositories[].ref` wants: refs/tags/<tag>, or the commit SHA."""
    return ref if step_library_ref_kind(ref) == "sha" or ref.startswith("refs/tags/") else f"refs/tags/{ref}"


def endpoint_names(answers: Mapping[str, str]) -> dict[str, str]:
    """The Azure ML endpoint names the generated configuration uses, per environment and kind."""
    kinds = {"online": ["online"], "batch": ["batch"], "online-and-batch": ["online", "batch"]}
    names = {}
    for env_key in ("dev_environment", "prod_environment"):
        for kind in kinds.get(str(answers.get("deployment")), []):
            names[f"{answers[env_key]}/{kind}"] = (
                f"{answers['project_slug']}-{answers[env_key]}{ENDPOINT_SUFFIXES[kind]}"
            )
    return names


def validate(answers: Mapping[str, object], questions: Mapping[str, object]) -> list[str]:
    """Every problem with a complete or partial set of answers, one message each ([] when all is well).

    `questions` is `load_questions(...)`: a list value there is a choice; other keys are free text checked
    against `RULES`, the region list and the step-library reference rules. Keys absent from `answers` are
    not checked (their defaults are valid by construction, which the tests prove).
    """
    messages = unknown_keys(answers, questions)
    refused: set[str] = set()
    for key, value in answers.items():
        if key not in questions:
            continue
        choices = questions[key]
        if isinstance(choices, list):
            if value not in choices:
                refused.add(key)
                messages.append(f"{key}={value!r} is not allowed; choose one of: {', '.join(choices)}")
            continue
        message = (
            f"{key}={value!r} must be a string" if not isinstance(value, str) else _check_text(key, value)
        )
        if message:
            refused.add(key)
            messages.append(message)
    # Combinations are judged only between answers that are each acceptable.
    messages.extend(_check_combinations({k: v for k, v in answers.items() if k not in refused}))
    return messages


def _check_text(key: str, value: str) -> str | None:
    rule = RULES.get(key)
    if rule is not None and not re.fullmatch(rule.pattern, value):
        return f"{key}={value!r} is not allowed; use {rule.allowed}"
    if key == "location" and value not in REGIONS:
        close = difflib.get_close_matches(value.lower().replace(" ", ""), sorted(REGIONS), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        return (
            f"location={value!r} is not an Azure region name{hint}; use the programmatic name, "
            "lowercase without spaces, e.g. westeurope, eastus2, swedencentral"
        )
    if key == "step_library_ref" and step_library_ref_kind(value) is None:
        return (
            f"step_library_ref={value!r} is neither a tag nor a commit SHA; pin a release tag (v1.2.3 or "
            "refs/tags/<name>) or a full 40-character lowercase hex commit SHA. Branch names such as "
            "'main' are refused: a branch moves, so the project would change under your feet"
        )
    return None


def _check_combinations(answers: Mapping[str, object]) -> list[str]:
    messages = []
    dev, prod = answers.get("dev_environment"), answers.get("prod_environment")
    if dev is not None and dev == prod:
        messages.append(
            f"dev_environment and prod_environment are both {dev!r}; they must differ "
            "(each names its own resource group, workspace and endpoints)"
        )
    required = ("project_slug", "dev_environment", "prod_environment", "deployment")
    if all(isinstance(answers.get(key), str) for key in required):
        for where, name in endpoint_names({key: str(answers[key]) for key in required}).items():
            if len(name) > ENDPOINT_NAME_MAX:
                env, kind = where.split("/")
                messages.append(
                    f"project_slug={answers['project_slug']!r} with environment {env!r} gives the {kind} "
                    f"endpoint name {name!r} ({len(name)} characters); Azure ML allows {ENDPOINT_NAME_MAX}: "
                    "shorten the slug or the environment name"
                )
    return messages
