"""Security conventions of the GitHub and Azure DevOps files: pins, permissions, OIDC only, env-only inputs,
approvals on prod, safe deploy jobs, and no swallowed failures."""

import re
from pathlib import Path

import contract_check
import pytest

ROOT = Path(__file__).resolve().parents[2]
GITHUB = contract_check.github_files(ROOT)
WORKFLOWS = [p for p in GITHUB if p.name != "action.yml"]
AZURE_DEVOPS = contract_check.azure_devops_files(ROOT)
EVERYTHING = [*GITHUB, *AZURE_DEVOPS, *sorted((ROOT / "pipelines/config").glob("*.yml"))]
CONNECT = "./templates/github/actions/connect-workspace"


def _id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _steps(document: dict):
    for job in (document.get("jobs") or {}).values():
        yield from job.get("steps") or []
    yield from (document.get("runs") or {}).get("steps") or []


@pytest.mark.parametrize("path", WORKFLOWS, ids=_id)
def test_workflow_denies_everything_at_the_top_and_grants_per_job(path):
    document = contract_check.load(path)
    assert document.get("permissions") == {}, f"{_id(path)}: top-level permissions must be {{}}"
    for name, job in document["jobs"].items():
        assert "permissions" in job, (
            f"{_id(path)}:{document['jobs'].line_of(name)}: job '{name}' has no permissions"
        )
        assert job["permissions"] != "write-all"


def _logs_in(path: Path, job: dict) -> bool:
    """Whether the job signs in to Azure: directly, via connect-workspace, or via a workflow that does."""
    if "uses" in job:
        called = contract_check.load(ROOT / job["uses"])
        return any(_logs_in(ROOT / job["uses"], j) for j in called["jobs"].values())
    return any(
        str(step.get("uses", "")).startswith(("azure/login@", CONNECT)) for step in job.get("steps") or []
    )


@pytest.mark.parametrize("path", WORKFLOWS, ids=_id)
def test_id_token_write_only_where_azure_login_happens(path):
    document = contract_check.load(path)
    for name, job in document["jobs"].items():
        grants_token = (job.get("permissions") or {}).get("id-token") == "write"
        line = document["jobs"].line_of(name)
        assert grants_token == _logs_in(path, job), (
            f"{_id(path)}:{line}: job '{name}' id-token vs Azure login"
        )


@pytest.mark.parametrize("path", GITHUB, ids=_id)
def test_inputs_reach_scripts_only_through_env(path):
    for step in _steps(contract_check.load(path)):
        script = step.get("run")
        if script is not None:
            assert "${{" not in script, (
                f"{_id(path)}:{step.line}: expression inside run:, pass it through env:"
            )


@pytest.mark.parametrize("path", AZURE_DEVOPS, ids=_id)
def test_azure_devops_scripts_take_parameters_through_env(path):
    for node in contract_check._walk(contract_check.load(path)):
        for key in ("bash", "script", "inlineScript"):
            script = node.get(key)
            if isinstance(script, str):
                assert "${{" not in script, (
                    f"{_id(path)}:{node.line}: template expression inside {key}: use env:"
                )


@pytest.mark.parametrize("path", EVERYTHING, ids=_id)
def test_no_secrets_and_no_client_secrets(path):
    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        lowered = line.lower()
        assert "secrets." not in lowered, (
            f"{_id(path)}:{number}: secrets.* used (OIDC / workload identity only)"
        )
        assert "client-secret" not in lowered, f"{_id(path)}:{number}: client secret"
        assert "client_secret" not in lowered, f"{_id(path)}:{number}: client secret"
        assert "creds:" not in lowered, f"{_id(path)}:{number}: azure/login creds (a client secret)"


