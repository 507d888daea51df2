"""validate-data records its outcome on the data version; run-pipeline trains only on a version that passed
against the pipeline's contract (issue #13), unless --allow-unvalidated."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from amlops.backends.local.data import DataStore
from amlops.errors import NotFoundError
from amlops.validation import AT_TAG, CONTRACT_TAG, STATUS_TAG, contract_digest


def _register(cli, project: Path, name: str = "d", file: str = "good.csv") -> None:
    assert cli("register-data", "--name", name, "--path", project / "data" / file).code == 0


def _runs(cli) -> list[dict]:
    return cli("status").result["runs"]


def test_tag_merges_into_the_version_and_leaves_its_bytes(tmp_path: Path) -> None:
    store = DataStore(tmp_path / "data")
    source = tmp_path / "a.csv"
    source.write_text("x\n1\n")
    first = store.register("trips", source)
    assert first.tags == {}
    tagged = store.tag("trips", "1", {"a": "1", "b": "2"})
    again = store.tag("trips", "1", {"b": "3"})
    assert tagged.tags == {"a": "1", "b": "2"}
    assert again.tags == {"a": "1", "b": "3"}
    assert store.get("trips", "1").tags == {"a": "1", "b": "3"}
    assert [a.tags for a in store.list()] == [{"a": "1", "b": "3"}]
    assert (again.hash, again.path.read_text()) == (first.hash, "x\n1\n")
    assert store.register("trips", source).version == "1"  # still deduplicated by content
    with pytest.raises(NotFoundError):
        store.tag("trips", "2", {"a": "1"})


def test_passed_validation_is_recorded_and_run_pipeline_proceeds(cli, project: Path) -> None:
    _register(cli, project)
    validated = cli("validate-data", "--name", "d", "--version", "1")
    assert validated.code == 0
    record = validated.result["validation"]
    assert record["status"] == "passed"
    assert record["contract"] == contract_digest(project / "data-science" / "contract.yml")
    assert record["at"]
    status = cli("status").result["data_assets"]
    assert status == [{"name": "d", "version": "1", "hash": status[0]["hash"], "validation": record}]
    run = cli("run-pipeline", "--data", "d:1")
    assert run.code == 0, run.result
    assert run.result["status"] == "Completed"


def test_failed_validation_refuses_the_version_and_submits_nothing(cli, project: Path) -> None:
    _register(cli, project, "bad", "bad.csv")
    assert cli("validate-data", "--name", "bad").code == 1
    refused = cli("run-pipeline", "--data", "bad:1")
    assert refused.code == 3
    message = refused.result["error"]
    assert message.startswith("data asset bad:1 failed validation against the current contract at ")
    assert "`amlops validate-data --name bad --version 1`" in message
    assert "--allow-unvalidated" in message
    assert refused.result["validation"]["status"] == "failed"
    assert "Traceback" not in refused.stderr
    assert _runs(cli) == []


def test_never_validated_is_refused(cli, project: Path) -> None:
    _register(cli, project)
    refused = cli("run-pipeline", "--data", "d")
    assert refused.code == 3
    assert refused.result["error"].startswith("data asset d:1 was never validated")
    assert "`amlops validate-data --name d --version 1`" in refused.result["error"]
    assert refused.result["validation"] is None
    # Bound through --set instead of --data: checked all the same.
    by_set = cli("run-pipeline", "--set", "raw_data=azureml:d:1")
    assert by_set.code == 3
    assert "data asset d:1 was never validated" in by_set.result["error"]
    latest = cli("run-pipeline", "--set", "raw_data=azureml:d@latest")
    assert latest.code == 3
    assert "data asset d:1 was never validated" in latest.result["error"]
    assert _runs(cli) == []


def test_allow_unvalidated_proceeds_and_says_so_on_the_run(cli, project: Path, state_dir: Path) -> None:
    _register(cli, project)
    run = cli("run-pipeline", "--data", "d", "--allow-unvalidated")
    assert run.code == 0, run.result
    assert "--allow-unvalidated" in run.stderr
    from amlops.backends.local import LocalBackend
    from amlops.config import resolve_settings

    backend = LocalBackend(resolve_settings(state_dir=state_dir, environ={}))
    assert backend.get_run(run.result["run_id"]).tags["amlops.allow_unvalidated"] == "true"
    assert STATUS_TAG not in backend.get_data("d", "1").tags  # the escape hatch marks nothing as valid


def test_a_changed_contract_needs_a_new_validation(cli, project: Path) -> None:
    _register(cli, project)
    assert cli("validate-data", "--name", "d").code == 0
    contract = project / "data-science" / "contract.yml"
    contract.write_text(contract.read_text() + "# tightened\n")
    refused = cli("run-pipeline", "--data", "d")
    assert refused.code == 3
    assert "data asset d:1 was validated at " in refused.result["error"]
    assert "against another contract" in refused.result["error"]
    assert _runs(cli) == []
    assert cli("validate-data", "--name", "d").code == 0
    assert cli("run-pipeline", "--data", "d").code == 0


def test_the_contract_checked_is_the_one_the_pipeline_trains_with(cli, project: Path, tmp_path: Path) -> None:
    _register(cli, project)
    contract = project / "data-science" / "contract.yml"
    other = tmp_path / "other-contract.yml"
    other.write_text(contract.read_text() + "# another contract\n")
    # Validated against another contract than the pipeline's: refused.
    assert cli("validate-data", "--name", "d", "--contract", other).code == 0
    refused = cli("run-pipeline", "--data", "d")
    assert refused.code == 3
    assert "against another contract" in refused.result["error"]
    # The pipeline told to train with that contract: the record matches.
    assert cli("run-pipeline", "--data", "d", "--set", f"contract={other}").code == 0
    # Validated against the project's contract, trained with another: the command to run names it.
    assert cli("validate-data", "--name", "d").code == 0
    elsewhere = cli("run-pipeline", "--data", "d", "--set", f"contract={other}")
    assert elsewhere.code == 3
    assert f"`amlops validate-data --name d --version 1 --contract {other}`" in elsewhere.result["error"]
    # A copy of the same contract under another name is the same contract (bytes, not names).
    copy = tmp_path / "copy.yml"
    shutil.copy(contract, copy)
    assert cli("validate-data", "--name", "d", "--contract", copy).code == 0
    assert cli("run-pipeline", "--data", "d").code == 0


def test_tags_are_the_documented_names(cli, project: Path, state_dir: Path) -> None:
    _register(cli, project)
    cli("validate-data", "--name", "d")
    tags = DataStore(state_dir / "data").get("d", "1").tags
    assert set(tags) == {STATUS_TAG, CONTRACT_TAG, AT_TAG}
    assert (STATUS_TAG, CONTRACT_TAG, AT_TAG) == (
        "amlops.validation",
        "amlops.validation.contract",
        "amlops.validation.at",
    )


def test_the_same_bytes_against_the_same_contract_are_validated_once(cli, project: Path) -> None:
    _register(cli, project, "sample")
    first = cli("validate-data", "--name", "sample")
    assert first.code == 0
    assert "reused" not in first.result
    _register(cli, project, "training-data")  # the same file under another name: the same bytes
    again = cli("validate-data", "--name", "training-data")
    assert again.code == 0
    assert again.result["reused"] == "sample:1"
    assert again.result["report"] == first.result["report"]
    assert again.result["validation"]["status"] == "passed"  # recorded on this version too
    assert "reused, not validated again" in again.stderr
    assert cli("run-pipeline", "--data", "training-data:1").code == 0


def test_a_changed_contract_or_a_failure_is_validated_again(cli, project: Path) -> None:
    _register(cli, project)
    assert "reused" not in cli("validate-data", "--name", "d").result
    contract = project / "data-science" / "contract.yml"
    contract.write_text(contract.read_text() + "# tightened\n")
    assert "reused" not in cli("validate-data", "--name", "d").result
    _register(cli, project, "bad", "bad.csv")
    assert cli("validate-data", "--name", "bad").code == 1
    failed_again = cli("validate-data", "--name", "bad")
    assert failed_again.code == 1
    assert "reused" not in failed_again.result
