"""The demo: the whole lifecycle in one command, twice in a row (the second gated against the first)."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlops.cli import main

REPO = Path(__file__).resolve().parents[2]
STAGES = [
    "generate data",
    "register-data",
    "validate-data",
    "run-pipeline",
    "gate",
    "register-model",
    "deploy-online",
    "invoke (smoke)",
]


QUICK = ("demo", "--quick")


@pytest.mark.slow
def test_demo_twice_on_the_miniature_project(cli, project: Path) -> None:
    first = cli(*QUICK, "--data", project / "data/good.csv", "--model-name", "m", "--endpoint", "ep")
    assert first.code == 0, first.stderr
    assert first.result["gate_passed"] is True
    assert (first.result["registered_version"], first.result["served_version"]) == ("1", "1")
    assert first.result["scoring_uri"].startswith("http://127.0.0.1:")
    assert first.result["sample_prediction"] == 2.0
    assert list(first.result["stage_seconds"]) == STAGES
    assert "amlops delete-endpoint --endpoint ep" in first.stderr

    second = cli(*QUICK, "--data", project / "data/good.csv", "--model-name", "m", "--endpoint", "ep")
    assert second.code == 0, second.stderr
    assert second.result["gate_passed"] is False  # same metrics: not better than the champion
    assert second.result["previous_champion"] == "1"
    assert second.result["registered_version"] is None
    assert second.result["served_version"] == "1"
    assert second.result["scoring_uri"] == first.result["scoring_uri"]
    assert "candidate rejected" in second.stderr
    assert [m["version"] for m in cli("status").result["models"]] == ["1"]


@pytest.mark.slow
def test_demo_end_to_end_on_the_real_project(
    tmp_path: Path, state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    argv = ["--project-dir", str(REPO), "--state-dir", str(state_dir), "demo", "--quick", "--rows", "5000"]
    assert main(argv) == 0, capsys.readouterr().err
    result = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert result["gate_passed"] is True
    assert result["served_version"] == "1"
    assert isinstance(result["sample_prediction"], float)
    assert list(result["stage_seconds"]) == STAGES


def test_demo_refuses_an_unknown_ci_platform_before_writing_anything(
    state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--project-dir", str(REPO), "--state-dir", str(state_dir)]
    assert main([*base, "demo", "--answer", "ci_platform=jenkins"]) == 2
    assert "ci_platform" in capsys.readouterr().err
    assert not (state_dir / "demo").exists()


@pytest.mark.slow
def test_demo_generates_a_project_serves_it_and_serves_the_champion_again_after_the_endpoints_were_deleted(
    tmp_path: Path, state_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make demo`'s default story (cookiecutter -> PR CI -> train -> event -> deploy dev + prod), then
    `amlops delete-endpoint --all` and `make demo` again: the second run's gate rightly rejects the same
    model, so no pipeline deploys; the demo itself deploys the champion again on both endpoints. (One test:
    each demo run takes minutes.)"""
    import json

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    base = ["--project-dir", str(REPO), "--state-dir", str(state_dir)]
    demo_state = ["--state-dir", str(state_dir / "demo" / "state")]
    try:
        assert main([*base, "demo"]) == 0, capsys.readouterr().err[-6000:]
        first = json.loads(capsys.readouterr().out.splitlines()[-1])
        assert first["pipelines"] == {"pr-ci": "succeeded", "train": "succeeded", "deploy": "succeeded"}
        project = Path(first["project"])
        assert (project / ".github" / "workflows" / "train-model.yml").is_file()
        assert (project / ".git").is_dir()
        assert first["registered"]["version"] == "1"
        for role in ("dev", "prod"):
            assert first["endpoints"][role]["scoring_uri"].startswith("http://127.0.0.1:")
            assert isinstance(first["endpoints"][role]["prediction"][0], float)
        assert {role: e["action"] for role, e in first["endpoints"].items()} == {
            "dev": "serving",
            "prod": "serving",
        }

        assert main([*demo_state, "delete-endpoint", "--all"]) == 0
        deleted = json.loads(capsys.readouterr().out.splitlines()[-1])["deleted"]
        assert sorted(deleted) == sorted(e["endpoint"] for e in first["endpoints"].values())

        code = main([*base, "demo"])
        out, err = capsys.readouterr()
        assert code == 0, err[-6000:]
        second = json.loads(out.splitlines()[-1])
        assert second["registered"] is None  # the gate rejected the identical candidate
        assert second["pipelines"] == {"pr-ci": "succeeded", "train": "succeeded", "deploy": "not-triggered"}
        for role in ("dev", "prod"):
            served = second["endpoints"][role]
            assert served["action"] == "deployed"
            assert served["scoring_uri"].startswith("http://127.0.0.1:")
            assert served["prediction"] == first["endpoints"][role]["prediction"]
            assert f"{served['endpoint']}: the endpoint is gone; deploying" in " ".join(err.split())
        assert "Traceback" not in err
    finally:
        main([*demo_state, "delete-endpoint", "--all"])
