"""Binding resolution and command rendering, table-driven."""

from pathlib import Path

import pytest

from amlops.azureml.bindings import (
    Reference,
    coerce_literal,
    default_output_path,
    parse_reference,
    pipeline_input_values,
    render_command,
    resolve_path,
)
from amlops.azureml.errors import BindingError
from amlops.azureml.spec import InputSpec, OutputSpec, load_pipeline_job

TESTDATA = Path(__file__).parent / "testdata"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${{parent.inputs.raw_data}}", Reference("inputs", "raw_data", "${{parent.inputs.raw_data}}")),
        (" ${{ parent.outputs.model }} ", Reference("outputs", "model", "${{ parent.outputs.model }}")),
        (
            "${{parent.jobs.prep-step.outputs.out_1}}",
            Reference("jobs", "out_1", "${{parent.jobs.prep-step.outputs.out_1}}", step="prep-step"),
        ),
        ("plain", None),
        (3, None),
        (None, None),
    ],
)
def test_parse_reference(text, expected) -> None:
    assert parse_reference(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "${{parent.inputs}}",
        "${{parent.jobs.a.inputs.x}}",
        "prefix-${{parent.inputs.x}}",
        "${{inputs.x}}",
        "${{parent.inputs.x}} ${{parent.inputs.y}}",
    ],
)
def test_malformed_references_are_refused(text) -> None:
    with pytest.raises(BindingError) as caught:
        parse_reference(text, step="s")
    assert caught.value.step == "s"
    assert caught.value.binding == text


OUT = {"out": Path("/runs/s/outputs/out")}


@pytest.mark.parametrize(
    ("command", "inputs", "expected"),
    [
        ("run ${{inputs.a}} ${{outputs.out}}", {"a": "x"}, "run x /runs/s/outputs/out"),
        ("run ${{ inputs.a }}", {"a": 3}, "run 3"),
        ("run ${{inputs.a}} ${{inputs.a}}", {"a": 0.5}, "run 0.5 0.5"),
        ("run --flag ${{inputs.a}}", {"a": True}, "run --flag True"),
        ("run --flag ${{inputs.a}}", {"a": False}, "run --flag False"),
        ("run $[[--a ${{inputs.a}}]] end", {"a": None}, "run  end"),
        ("run $[[--a ${{inputs.a}}]] end", {"a": "v"}, "run --a v end"),
        ("run $[[--a ${{inputs.a}} --b ${{inputs.b}}]]", {"a": "v", "b": None}, "run "),
        ("run $[[--a ${{inputs.a}}]] $[[--b ${{inputs.b}}]]", {"a": None, "b": 2}, "run  --b 2"),
        ("run $[[--verbose]]", {}, "run --verbose"),
        ("run $[[--a\n ${{inputs.a}}]]", {"a": "v"}, "run --a\n v"),
        ("echo $HOME ${PATH} $((1+1))", {}, "echo $HOME ${PATH} $((1+1))"),
        ("run ${{inputs.p}}", {"p": Path("/data/x.csv")}, "run /data/x.csv"),
    ],
)
def test_render_command(command, inputs, expected) -> None:
    assert render_command(command, inputs=inputs, outputs=OUT, step="s") == expected


@pytest.mark.parametrize(
    ("command", "inputs", "message"),
    [
        ("run ${{inputs.b}}", {"a": "x"}, "input 'b', not declared by the component (declared: a)"),
        ("run ${{outputs.model}}", {}, "output 'model', not declared by the component (declared: out)"),
        ("run ${{inputs.a}}", {"a": None}, "input 'a' has no value; wrap its option in $[[ ... ]]"),
        ("run $[[--b ${{inputs.b}}]]", {"a": None}, "input 'b', not declared"),
        ("run ${{parent.inputs.a}}", {"a": 1}, "unsupported expression"),
        ("run ${{search_space.lr}}", {}, "unsupported expression"),
    ],
)
def test_render_command_errors_name_step_and_binding(command, inputs, message) -> None:
    with pytest.raises(BindingError) as caught:
        render_command(command, inputs=inputs, outputs=OUT, step="train")
    assert message in str(caught.value)
    assert caught.value.step == "train"
    assert caught.value.binding is not None
    assert caught.value.binding.startswith("${{")


def spec(type_: str, **kwargs) -> InputSpec:
    return InputSpec(name="x", type=type_, **kwargs)


