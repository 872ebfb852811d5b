"""The figures a network is judged by, named for what they measure and the same whatever
loss trained it, so that any two runs compare like with like."""

import numpy as np

import mlp


def scores(logits: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Accuracy, mean absolute error and cross-entropy of `logits` against `labels`, rounded
    to 6 decimals. metrics/validation.json and metrics/test.json use the same names, so
    that `dvc metrics show` lines them up in the same columns."""
    mae, _ = mlp.make_loss("mae")(logits, labels)
    cross_entropy, _ = mlp.make_loss("cross_entropy")(logits, labels)
    return {
        "accuracy": round(float((logits.argmax(axis=1) == labels).mean()), 6),
        "mae": round(float(mae), 6),
        "cross_entropy": round(float(cross_entropy), 6),
    }
