"""The figures a network is judged by, named for what they measure and the same whatever
loss trained it, so that any two runs compare like with like."""

import numpy as np

import mlp


def scores(logits: np.ndarray, labels: np.ndarray, prefix: str) -> dict[str, float]:
    """Accuracy, mean absolute error and cross-entropy of `logits` against `labels`, each
    key starting with `prefix` ("val" or "test"), rounded to 6 decimals."""
    mae, _ = mlp.make_loss("mae")(logits, labels)
    cross_entropy, _ = mlp.make_loss("cross_entropy")(logits, labels)
    return {
        f"{prefix}_accuracy": round(float((logits.argmax(axis=1) == labels).mean()), 6),
        f"{prefix}_mae": round(float(mae), 6),
        f"{prefix}_cross_entropy": round(float(cross_entropy), 6),
    }