@pytest.mark.parametrize("path", EVERYTHING, ids=_id)
def test_failures_are_never_swallowed(path):
    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        assert not re.search(r"continue-?on-?error\s*:\s*(true|\$\{\{)", line, re.IGNORECASE), (
            f"{_id(path)}:{number}: continueOnError / continue-on-error"
        )
        assert "--exit-zero" not in line, f"{_id(path)}:{number}: linter told to pass anyway"


def _deploy_jobs(document: dict):
    for name, job in (document.get("jobs") or {}).items():
        if "uses" not in job and "environment" in job:
            yield name, job


@pytest.mark.parametrize("path", sorted((ROOT / "templates/github/workflows").glob("*.yml")), ids=_id)
def test_deploy_jobs_queue_and_time_out(path):
    document = contract_check.load(path)
    for name, job in _deploy_jobs(document):
        concurrency = job.get("concurrency") or {}
        where = f"{_id(path)}:{document['jobs'].line_of(name)}: job '{name}'"
        assert concurrency.get("group"), f"{where} has no concurrency group"
        assert concurrency.get("cancel-in-progress") is False, (
            f"{where} must not cancel a deployment in progress"
        )
        assert isinstance(job.get("timeout-minutes"), int), f"{where} has no timeout-minutes"


def test_workflows_that_deploy_use_an_environment():
    for name in ("deploy-model.yml", "apply-infrastructure.yml"):
        document = contract_check.load(ROOT / "templates/github/workflows" / name)
        assert list(_deploy_jobs(document)), f"{name}: the deploying job needs environment:"


@pytest.mark.parametrize("name", ["deploy-infra.yml", "deploy-model.yml"])
def test_github_prod_goes_after_dev_into_the_prod_environment(name):
    jobs = contract_check.load(ROOT / "pipelines/github" / name)["jobs"]
    assert jobs["prod"]["with"]["environment"] == "prod"
    assert jobs["prod"]["needs"] == ["dev"]


def test_github_prod_deploys_the_version_dev_deployed():
    jobs = contract_check.load(ROOT / "pipelines/github/deploy-model.yml")["jobs"]
    assert jobs["prod"]["with"]["model-version"] == "${{ needs.dev.outputs.model-version }}"


@pytest.mark.parametrize("path", AZURE_DEVOPS, ids=_id)
def test_azure_devops_deployment_jobs_use_an_environment_and_a_timeout(path):
    for node in contract_check._walk(contract_check.load(path)):
        if "deployment" in node:
            assert node.get("environment"), f"{_id(path)}:{node.line}: deployment job without environment"
            assert node.get("timeoutInMinutes"), f"{_id(path)}:{node.line}: deployment job without timeout"


@pytest.mark.parametrize("path", sorted((ROOT / "templates/azure-devops/stages").glob("*.yml")), ids=_id)
def test_azure_devops_deploy_stages_queue_instead_of_cancelling(path):
    for stage in contract_check.load(path)["stages"]:
        assert stage.get("lockBehavior") == "sequential", f"{_id(path)}:{stage.line}"


@pytest.mark.parametrize("name", ["deploy-infra.yml", "deploy-model.yml"])
def test_azure_devops_prod_stage_follows_dev(name):
    stages = contract_check.load(ROOT / "pipelines/azure-devops" / name)["stages"]
    by_environment = {stage["parameters"]["environment"]: stage["parameters"] for stage in stages}
    assert set(by_environment) == {"dev", "prod"}
    assert by_environment["prod"]["dependsOn"], "prod must wait for dev"
    if name == "deploy-model.yml":
        assert by_environment["prod"]["modelVersion"] == by_environment["dev"]["modelVersion"]


def test_azure_devops_library_is_pinned_by_tag_or_commit():
    for path in sorted((ROOT / "pipelines/azure-devops").glob("*.yml")):
        for repository in contract_check.load(path)["resources"]["repositories"]:
            ref = repository.get("ref", "")
            assert re.fullmatch(r"refs/tags/v\d+\.\d+\.\d+|[0-9a-f]{40}", ref), (
                f"{_id(path)}:{repository.line}"
            )
