"""Step order from data bindings: which step needs which, a stable run order, and cycles named in full."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from amlops.azureml.bindings import step_references
from amlops.azureml.errors import BindingError, CycleError
from amlops.azureml.spec import PipelineJob


def dependencies(job: PipelineJob) -> dict[str, tuple[str, ...]]:
    """For each step (in file order), the steps whose outputs it reads, in the order it names them."""
    result: dict[str, tuple[str, ...]] = {}
    for name, step in job.steps.items():
        needed: dict[str, None] = {}
        for reference in step_references(step).values():
            if reference.kind != "jobs" or reference.step is None:
                continue
            if reference.step not in job.steps:
                known = ", ".join(job.steps)
                raise BindingError(
                    f"no step named '{reference.step}' in the pipeline (steps: {known})",
                    step=name,
                    binding=reference.text,
                )
            needed[reference.step] = None
        result[name] = tuple(needed)
    return result


def _find_cycle(deps: Mapping[str, Iterable[str]], nodes: Iterable[str]) -> list[str]:
    """A cycle among `nodes` (each of which lies on or leads to one), first node repeated at the end."""
    remaining = set(nodes)
    for start in deps:
        if start not in remaining:
            continue
        path: list[str] = []
        index: dict[str, int] = {}
        node = start
        while node not in index:
            index[node] = len(path)
            path.append(node)
            node = next(dep for dep in deps[node] if dep in remaining)
        cycle = path[index[node] :]
        # Report in execution direction (each step feeds the next), from the step written first.
        cycle.reverse()
        position = {name: i for i, name in enumerate(deps)}
        first = min(range(len(cycle)), key=lambda i: position[cycle[i]])
        cycle = cycle[first:] + cycle[:first]
        return [*cycle, cycle[0]]
    raise AssertionError("no cycle among the given nodes")  # pragma: no cover


def execution_order(deps: Mapping[str, Iterable[str]]) -> list[str]:
    """Steps ordered so each comes after the steps it needs; ties keep the mapping's order.

    Raises `CycleError` naming one cycle, e.g. `a -> b -> a`.
    """
    needs = {name: set(required) for name, required in deps.items()}
    for name, required in needs.items():
        unknown = required - needs.keys()
        if unknown:
            raise BindingError(f"depends on unknown steps {sorted(unknown)}", step=name)
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(needs):
        ready = [name for name in needs if name not in done and needs[name] <= done]
        if not ready:
            stuck = [name for name in needs if name not in done]
            raise CycleError(_find_cycle({n: deps[n] for n in stuck}, stuck))
        # One at a time keeps the file order among steps that become ready together.
        order.append(ready[0])
        done.add(ready[0])
    return order


def downstream(deps: Mapping[str, Iterable[str]], roots: Iterable[str]) -> set[str]:
    """Every step that needs (directly or not) one of `roots`; the roots themselves are not included."""
    feeds: dict[str, set[str]] = {name: set() for name in deps}
    for name, required in deps.items():
        for dep in required:
            feeds.setdefault(dep, set()).add(name)
    found: set[str] = set()
    pending = list(roots)
    while pending:
        for child in feeds.get(pending.pop(), ()):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found
