"""The executor's errors sit in amlops' hierarchy and carry where the problem is."""

from pathlib import Path

from amlops.azureml.errors import AzureMLExecutorError, BindingError, CycleError, PipelineSpecError
from amlops.errors import AmlopsError, ConfigError, UsageError


def test_errors_are_usage_errors_with_exit_code_2() -> None:
    errors = [
        PipelineSpecError("bad", file=Path("j.yml"), line=3),
        BindingError("bad", step="s"),
        CycleError("aba"),
    ]
    for error in errors:
        assert isinstance(error, AzureMLExecutorError)
        assert isinstance(error, UsageError)
        assert isinstance(error, AmlopsError)
        assert error.exit_code == 2
        assert error.message == str(error)
    assert isinstance(errors[0], ConfigError)
    assert isinstance(errors[2], ConfigError)


def test_messages_say_where() -> None:
    assert str(PipelineSpecError("bad key", file=Path("j.yml"), line=3)) == "j.yml:3: bad key"
    assert str(PipelineSpecError("gone", file=Path("j.yml"))) == "j.yml: gone"
    assert str(PipelineSpecError("no shell")) == "no shell"
    spec = PipelineSpecError("bad key", file=Path("j.yml"), line=3)
    assert (spec.problem, spec.file, spec.line, spec.location) == ("bad key", Path("j.yml"), 3, "j.yml:3")
    binding = BindingError("no such input", step="train", binding="${{parent.inputs.x}}")
    assert str(binding) == "step 'train', binding '${{parent.inputs.x}}': no such input"
    assert str(BindingError("unbound", binding="model")) == "pipeline, binding 'model': unbound"
    assert str(CycleError(["a", "b", "a"])) == "steps depend on each other in a cycle: a -> b -> a"
