"""Every invalid answer fails with a message naming it, and leaves no project behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from amlops.render.command import InvalidAnswers, render

SHA = "0123456789abcdef0123456789abcdef01234567"

# (answers, words the message must contain)
HOOK_CASES = {
    "bad slug": ({"project_slug": "My_Project"}, ["project_slug", "lowercase"]),
    "branch as ref": ({"step_library": "pinned", "step_library_ref": "main"}, ["step_library_ref", "'main'"]),
    "short sha": ({"step_library_ref": SHA[:7]}, ["step_library_ref", "40-character"]),
    "bad region": ({"location": "west europe"}, ["location", "westeurope"]),
    "same environments": ({"dev_environment": "prod"}, ["dev_environment", "must differ"]),
    "endpoint name too long": (
        {"project_slug": "a-twenty-two-char-slug", "deployment": "online"},
        ["endpoint name", "32"],
    ),
    "bad model name": ({"model_name": "-model"}, ["model_name"]),
}


@pytest.mark.parametrize("case", list(HOOK_CASES), ids=str)
def test_cookiecutter_refuses_in_the_pre_gen_hook(
    template: Path, isolated: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str], case: str
) -> None:
    answers, words = HOOK_CASES[case]
    with pytest.raises(FailedHookException):
        cookiecutter(str(template), no_input=True, extra_context=answers, output_dir=str(tmp_path / "out"))
    err = capfd.readouterr().err
    for word in words:
        assert word in err
    output = tmp_path / "out"
    assert not (output.exists() and any(output.iterdir())), "a half-written project was left behind"


def test_cookiecutter_refuses_an_unknown_choice(template: Path, isolated: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ci_platform"):
        cookiecutter(
            str(template), no_input=True, extra_context={"ci_platform": "jenkins"}, output_dir=str(tmp_path)
        )
    assert not any(tmp_path.iterdir())


NEW_CASES = {
    **HOOK_CASES,
    "unknown key": ({"ci_platfrom": "azure-devops"}, ["ci_platfrom", "did you mean 'ci_platform'"]),
    "unknown choice": ({"deployment": "streaming"}, ["deployment", "online, batch, online-and-batch"]),
}


@pytest.mark.parametrize("case", list(NEW_CASES), ids=str)
def test_amlops_new_refuses_before_writing(template: Path, isolated: Path, tmp_path: Path, case: str) -> None:
    answers, words = NEW_CASES[case]
    output = tmp_path / "out"
    with pytest.raises(InvalidAnswers) as failure:
        render(str(template), answers, output_dir=output)
    message = "\n".join(failure.value.problems)
    for word in words:
        assert word in message
    assert not output.exists()


def test_amlops_new_generates_with_valid_answers(template: Path, isolated: Path, tmp_path: Path) -> None:
    project = render(
        str(template), {"ci_platform": "azure-devops", "step_library_ref": SHA}, output_dir=tmp_path
    )
    assert (project / ".azure-pipelines").is_dir()
    assert (project / ".cookiecutter-answers.json").is_file()
