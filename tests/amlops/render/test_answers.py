"""Answer rules, called directly."""

from pathlib import Path

import pytest

from amlops.render import answers

REPO = Path(__file__).resolve().parents[3]
QUESTIONS = answers.load_questions(REPO / "cookiecutter.json")


def test_questions_are_the_public_interface():
    assert list(QUESTIONS) == [
        "project_name",
        "project_slug",
        "ci_platform",
        "infrastructure",
        "deployment",
        "network_mode",
        "task",
        "location",
        "dev_environment",
        "prod_environment",
        "model_name",
        "step_library",
        "step_library_repository",
        "step_library_ref",
    ]
    assert QUESTIONS["ci_platform"] == ["github-actions", "azure-devops"]
    assert QUESTIONS["infrastructure"] == ["terraform", "bicep"]
    assert QUESTIONS["deployment"] == ["online", "batch", "online-and-batch"]
    assert QUESTIONS["network_mode"] == ["public", "private"]
    assert QUESTIONS["task"] == ["regression", "classification"]
    assert QUESTIONS["step_library"] == ["vendored", "pinned"]


def test_literal_defaults_are_valid():
    literal = {k: v for k, v in QUESTIONS.items() if isinstance(v, str) and "{{" not in v}
    assert answers.validate(literal, QUESTIONS) == []


@pytest.mark.parametrize(
    ("ref", "kind"),
    [
        ("v1.2.3", "tag"),
        ("1.0.0-rc.1", "tag"),
        ("refs/tags/release-7", "tag"),
        ("0123456789abcdef0123456789abcdef01234567", "sha"),
        ("main", None),
        ("refs/heads/main", None),
        ("0123456", None),
        ("0123456789ABCDEF0123456789ABCDEF01234567", None),
        ("release/1.0", None),
    ],
)
def test_step_library_ref_kind(ref, kind):
    assert answers.step_library_ref_kind(ref) == kind


def test_azure_devops_ref_form():
    assert answers.azure_devops_ref("v1.2.3") == "refs/tags/v1.2.3"
    assert answers.azure_devops_ref("refs/tags/x") == "refs/tags/x"
    sha = "a" * 40
    assert answers.azure_devops_ref(sha) == sha


@pytest.mark.parametrize("slug", ["abc", "churn-model", "a1-b2-c3", "x" * 24])
def test_good_slugs(slug):
    assert answers.validate({"project_slug": slug, "deployment": "batch"}, QUESTIONS) == []


@pytest.mark.parametrize("slug", ["ab", "Churn", "1abc", "a--b", "abc-", "a_b", "x" * 25])
def test_bad_slugs_name_the_answer(slug):
    (message,) = answers.validate({"project_slug": slug}, QUESTIONS)
    assert message.startswith(f"project_slug={slug!r}")


def test_region_typo_gets_a_suggestion():
    (message,) = answers.validate({"location": "westeurop"}, QUESTIONS)
    assert "did you mean westeurope" in message


def test_unknown_key_gets_a_suggestion():
    (message,) = answers.unknown_keys({"model_nmae": "x"}, QUESTIONS)
    assert "did you mean 'model_name'" in message


def test_choice_lists_the_allowed_values():
    (message,) = answers.validate({"network_mode": "vnet"}, QUESTIONS)
    assert message == "network_mode='vnet' is not allowed; choose one of: public, private"


def test_combination_checked_only_between_acceptable_answers():
    messages = answers.validate({"project_slug": "Bad Slug", "dev_environment": "dev"}, QUESTIONS)
    assert len(messages) == 1


def test_endpoint_length_depends_on_the_deployment():
    base = {"project_slug": "x" * 21, "dev_environment": "dev", "prod_environment": "prod"}
    # 21 + "-prod" + "-batch" = 32 fits; "-online" makes it 33.
    assert answers.validate({**base, "deployment": "batch"}, QUESTIONS) == []
    messages = answers.validate({**base, "deployment": "online"}, QUESTIONS)
    assert len(messages) == 1
    assert "'prod'" in messages[0]
