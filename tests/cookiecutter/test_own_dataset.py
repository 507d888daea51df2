"""A team's own dataset in a generated project, nothing else edited: the Azure DevOps project's lifecycle,
run by the project's own `make demo` in a fresh clone, with amlops pinned.

The project (RUNNABLE["azure-devops"]: Bicep, private network, online and batch, the iris classification
sample; step_library=pinned, amlops from this repository's HEAD through a local mirror) gets a dataset the
repository does not ship (tests/support/own_dataset.py: binary classification with other columns, a bool,
gaps in nullable columns, no id column): the team replaces `data-science/contract.yml` and the data file the
settings point at (`dataPath`, also `batchInput`, a CSV here) and commits exactly those two files. Then a
fresh clone of the project runs its own `make demo` (PR CI with the project's tests -> train-model ->
the registry event -> deploy-model online and batch, dev then prod approved) and the served model is asked for
predictions, online and batch. This is the Azure DevOps project's lifecycle test: a second one on the shipped
sample would repeat the same pipelines for several minutes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from generated_project import amlops, run, settings
from git_repository import commit_copy, fresh_clone, git
from own_dataset import CLASSES, TARGET, as_request, loan_table, write_dataset

Generate = Callable[..., Path]


def _accuracy(predicted: list[str], truth: pd.Series) -> float:
    return float((pd.Series(predicted, index=truth.index) == truth).mean())


@pytest.mark.slow
def test_own_dataset_trains_deploys_and_serves_with_only_the_contract_and_data_changed(
    pinned_azure_devops: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    generated, pinned_env = pinned_azure_devops
    repository = commit_copy(generated, tmp_path / "generated")
    config = settings(repository)
    contract, data = "data-science/contract.yml", config["dev"]["dataPath"]
    assert data == config["dev"]["batchInput"] == config["prod"]["dataPath"]
    write_dataset(repository / contract, repository / data)
    changed = git(repository, "ls-files", "--modified", "--others", "--exclude-standard").splitlines()
    assert sorted(changed) == sorted([contract, data])  # nothing else is edited or added
    git(repository, "commit", "-qam", "our own dataset")

    # a team member's fresh clone runs the project's own `make demo` (PR CI with the project's tests ->
    # train-model -> the registry event -> deploy-model, dev then prod approved) with the amlops of the
    # pinned ref; its state folder is the project's `.amlops`
    project = fresh_clone(repository, tmp_path / "project")
    state = project / ".amlops"
    env = {**pinned_env, "TMPDIR": str(tmp_path)}
    try:
        demo = run("make", "demo", cwd=project, env=env, timeout=1800)
        log = demo.stdout + demo.stderr
        assert demo.returncode == 0, log[-12000:]
        print("\n".join(line for line in log.splitlines() if line.startswith(("Pipeline", "Result"))))

        # the gate judged the candidate with the project's own gate.yml, by the contract's task
        [decision] = [json.loads(p.read_text()) for p in state.glob("runs/*/decision.json")]
        assert (decision["passed"], decision["task"], decision["config"]) == (
            True,
            "classification",
            "data-science/gate.yml",
        )
        events = [json.loads(line) for line in (state / "events.jsonl").read_text().splitlines()]
        [event] = [e for e in events if e["type"] == "model-registered"]
        assert event["model"] == config["dev"]["modelName"]
        model = f"{event['model']}:{event['version']}"

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
