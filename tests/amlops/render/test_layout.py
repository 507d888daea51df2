"""Text edits of the layout module, on small inputs."""

from amlops.render import layout


def test_set_default_for_azure_devops_parameters_and_github_inputs():
    ado = (
        "parameters:\n  - name: deployBatch\n    type: boolean\n    default: false\n"
        "  - name: other\n    default: x\n"
    )
    assert "default: true" in layout.set_default(ado, "deployBatch", "true")
    assert layout.set_default(ado, "deployBatch", "true").endswith("default: x\n")
    gh = (
        "inputs:\n  deploy-batch:\n    description: 'd'\n    default: false  # comment\n"
        "  other:\n    default: 1\n"
    )
    out = layout.set_default(gh, "deploy-batch", "true")
    assert "default: true  # comment" in out
    assert out.endswith("default: 1\n")


def test_set_yaml_scalars_keeps_comments_and_other_keys():
    text = "variables:\n  environmentName: dev  # the name\n  other: 1\n"
    assert layout.set_yaml_scalars(text, {"environmentName": "qa"}) == (
        "variables:\n  environmentName: qa  # the name\n  other: 1\n"
    )


def test_set_hcl_and_bicep_values():
    assert layout.set_hcl_strings('location   = "westeurope"\n', {"location": "eastus"}) == (
        'location   = "eastus"\n'
    )
    assert layout.set_bicep_params("param location = 'westeurope'\n", {"location": "eastus"}) == (
        "param location = 'eastus'\n"
    )


def test_set_parameters_json_keeps_the_layout():
    text = (
        '{\n  "parameters": {\n    "location": { "value": "westeurope" },\n'
        '    "days": { "value": 7 }\n  }\n}\n'
    )
    assert layout.set_parameters_json(text, {"location": "eastus", "days": "9"}) == text.replace(
        "westeurope", "eastus"
    )


PIPELINE = """trigger: none

resources:
  repositories:
    # The step library.
    - repository: templates
      type: git
      name: platform/amlops-templates
      ref: refs/tags/v1.0.0

jobs:
  - template: jobs/test-project.yml@templates
"""


def test_drop_repository_removes_the_entry_and_empty_keys():
    out = layout._drop_repository(PIPELINE, "templates")
    assert "resources" not in out
    assert "repositories" not in out
    assert "jobs:\n  - template: jobs/test-project.yml@templates" in out


def test_set_repository_sets_name_and_ref():
    out = layout._set_repository(PIPELINE, "templates", "contoso/steps", "v2.0.0")
    assert "name: contoso/steps" in out
    assert "ref: refs/tags/v2.0.0" in out
    assert "type: git" in out


def test_workload_name_fits_the_infrastructure_rule():
    assert layout.workload_name("my-mlops-project") == "mymlopspro"
