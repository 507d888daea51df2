"""A key the renderer writes an answer into, renamed in the template, fails generation with its file and key
(never a silent skip), and leaves no project behind."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException

from amlops.render.command import render

SHA = "0123456789abcdef0123456789abcdef01234567"

# (answers, file in the template, text replaced, replacement, the error expected on stderr)
CASES = {
    "config key": (
        {},
        "pipelines/config/dev.yml",
        "  modelName:",
        "  registeredModel:",
        "pipelines/config/dev.yml: no 'modelName' to set (expected by the renderer for model_name)",
    ),
    "tfvars key": (
        {"infrastructure": "terraform"},
        "infrastructure/terraform/environments/dev.tfvars",
        "network_mode ",
        "networkmode  ",
        "infrastructure/terraform/environments/dev.tfvars: no 'network_mode' to set "
        "(expected by the renderer for network_mode)",
    ),
    "ci parameter": (  # pinned: the step library (with its own deployBatch parameters) is not copied
        {"ci_platform": "azure-devops", "step_library": "pinned", "step_library_ref": SHA},
        "pipelines/azure-devops/deploy-model.yml",
        "- name: deployBatch",
        "- name: deployBatchEndpoint",
        ".azure-pipelines: no 'deployBatch' parameter with a 'default:' to set "
        "(expected by the renderer for deployment)",
    ),
    "pinned ref": (
        {"ci_platform": "azure-devops", "step_library": "pinned", "step_library_ref": SHA},
        "pipelines/azure-devops/deploy-model.yml",
        "      ref: ",
        "      tag: ",
        "pipelines/azure-devops/deploy-model.yml: the '- repository: templates' entry has no 'ref:' to set "
        "(expected by the renderer for step_library_ref)",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=str)
def test_a_renamed_key_fails_generation_naming_file_and_key(
    template: Path, isolated: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str], case: str
) -> None:
    answers, name, old, new, message = CASES[case]
    broken = tmp_path / "template"
    shutil.copytree(template, broken)
    path = broken / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"the test's premise: {old!r} in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")

    output = tmp_path / "out"
    with pytest.raises(FailedHookException):
        render(str(broken), {"project_slug": "strict-demo", **answers}, output_dir=output)
    assert f"error: {message}" in capfd.readouterr().err
    assert not (output / "strict-demo").exists(), "a half-made project was left behind"
    assert not (output.exists() and any(output.iterdir()))
