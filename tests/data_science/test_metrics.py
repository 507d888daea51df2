import numpy as np
import pytest
from datascience.metrics import classification_metrics


def test_log_loss_reads_the_probabilities_in_the_given_class_order():
    """Classes listed out of alphabetical order (the contract's order) give the same metrics as sorted ones;
    sklearn's log_loss alone would read the columns as sorted (validation log_loss 2.85 instead of 0.27)."""
    y_true = np.array(["repaid", "defaulted", "repaid", "repaid"], dtype=object)
    y_pred = np.array(["repaid", "defaulted", "defaulted", "repaid"], dtype=object)
    p_repaid = np.array([0.9, 0.2, 0.4, 0.8])
    contract_order = np.column_stack([p_repaid, 1 - p_repaid])  # [repaid, defaulted]
    sorted_order = contract_order[:, ::-1]  # [defaulted, repaid]
    a = classification_metrics(y_true, y_pred, contract_order, ["repaid", "defaulted"])
    b = classification_metrics(y_true, y_pred, sorted_order, ["defaulted", "repaid"])
    assert a == pytest.approx(b)
    expected = -np.mean(np.log([0.9, 0.8, 0.4, 0.8]))
    assert a["log_loss"] == pytest.approx(expected)
    assert a["accuracy"] == 0.75
