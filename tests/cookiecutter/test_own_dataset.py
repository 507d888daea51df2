"""A team's own dataset in a generated project, nothing else edited: the Azure DevOps project's lifecycle.

The project (RUNNABLE["azure-devops"]: Bicep, private network, online and batch, the iris classification
sample) gets a dataset the repository does not ship (tests/support/own_dataset.py: binary classification with
other columns, a bool, gaps in nullable columns, no id column): the team replaces `data-science/contract.yml`
and the data file the settings point at (`dataPath`, also `batchInput`, a CSV here) and commits exactly those
two files. Then the project's own pipelines run (PR CI -> train-model on the push -> the registry event ->
deploy-model online and batch, dev then prod approved) and the served model is asked for predictions, online
and batch. This is the Azure DevOps project's lifecycle test: a second one on the shipped sample would repeat
the same pipelines for several minutes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from generated_project import RUNNABLE, amlops, lifecycle, settings
from git_repository import commit_copy, git
from own_dataset import CLASSES, TARGET, as_request, loan_table, write_dataset

Generate = Callable[..., Path]


def _accuracy(predicted: list[str], truth: pd.Series) -> float:
    return float((pd.Series(predicted, index=truth.index) == truth).mean())


@pytest.mark.slow
def test_own_dataset_trains_deploys_and_serves_with_only_the_contract_and_data_changed(
    generate: Generate, shared_env: dict[str, str], tmp_path: Path
) -> None:
    project = commit_copy(generate(**RUNNABLE["azure-devops"]), tmp_path / "project")
    config = settings(project)
    contract, data = "data-science/contract.yml", config["dev"]["dataPath"]
    assert data == config["dev"]["batchInput"] == config["prod"]["dataPath"]
    write_dataset(project / contract, project / data)
    changed = git(project, "ls-files", "--modified", "--others", "--exclude-standard").splitlines()
    assert sorted(changed) == sorted([contract, data])  # nothing else is edited or added
    git(project, "commit", "-qam", "our own dataset")

    state = tmp_path / "state"
    env = {**shared_env, "TMPDIR": str(tmp_path)}
    try:
        # PR CI runs tests/test_project.py (the settings, the contract and gate.yml agree): the components'
        # own tests on this data are tests/data_science's `loan_trained` ones
        outcome, log = lifecycle(env, project, state, dialect="azure-devops", changed_paths=[contract, data])
        print(log[log.rfind("Lifecycle (") :])  # the pipelines' times (shown with -s or on failure)
        stages = [(stage, status) for stage, _, status in outcome["stages"]]
        expected = [("pr-ci", "succeeded"), ("train", "succeeded"), ("deploy", "succeeded")]
        assert stages == expected, log[-12000:]
        assert outcome["model"] == config["dev"]["modelName"]
        model = f"{outcome['model']}:{outcome['version']}"

        # the gate judged the candidate with the project's own gate.yml, by the contract's task
        [decision] = [json.loads(p.read_text()) for p in state.glob("runs/*/decision.json")]
        assert (decision["passed"], decision["task"], decision["config"]) == (
            True,
            "classification",
            "data-science/gate.yml",
        )

        code, status = amlops(env, project, state, "status")
        assert code == 0, status
        endpoints = {e["name"]: e for e in status["endpoints"]}
        fresh = loan_table(300, seed=101)  # rows the model never saw, gaps included
        request = tmp_path / "fresh-loans.json"  # the caller's own file, outside the project
        request.write_text(json.dumps(as_request(fresh)))
        sample = pd.read_csv(project / data)
        head = tmp_path / "sample-head.json"
        head.write_text(json.dumps(as_request(sample.head(40))))
        served: dict[str, list[str]] = {}
        for role in ("dev", "prod"):
            online = config[role]["onlineEndpoint"]
            live = max(endpoints[online]["traffic"], key=endpoints[online]["traffic"].get)
            assert endpoints[online]["deployments"][live]["model"] == model  # the same version in both

            code, answer = amlops(
                env, project, state, "invoke", "--endpoint", online, "--request", str(request)
            )
            assert code == 0, answer
            predictions = answer["response"]["predictions"]
            assert len(predictions) == len(fresh)
            assert set(predictions) <= set(CLASSES)
            assert all(set(p) == set(CLASSES) for p in answer["response"]["probabilities"])
            assert _accuracy(predictions, fresh[TARGET]) > 0.85  # it learned the team's data

            code, own = amlops(env, project, state, "invoke", "--endpoint", online)  # the model's own request
            assert (code, own["request"]) == (0, f"{model}/smoke-request.json"), own
            assert len(own["response"]["predictions"]) == 5

            code, answer = amlops(env, project, state, "invoke", "--endpoint", online, "--request", str(head))
            assert code == 0, answer
            served[role] = answer["response"]["predictions"]

        # batch: each environment's smoke batch (the whole data file) in its own folder, rows keyed by their
        # row number (the contract has no id column), predictions agreeing with the online ones
        for role in ("dev", "prod"):
            assert endpoints[config[role]["batchEndpoint"]]["kind"] == "batch"
            files = sorted((project / ".amlops" / "batch-smoke" / role).glob("*.csv"))
            assert files, f"no smoke batch predictions for {role}"
            batch = pd.concat([pd.read_csv(f) for f in files]).sort_values("source_row", ignore_index=True)
            assert list(batch.columns) == [
                "source_file",
                "source_row",
                "prediction",
                *(f"probability_{c}" for c in CLASSES),
                "error",
            ]
            assert batch["source_row"].tolist() == list(range(len(sample)))
            assert batch["error"].isna().all()
            assert _accuracy(batch["prediction"].tolist(), sample[TARGET]) > 0.85
            assert batch["prediction"].head(40).tolist() == served[role]
    finally:
        amlops(env, project, state, "delete-endpoint", "--all")
    code, status = amlops(env, project, state, "status")
    assert not [e for e in status.get("endpoints", []) if e.get("kind") == "online"], status

    # no leftover of the template's example in the files the team did not touch
    leftovers = [
        p.relative_to(project).as_posix()
        for folder in ("pipelines", ".azure-pipelines")
        for p in sorted((project / folder).rglob("*"))
        if p.is_file() and "taxi" in p.read_text(encoding="utf-8").lower()
    ]
    assert not leftovers
    assert not (project / "pipelines" / "azureml" / "smoke-request.json").exists()
