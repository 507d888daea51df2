"""Task metrics by name. Regression: rmse, mae, r2. Classification: accuracy, f1_macro, log_loss."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn import metrics as skm

# Direction of each metric, for anyone comparing models (the gate keeps its own config).
HIGHER_IS_BETTER = {
    "rmse": False,
    "mae": False,
    "r2": True,
    "accuracy": True,
    "f1_macro": True,
    "log_loss": False,
}


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    return {
        "rmse": float(np.sqrt(skm.mean_squared_error(y_true, y_pred))),
        "mae": float(skm.mean_absolute_error(y_true, y_pred)),
        "r2": float(skm.r2_score(y_true, y_pred)),
    }


def classification_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, probabilities: np.ndarray, classes: Sequence[str]
) -> dict[str, float]:
    """`probabilities` has one column per entry of `classes`, in that order (any order: sklearn's log_loss
    reads the columns in sorted label order, so they are put in that order here)."""
    labels = [str(c) for c in classes]
    order = sorted(range(len(labels)), key=labels.__getitem__)
    return {
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "f1_macro": float(
            skm.f1_score(y_true, y_pred, average="macro", labels=list(classes), zero_division=0)
        ),
        "log_loss": float(skm.log_loss(y_true, probabilities[:, order], labels=[labels[i] for i in order])),
    }
