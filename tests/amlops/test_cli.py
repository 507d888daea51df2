"""The CLI: global options, the command dict, JSON result lines, error types mapped to exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from amlops import cli
from amlops.config import resolve_settings
from amlops.errors import ConfigError, FailedError, NotFoundError, RefusedError, UsageError


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert name in out


@pytest.mark.parametrize("command", sorted(cli.COMMANDS))
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([command, "--help"]) == 0
    assert "usage: amlops" in capsys.readouterr().out


def test_every_command_module_has_configure_execute_and_docstring() -> None:
    import importlib

    for name, module_name in cli.COMMANDS.items():
        module = importlib.import_module(module_name)
        assert callable(module.configure), name
        assert callable(module.execute), name
        assert (module.__doc__ or "").strip(), name


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["no-such-verb"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_missing_required_option_is_a_usage_error(tmp_path: Path) -> None:
    assert cli.main(["--state-dir", str(tmp_path), "register-data", "--name", "x"]) == 2


def test_azure_backend_without_workspace_or_credential_says_what_to_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "AZURE_SUBSCRIPTION_ID",
        "AZURE_RESOURCE_GROUP",
        "AZUREML_WORKSPACE_NAME",
        "AMLOPS_ENVIRONMENT",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "SYSTEM_OIDCREQUESTURI",
        "AZURE_FEDERATED_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    code = cli.main(["--backend", "azure", "--state-dir", str(tmp_path), "status"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "AZURE_SUBSCRIPTION_ID" in err
    assert "az login" in err
    assert json.loads(out.splitlines()[-1])["error_type"] == "UsageError"
    assert not (tmp_path / "mlflow.db").exists()


def test_the_azure_sdk_is_imported_only_when_a_service_call_needs_it() -> None:
    probe = (
        "import sys, amlops.backends.azure, amlops.backends.local, amlops.cli; "
        "print(sorted(m for m in sys.modules if m.startswith(('azure.ai.ml', 'azure.identity'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_backend_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMLOPS_BACKEND", "azure")
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    assert cli.main(["--state-dir", str(tmp_path), "status"]) == 2
    assert (
        cli.main(
            [
                "--backend",
                "local",
                "--state-dir",
                str(tmp_path),
                "register-data",
                "--name",
                "x",
                "--path",
                str(tmp_path / "missing.csv"),
            ]
        )
        == 2
    )


def test_settings_precedence(tmp_path: Path) -> None:
    env = {"AMLOPS_STATE_DIR": str(tmp_path / "env-state"), "AMLOPS_BACKEND": "azure"}
    from_env = resolve_settings(project_dir=tmp_path, environ=env)
    assert from_env.state_dir == tmp_path / "env-state"
    assert from_env.backend == "azure"
    from_options = resolve_settings(
        backend="local", state_dir=tmp_path / "opt", project_dir=tmp_path, environ=env
    )
    assert (from_options.backend, from_options.state_dir) == ("local", tmp_path / "opt")
    default = resolve_settings(project_dir=tmp_path, environ={})
    assert default.state_dir == tmp_path / ".amlops"
    assert default.project.gate_config == tmp_path / "data-science" / "gate.yml"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (FailedError("x"), 1),
        (UsageError("x"), 2),
        (NotFoundError("x"), 2),
        (ConfigError("x"), 2),
        (RefusedError("x"), 3),
    ],
)
def test_error_types_map_to_exit_codes(
    error: Exception,
    code: int,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from amlops.verbs import status

    def boom(args: object) -> int:
        raise error

    monkeypatch.setattr(status, "execute", boom)
    assert cli.main(["--state-dir", str(tmp_path), "status"]) == code
    out, err = capsys.readouterr()
    assert json.loads(out.splitlines()[-1])["error"] == "x"
    assert "amlops status: error: x" in err


def test_optional_ci_commands_are_registered_only_when_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "OPTIONAL_COMMANDS", {"expand": "amlops.no_such_package.commands_expand"})
    assert "expand" not in cli.available_commands()
    monkeypatch.setattr(cli, "OPTIONAL_COMMANDS", {"expand": "amlops.verbs.status"})
    assert cli.available_commands()["expand"] == "amlops.verbs.status"


def test_result_is_the_last_stdout_line(cli, project: Path) -> None:
    result = cli("register-data", "--name", "d", "--path", project / "data/good.csv")
    assert result.code == 0
    assert result.stdout.strip().count("\n") == 0  # only the JSON line on stdout; humans read stderr
    assert result.result["version"] == "1"
