"""Train the model the contract describes: `python -m datascience.train`.

The model is an sklearn Pipeline: ColumnTransformer (numeric and derived date-time features: median
imputation, plus StandardScaler with `--scale-numeric`; categoricals: OneHotEncoder(handle_unknown=
"ignore")) followed by a
GradientBoostingRegressor or GradientBoostingClassifier (chosen by the contract's task; it converts to
ONNX quickly and exactly enough, see docs). Its input is `features.model_frame`, i.e. the date-time
features are derived before the model. Params and validation metrics go to the active MLflow run (one
is started when none is active); the model is saved as an MLflow sklearn model in `--output`.

Scaling is off by default: trees do not need it, and in the ONNX graph it runs in float32, which moves
values lying exactly on a split threshold (common with data rounded to 2 decimals: a threshold is the
midpoint of two neighbouring values) to the other branch. Measured on the 20k-row sample: max |sklearn -
onnxruntime| 0.57 with the scaler (8 of 3000 test rows off), 2.6e-5 without.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from datascience.contract import Contract, ContractError, load_contract
from datascience.features import model_frame, target_values
from datascience.metrics import classification_metrics, regression_metrics


@dataclass(frozen=True)
class HyperParameters:
    n_estimators: int = 200
    max_depth: int = 3
    learning_rate: float = 0.1
    subsample: float = 1.0


def build_pipeline(
    contract: Contract, params: HyperParameters, *, seed: int, scale_numeric: bool = False
) -> Pipeline:
    inputs = contract.model_inputs
    numeric = [m.name for m in inputs if m.kind == "numeric"]
    categorical = [m.name for m in inputs if m.kind == "categorical"]
    transformers = []
    if numeric:
        steps = [("impute", SimpleImputer(strategy="median"))]
        if scale_numeric:
            steps.append(("scale", StandardScaler()))
        numeric_steps = Pipeline(steps)
        transformers.append(("numeric", numeric_steps, numeric))
    if categorical:
        encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        transformers.append(("categorical", encoder, categorical))
    estimator_type = (
        GradientBoostingClassifier if contract.task == "classification" else GradientBoostingRegressor
    )
    estimator = estimator_type(random_state=seed, **asdict(params))
    return Pipeline([("columns", ColumnTransformer(transformers)), ("model", estimator)])


def fit(
    contract: Contract,
    train: pd.DataFrame,
    params: HyperParameters,
    *,
    seed: int,
    scale_numeric: bool = False,
) -> Pipeline:
    pipeline = build_pipeline(contract, params, seed=seed, scale_numeric=scale_numeric)
    pipeline.fit(model_frame(train, contract), target_values(train, contract))
    return pipeline


def score(contract: Contract, pipeline: Pipeline, frame: pd.DataFrame) -> dict[str, float]:
    """Task metrics of a fitted pipeline on a prepared frame."""
    x, y = model_frame(frame, contract), target_values(frame, contract)
    if contract.task == "classification":
        probabilities = pipeline.predict_proba(x)
        order = [list(pipeline.classes_).index(c) for c in contract.classes if c in pipeline.classes_]
        classes = [pipeline.classes_[i] for i in order]
        return classification_metrics(y, pipeline.predict(x), probabilities[:, order], classes)
    return regression_metrics(y, pipeline.predict(x))


def pip_requirements() -> list[str]:
    """What the saved MLflow model needs, pinned to the versions that trained it."""
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in ("mlflow", "scikit-learn", "pandas", "numpy", "scipy")]


def save_model(
    pipeline: Pipeline, contract: Contract, sample: pd.DataFrame, output: Path, *, log: bool
) -> None:
    import mlflow
    import skops.io
    from mlflow.models import infer_signature

    x = model_frame(sample, contract)
    signature = infer_signature(x, pipeline.predict(x))
    # The types of the pipeline built just above (GradientBoosting trees, encoders): trusted by construction.
    trusted = skops.io.get_untrusted_types(data=skops.io.dumps(pipeline))
    output.mkdir(parents=True, exist_ok=True)
    if any(output.iterdir()):
        raise ValueError(f"{output}: the model output folder must be empty")
    output.rmdir()  # MLflow creates the folder itself
    options = {"signature": signature, "pip_requirements": pip_requirements(), "skops_trusted_types": trusted}
    if not log:
        mlflow.sklearn.save_model(pipeline, str(output), **options)
        return
    # Serialised once (MLflow dumps and reloads the pipeline on each save): logged with the run, then the
    # logged files are the output folder (a copy from the run's artifact store).
    logged = mlflow.sklearn.log_model(pipeline, name="model", **options)
    output.mkdir()
    mlflow.artifacts.download_artifacts(artifact_uri=logged.model_uri, dst_path=str(output))


def run(
    contract_path: Path,
    prepared: Path,
    output: Path,
    *,
    seed: int,
    params: HyperParameters,
    log_model: bool = True,
    scale_numeric: bool = False,
) -> dict[str, float]:
    import mlflow

    contract = load_contract(contract_path)
    train = pd.read_parquet(prepared / "train.parquet")
    validation = pd.read_parquet(prepared / "validation.parquet")
    np.random.seed(seed)  # nothing should draw from the global stream, but pin it anyway
    active = mlflow.active_run()
    run_context = mlflow.start_run() if active is None else _nullcontext()
    with run_context:
        mlflow.log_params({**asdict(params), "seed": seed, "contract": contract.name, "task": contract.task})
        mlflow.log_param("scale_numeric", scale_numeric)
        mlflow.log_params({"train_rows": len(train), "validation_rows": len(validation)})
        pipeline = fit(contract, train, params, seed=seed, scale_numeric=scale_numeric)
        metrics = {f"validation_{k}": v for k, v in score(contract, pipeline, validation).items()}
        mlflow.log_metrics(metrics)
        save_model(pipeline, contract, train.head(5), output, log=log_model)
    return metrics


class _nullcontext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def build_parser() -> argparse.ArgumentParser:
    defaults = HyperParameters()
    parser = argparse.ArgumentParser(prog="python -m datascience.train", description=__doc__.splitlines()[0])
    parser.add_argument("--contract", type=Path, required=True, help="Dataset contract (contract.yml).")
    parser.add_argument("--prepared", type=Path, required=True, help="Folder with train/validation.parquet.")
    parser.add_argument("--output", type=Path, required=True, help="Empty folder for the MLflow model.")
    parser.add_argument("--seed", type=int, default=42, help="Seed of the estimator.")
    parser.add_argument("--n-estimators", type=int, default=defaults.n_estimators, help="Boosting stages.")
    parser.add_argument("--max-depth", type=int, default=defaults.max_depth, help="Depth of each tree.")
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate, help="Shrinkage.")
    parser.add_argument("--subsample", type=float, default=defaults.subsample, help="Row fraction per stage.")
    parser.add_argument(
        "--scale-numeric",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="Standardise numeric features (off by default: trees do not need it; see the module docstring).",
    )
    parser.add_argument(
        "--log-model",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Also log the model to the MLflow run (the saved copy in --output is always written).",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    params = HyperParameters(args.n_estimators, args.max_depth, args.learning_rate, args.subsample)
    try:
        metrics = run(
            args.contract,
            args.prepared,
            args.output,
            seed=args.seed,
            params=params,
            log_model=args.log_model,
            scale_numeric=args.scale_numeric,
        )
    except ContractError as error:
        print(f"train: {error}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError, KeyError) as error:
        print(f"train: {error}", file=sys.stderr)
        return 1
    print("train: " + ", ".join(f"{k}={v:.4g}" for k, v in metrics.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
