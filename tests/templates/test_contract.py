"""The contract check over the whole tree, and proof on a broken fixture that it reports file:line."""

from pathlib import Path

import contract_check
import pytest

ROOT = Path(__file__).resolve().parents[2]
BROKEN = Path(__file__).parent / "testdata" / "contract-broken"


def test_tree_has_no_contract_violations():
    violations = contract_check.check_tree(ROOT)
    assert not violations, "\n".join(map(str, violations))


def test_tree_has_templates_and_pipelines_to_check():
    assert len(contract_check.azure_devops_files(ROOT)) >= 20
    assert len(contract_check.github_files(ROOT)) >= 20


@pytest.mark.parametrize(
    "expected",
    (BROKEN / "expected.txt").read_text(encoding="utf-8").splitlines(),
)
def test_broken_fixture_reports_each_violation_with_file_and_line(expected):
    location, _, message = expected.partition(": ")
    reported = [str(v) for v in contract_check.check_tree(BROKEN)]
    assert any(line.startswith(location + ": ") and message in line for line in reported), "\n".join(reported)


def test_broken_fixture_reports_nothing_unexpected():
    expected = (BROKEN / "expected.txt").read_text(encoding="utf-8").splitlines()
    reported = contract_check.check_tree(BROKEN)
    assert len(reported) == len(expected), "\n".join(map(str, reported))


def test_line_loader_keeps_on_as_a_string_key(tmp_path):
    path = tmp_path / "w.yml"
    path.write_text("on: push\njobs:\n  a:\n    runs-on: x\n")
    document = contract_check.load(path)
    assert "on" in document
    assert document["jobs"].line_of("a") == 3


def test_template_path_with_parameters_expands_every_enum_value(tmp_path):
    (tmp_path / "templates/azure-devops/stages").mkdir(parents=True)
    (tmp_path / "config").mkdir()
    (tmp_path / "config/dev.yml").write_text("variables:\n  a: 1\n")
    (tmp_path / "templates/azure-devops/stages/s.yml").write_text(
        "parameters:\n  - name: environment\n    type: string\n    values: [dev, prod]\n"
        "stages:\n  - stage: s\n    variables:\n"
        "      - template: config/${{ parameters.environment }}.yml@self\n"
    )
    reported = [str(v) for v in contract_check.check_tree(tmp_path)]
    assert reported == [
        "templates/azure-devops/stages/s.yml:8: template 'config/prod.yml@self' not found",
    ]
