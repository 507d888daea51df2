"""Run the whole ML lifecycle locally: data, validation, training, gate, registry, deployment, a request.

By default the full story (`amlops.demo_project`): generate a project from the cookiecutter and run its
pipelines. With `--quick`, this project's verbs are called in sequence instead: sample data from the
project's own generator (`python -m datascience.generate`, as a process), then the verbs, then a
summary: model version, metrics against the champion, the endpoint URL, a sample prediction and the time
each stage took. Running it again gates the new candidate against the first champion; a rejected
candidate is reported and the existing champion stays served. The served model keeps running
afterwards: `amlops delete-endpoint --endpoint NAME` stops it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from amlops.backends.base import CHAMPION, Backend
from amlops.config import Settings
from amlops.errors import AmlopsError, FailedError, NotFoundError, UsageError
from amlops.output import emit_result, say
from amlops.progress import Stages, show, table
from amlops.verbs._common import backend_for
from amlops.verbs.deploy_online import deploy_online
from amlops.verbs.gate import gate
from amlops.verbs.invoke import invoke
from amlops.verbs.register_data import register_data
from amlops.verbs.register_model import register_model
from amlops.verbs.run_pipeline import run_pipeline
from amlops.verbs.validate_data import validate_data


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quick",
        action="store_true",
        help="call the verbs in sequence in this project instead of generating a project and running "
        "its pipelines",
    )
    parser.add_argument(
        "--answer",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a cookiecutter answer for the generated project (e.g. ci_platform=azure-devops); repeatable",
    )
    parser.add_argument(
        "--rows", type=int, default=20_000, help="rows of sample data to generate (default 20000)"
    )
    parser.add_argument(
        "--seed", type=int, default=42, help="seed for data generation and training (default 42)"
    )
    parser.add_argument(
        "--data", type=Path, default=None, help="use this data file instead of generating one"
    )
    parser.add_argument("--data-name", default="taxi-trips", help="data asset name (default taxi-trips)")
    parser.add_argument("--model-name", default="taxi-fare", help="registered model name (default taxi-fare)")
    parser.add_argument("--endpoint", default="taxi-fare", help="online endpoint name (default taxi-fare)")


def generate(settings: Settings, *, rows: int, seed: int) -> Path:
    """Sample data from the project's generator, run as a process (amlops never imports datascience)."""
    output = settings.state_dir / "demo" / f"sample-{rows}-seed{seed}.parquet"
    if output.is_file():
        say(f"reusing generated data {output}")
        return output
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.partial.parquet")
    argv = [
        sys.executable,
        "-m",
        "datascience.generate",
        "--contract",
        str(settings.project.contract),
        "--output",
        str(partial),
        "--rows",
        str(rows),
        "--seed",
        str(seed),
    ]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(settings.project.code_root), os.environ.get("PYTHONPATH")])
        ),
    }
    done = subprocess.run(
        argv, cwd=settings.project.code_root, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise FailedError(f"data generation failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    partial.replace(output)
    return output


def _champion(backend: Backend, model_name: str) -> str | None:
    try:
        return backend.get_model_version(model_name, alias=CHAMPION).version
    except NotFoundError:
        return None


def run_demo(
    backend: Backend,
    settings: Settings,
    *,
    rows: int = 20_000,
    seed: int = 42,
    data: Path | None = None,
    data_name: str = "taxi-trips",
    model_name: str = "taxi-fare",
    endpoint: str = "taxi-fare",
) -> dict[str, Any]:
    stages = Stages()
    summary: dict[str, Any] = {"model": model_name, "endpoint": endpoint}
    try:
        with stages.stage("generate data") as st:
            path = data.resolve() if data else generate(settings, rows=rows, seed=seed)
            st.detail = path.name
        with stages.stage("register-data") as st:
            asset = register_data(backend, name=data_name, path=path)
            st.detail = f"{asset['name']}:{asset['version']}" + ("" if asset["created"] else " (existing)")
        with stages.stage("validate-data") as st:
            validate_data(backend, settings, name=data_name, version=asset["version"])
            st.detail = "valid"
        with stages.stage("run-pipeline") as st:
            run = run_pipeline(
                backend, settings, data=f"{data_name}:{asset['version']}", overrides={"seed": str(seed)}
            )
            st.detail = run["run_id"]
        with stages.stage("gate") as st:
            decision = gate(backend, settings, run_id=run["run_id"], model_name=model_name)
            st.detail = "passed" if decision["passed"] else "rejected"
            st.outcome = "ok" if decision["passed"] else "rejected"
        summary.update(
            run_id=run["run_id"],
            gate_passed=decision["passed"],
            gate_summary=decision["summary"],
            candidate_metrics=decision["candidate"]["metrics"],
            champion_metrics=(decision["champion"] or {}).get("metrics"),
            previous_champion=(decision["champion"] or {}).get("version"),
        )
        registered = None
        with stages.stage("register-model") as st:
            if decision["passed"]:
                registered = register_model(backend, run_id=run["run_id"], model_name=model_name)
                st.detail = f"version {registered['version']}"
            else:
                st.outcome, st.detail = "skipped", "gate rejected the candidate: nothing registered"
                say(f"[yellow]candidate rejected:[/] {decision['summary'].removeprefix('rejected: ')}")
        with stages.stage("deploy-online") as st:
            if registered is not None:
                target = registered["version"]
            else:
                target = _champion(backend, model_name)
                if target is None:
                    raise FailedError("the candidate was rejected and there is no champion to serve")
                say(f"keeping champion {model_name}:{target} in service")
            deployed = deploy_online(
                backend, settings, endpoint=endpoint, model_name=model_name, version=target
            )
            st.detail = f"{deployed['deployment']} -> {model_name}:{target}"
        with stages.stage("invoke (smoke)") as st:
            response = invoke(backend, endpoint=endpoint)  # the model's own smoke request
            st.detail = f"HTTP {response['status_code']} from {response['deployment']}"
    except AmlopsError:
        show(stages.table())
        raise
    served = _champion(backend, model_name)
    predictions = (
        (response["response"] or {}).get("predictions") if isinstance(response["response"], dict) else None
    )
    summary.update(
        served_version=served,
        registered_version=registered["version"] if registered else None,
        scoring_uri=deployed["scoring_uri"],
        sample_prediction=predictions[0] if predictions else response["response"],
        stage_seconds=stages.timings(),
        stop_command=f"amlops delete-endpoint --endpoint {endpoint}",
    )
    _show_summary(summary, stages)
    return summary


def _show_summary(summary: dict[str, Any], stages: Stages) -> None:
    show(stages.table())
    champion = summary.get("champion_metrics") or {}
    names = sorted(set(summary.get("candidate_metrics") or {}) | set(champion))
    show(
        table(
            "Metrics: candidate vs champion",
            [
                "metric",
                "candidate",
                f"champion (v{summary['previous_champion']})"
                if summary.get("previous_champion")
                else "champion (none)",
            ],
            [
                (
                    n,
                    f"{summary['candidate_metrics'].get(n, float('nan')):.4f}",
                    f"{champion[n]:.4f}" if n in champion else "-",
                )
                for n in names
            ],
        )
    )
    show(
        table(
            "Served",
            ["", ""],
            [
                ("model", f"{summary['model']} version {summary['served_version']} (alias {CHAMPION})"),
                ("gate", ("passed: " if summary["gate_passed"] else "rejected: ") + summary["gate_summary"]),
                ("endpoint URL", summary["scoring_uri"]),
                ("sample prediction", summary["sample_prediction"]),
                ("stop it with", summary["stop_command"]),
            ],
        )
    )


def execute(args: argparse.Namespace) -> int:
    if not args.quick:
        from amlops.demo_project import run_project_demo
        from amlops.render.command import parse_pairs

        try:
            answers = parse_pairs(args.answer)
        except ValueError as exc:
            raise UsageError(f"--answer {exc}") from None
        emit_result(run_project_demo(args.settings, answers))
        return 0
    emit_result(
        run_demo(
            backend_for(args),
            args.settings,
            rows=args.rows,
            seed=args.seed,
            data=args.data,
            data_name=args.data_name,
            model_name=args.model_name,
            endpoint=args.endpoint,
        )
    )
    return 0