@pytest.mark.parametrize(
    ("declared", "value", "expected"),
    [
        (spec("string"), "text", "text"),
        (spec("string"), 42, "42"),
        (spec("string", enum=("a", "b")), "b", "b"),
        (spec("integer"), 7, 7),
        (spec("integer"), "-12", -12),
        (spec("integer"), 3.0, 3),
        (spec("integer", min=0, max=10), 10, 10),
        (spec("number"), 0.25, 0.25),
        (spec("number"), 2, 2),
        (spec("number"), "1e-3", 0.001),
        (spec("boolean"), True, True),
        (spec("boolean"), "false", False),
        (spec("boolean"), "TRUE", True),
    ],
)
def test_coerce_literal(declared, value, expected) -> None:
    result = coerce_literal(value, declared)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("declared", "value", "message"),
    [
        (spec("string", enum=("a", "b")), "c", "'c' is not one of ['a', 'b']"),
        (spec("integer"), "1.5", "expected an integer"),
        (spec("integer"), 1.5, "expected an integer"),
        (spec("integer"), False, "got the boolean False"),
        (spec("integer", min=1), 0, "below the minimum 1"),
        (spec("number", max=1), 1.5, "above the maximum 1"),
        (spec("number"), "abc", "expected a number"),
        (spec("boolean"), "yes", "expected a boolean"),
        (spec("boolean"), 1, "expected a boolean"),
        (spec("string"), None, "expected a string"),
        (spec("string"), {"a": 1}, "expected a string"),
    ],
)
def test_coerce_literal_errors(declared, value, message) -> None:
    with pytest.raises(BindingError, match=message.replace("[", r"\[").replace("]", r"\]")):
        coerce_literal(value, declared, step="s")


def test_resolve_path_relative_file_prefix_and_absolute(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.csv").write_text("a\n")
    expected = (tmp_path / "data" / "x.csv").resolve()
    for value in ("data/x.csv", "./data/x.csv", "file:data/x.csv", str(expected), Path("data/x.csv")):
        assert resolve_path(value, "uri_file", base_dir=tmp_path, resolve_data=None) == expected
    assert resolve_path("data", "uri_folder", base_dir=tmp_path, resolve_data=None) == expected.parent


def test_resolve_path_data_asset_through_resolver(tmp_path: Path) -> None:
    seen: list[str] = []

    def resolver(reference: str) -> Path:
        seen.append(reference)
        return tmp_path

    assert resolve_path("azureml:raw:2", "uri_folder", base_dir=Path("/x"), resolve_data=resolver) == tmp_path
    assert (
        resolve_path("azureml:raw@latest", "uri_folder", base_dir=Path("/x"), resolve_data=resolver)
        == tmp_path
    )
    assert seen == ["raw:2", "raw@latest"]


@pytest.mark.parametrize(
    ("value", "type_", "message"),
    [
        ("missing.csv", "uri_file", "is not an existing file"),
        (".", "uri_file", "is not an existing file"),
        ("missing", "uri_folder", "is not an existing folder"),
        ("azureml://datastores/ws/paths/x.csv", "uri_file", "remote location"),
        ("https://example.com/x.csv", "uri_file", "remote location"),
        ("azureml:raw:1", "uri_folder", "no data resolver"),
        (5, "uri_file", "expected a path"),
        ("", "uri_folder", "expected a path"),
    ],
)
def test_resolve_path_errors(tmp_path: Path, value, type_, message) -> None:
    with pytest.raises(BindingError, match=message) as caught:
        resolve_path(value, type_, base_dir=tmp_path, resolve_data=None, step="prep", binding="inputs.data")
    assert caught.value.step == "prep"
    assert caught.value.binding == "inputs.data"


def test_default_output_paths(tmp_path: Path) -> None:
    assert default_output_path(tmp_path, "s", OutputSpec("out")) == tmp_path / "s" / "outputs" / "out"
    assert (
        default_output_path(tmp_path, "s", OutputSpec("m", "uri_file"))
        == tmp_path / "s" / "outputs" / "m" / "m"
    )


def test_caller_inputs_override_pipeline_inputs(tmp_path: Path) -> None:
    job = load_pipeline_job(TESTDATA / "three_steps" / "pipeline.yml")
    values = pipeline_input_values(job, {"raw_data": "mine.txt", "factor": 9}, cwd=tmp_path)
    assert values["raw_data"].value == "mine.txt"
    assert values["raw_data"].base_dir == tmp_path
    assert values["raw_data"].type == "uri_file"
    assert values["factor"].value == 9
    with pytest.raises(BindingError, match=r"no input 'seed' \(declared: factor, raw_data\)"):
        pipeline_input_values(job, {"seed": 1}, cwd=tmp_path)
