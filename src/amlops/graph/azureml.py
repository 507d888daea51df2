"""An Azure ML pipeline job as a graph: its jobs, and the data flowing between them.

Read with the local executor's own parser (`amlops.azureml`), so the picture shows what `run-pipeline`
runs: an edge for each `${{parent.jobs.X.outputs.Y}}` binding (labelled `output -> input`), the pipeline's
data inputs (`uri_file`, `uri_folder`, models, tables) flowing into the jobs that bind them, and the jobs
writing the pipeline's outputs. Literal inputs (`seed: 42`) are parameters, not data, and are not drawn.
"""

from __future__ import annotations

from pathlib import Path

from amlops.azureml.bindings import parse_reference, step_references
from amlops.azureml.graph import dependencies, execution_order
from amlops.azureml.spec import PipelineJob, load_pipeline_job
from amlops.graph.model import Edge, Graph, GraphBuilder, Node

DIALECT = "azureml"
SCALAR_TYPES = frozenset({"string", "integer", "number", "boolean"})


def _flow(output: str, into: str) -> str:
    return output if output == into else f"{output} → {into}"


def job_graph(job: PipelineJob, *, source: str, title: str) -> Graph:
    """The graph of a loaded pipeline job; `source` is the job file as shown to people."""
    execution_order(dependencies(job))  # unknown steps and cycles are errors naming them
    builder = GraphBuilder(title, source, DIALECT, direction="LR")
    data_inputs = [
        name
        for name, value in job.inputs.items()
        if value.is_path or (value.type is not None and value.type not in SCALAR_TYPES)
    ]
    for name in data_inputs:
        value = job.inputs[name]
        details = (value.type,) if value.type else ()
        builder.add_node(Node(f"inputs/{name}", name, kind="input", details=details))
    for name, step in job.steps.items():
        component = step.component
        about = component.display_name or component.name
        details = (f"{about} ({component.name})",) if about != component.name else (component.name,)
        builder.add_node(Node(f"jobs/{name}", name, details=details))
    for name in job.outputs:
        output = job.outputs[name]
        builder.add_node(
            Node(f"outputs/{name}", name, kind="output", details=(output.type,) if output.type else ())
        )
    for name, step in job.steps.items():
        flows: dict[str, list[str]] = {}
        for into, reference in step_references(step).items():
            if reference.kind == "jobs" and reference.step is not None:
                flows.setdefault(f"jobs/{reference.step}", []).append(_flow(reference.name, into))
            elif reference.kind == "inputs" and reference.name in data_inputs:
                label = "" if reference.name == into else into
                flows.setdefault(f"inputs/{reference.name}", []).append(label)
        for origin, labels in flows.items():
            label = ", ".join(text for text in labels if text)
            builder.add_edge(Edge(origin, f"jobs/{name}", "data", label=label))
        for output_name, output in step.outputs.items():
            reference = parse_reference(output.binding, step=name)
            if reference is not None and reference.kind == "outputs" and reference.name in job.outputs:
                label = "" if output_name == reference.name else output_name
                builder.add_edge(Edge(f"jobs/{name}", f"outputs/{reference.name}", "data", label=label))
    return builder.build()


def load(path: Path, *, repo_root: Path) -> Graph:
    """Load the job at `path` (PipelineSpecError names file and line) and draw it."""
    job = load_pipeline_job(path)
    try:
        shown = path.resolve().relative_to(repo_root.resolve()).as_posix()
    except ValueError:
        shown = str(path)
    title = job.display_name or job.name or path.stem
    return job_graph(job, source=shown, title=str(title))
