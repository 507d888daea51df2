"""Loading pipeline jobs and components into dataclasses, and refusing what cannot run locally."""

from pathlib import Path

import pytest

from amlops.azureml.errors import PipelineSpecError
from amlops.azureml.spec import load_component, load_pipeline_job

TESTDATA = Path(__file__).parent / "testdata"
HEADER = "type: pipeline\njobs:\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_pipeline_job_with_component_files() -> None:
    job = load_pipeline_job(TESTDATA / "three_steps" / "pipeline.yml")
    folder = (TESTDATA / "three_steps").resolve()

    assert list(job.steps) == ["evaluate", "prep", "train"]
    assert job.continue_on_step_failure is False
    assert job.inputs["raw_data"].type == "uri_file"
    assert job.inputs["raw_data"].value == "./data/raw.txt"
    assert job.inputs["raw_data"].is_path
    assert job.inputs["raw_data"].base_dir == folder
    assert job.inputs["factor"].value == 3
    assert job.outputs["result"].type == "uri_folder"

    train = job.steps["train"]
    assert train.component.name == "train"
    assert train.component.source == folder / "components" / "train.yml"
    assert train.component.code == folder / "src" / "train"
    assert train.component.inputs["factor"].type == "integer"
    assert train.component.inputs["factor"].min == 1
    assert train.component.outputs["model"].type == "uri_file"
    assert train.inputs["prepared"].value == "${{parent.jobs.prep.outputs.prepared}}"
    assert train.environment_variables == {"TRAIN_MODE": "quick"}
    assert job.steps["evaluate"].outputs["report"].binding == "${{parent.outputs.result}}"
    assert job.steps["prep"].component.version == "1"


def test_a_component_used_twice_is_loaded_once(tmp_path: Path) -> None:
    write(tmp_path, "c.yml", "name: c\ncommand: echo hi\n")
    job = load_pipeline_job(
        write(
            tmp_path,
            "job.yml",
            HEADER + "  one:\n    component: ./c.yml\n  two:\n    component: file:c.yml\n",
        )
    )
    assert job.steps["one"].component is job.steps["two"].component


def test_inline_command_job_declares_inputs_from_values(tmp_path: Path) -> None:
    text = HEADER + (
        "  go:\n"
        "    command: >-\n"
        "      echo ${{inputs.n}} ${{inputs.r}} ${{inputs.s}}\n"
        "      ${{inputs.b}} ${{inputs.d}} ${{inputs.p}}\n"
        "    inputs:\n"
        "      n: 1\n      r: 0.5\n      s: text\n      b: true\n"
        "      d: {type: uri_folder, path: .}\n"
        "      p: ${{parent.inputs.x}}\n"
    )
    job = load_pipeline_job(write(tmp_path, "job.yml", text))
    component = job.steps["go"].component
    assert {name: spec.type for name, spec in component.inputs.items()} == {
        "n": "integer",
        "r": "number",
        "s": "string",
        "b": "boolean",
        "d": "uri_folder",
        "p": None,  # taken from what it is bound to
    }
    assert component.name == "go"
    assert component.code is None


def test_component_name_defaults_to_file_stem_and_content_is_canonical(tmp_path: Path) -> None:
    a = load_component(write(tmp_path, "a/my_step.yml", "command: echo hi\ninputs: {}\n"))
    b = load_component(write(tmp_path, "b/my_step.yml", "# a comment\ninputs: {}\ncommand: echo hi\n"))
    assert a.name == "my_step"
    assert a.content == b.content


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("command: echo\ninputs:\n  x:\n    type: strng\n", 4, "input 'x' has type 'strng'"),
        ("command: echo\ninputs:\n  x:\n    type: string\n    optinal: true\n", 5, "unknown key 'optinal'"),
        ("command: echo\noutputs:\n  y:\n    type: integer\n", 4, "output 'y' has type 'integer'"),
        ("name: c\n", 1, "component has no 'command'"),
        ("type: parallel\ncommand: echo\n", 1, "'parallel' cannot run locally"),
        ("command: echo\ncode: ./nowhere\n", 2, "code folder './nowhere' does not exist"),
        ("command: echo\ncode: azureml:code:1\n", 2, "not a local folder"),
        ("command: echo\ninputs: [a]\n", 2, "inputs must be a mapping"),
        (
            "command: echo\ninputs:\n  x: {type: string}\noutputs:\n  x: {type: uri_folder}\n",
            None,
            "both an input and an output",
        ),
    ],
)
def test_component_errors_name_the_line(tmp_path: Path, text: str, line: int | None, message: str) -> None:
    path = write(tmp_path, "component.yml", text)
    with pytest.raises(PipelineSpecError) as caught:
        load_component(path)
    assert message in str(caught.value)
    assert caught.value.file == path.resolve()
    if line is not None:
        assert caught.value.line == line
        assert f"component.yml:{line}:" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("type: pipeline\n", None, "has no 'jobs'"),
        ("type: pipeline\njobz:\n  a:\n    command: echo\n", 2, "unknown key 'jobz'"),
        (
            HEADER + "  a:\n    command: echo\n    enviroment_variables: {}\n",
            5,
            "unknown key 'enviroment_variables'",
        ),
        (
            HEADER + "  a:\n    command: echo\n    inputs:\n      x: {type: string, path: p, value: v}\n",
            6,
            "more than",
        ),
        (HEADER + "  a:\n    command: echo\n    inputs:\n      x: [1, 2]\n", 6, "cannot be a list"),
        (HEADER + "  a:\n    component: ./c.yml\n    command: echo\n", 4, "both 'component' and 'command'"),
        (HEADER + "  a:\n    inputs: {}\n", 4, "neither 'component' nor 'command'"),
        (HEADER + "  a:\n    type: pipeline\n    component: ./p.yml\n", 4, "only 'command' steps"),
        (
            "type: pipeline\nsettings:\n  continue_on_step_failure: maybe\njobs:\n  a:\n    command: echo\n",
            3,
            "true or",
        ),
        ("- a\n- b\n", 1, "must hold a mapping"),
    ],
)
def test_pipeline_errors_name_the_line(tmp_path: Path, text: str, line: int | None, message: str) -> None:
    path = write(tmp_path, "job.yml", text)
    with pytest.raises(PipelineSpecError) as caught:
        load_pipeline_job(path)
    assert message in str(caught.value)
    if line is not None:
        assert caught.value.line == line


def test_pipeline_output_path_is_ignored_locally(tmp_path: Path) -> None:
    text = "type: pipeline\noutputs:\n  m:\n    type: uri_folder\n    path: azureml://datastores/x/paths/m\n"
    job = load_pipeline_job(write(tmp_path, "job.yml", text + "jobs:\n  a:\n    command: echo\n"))
    assert job.outputs["m"].binding is None
