"""Stage 4, evaluate: the trained network scored on the official test set, into metrics/test.json."""

from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import mlp
from stages import layout
from stages.cli import run_stage
from stages.datasets import N_CLASSES, read_split
from stages.files import replaced_on_success, write_json
from stages.model_file import load_model
from stages.params import load_params


def test_metrics(model: mlp.MLP, images: np.ndarray, labels: np.ndarray, loss_name: str) -> dict:
    loss, accuracy = mlp.evaluate(model, images, labels, mlp.make_loss(loss_name))
    predicted = model.predict(images)
    per_digit = {
        str(digit): round(float((predicted[labels == digit] == digit).mean()), 6)
        for digit in range(N_CLASSES)
    }
    return {
        "test_accuracy": round(accuracy, 6),
        "test_loss": round(loss, 6),
        "per_digit_accuracy": per_digit,
    }


def evaluate(model_path: Path, data_dir: Path, metrics_path: Path, loss_name: str, threads: int) -> dict:
    model = load_model(model_path)
    images, labels = read_split(data_dir, "test", np.float32)
    with threadpool_limits(limits=threads, user_api="blas"):
        metrics = test_metrics(model, images, labels, loss_name)
    with replaced_on_success(metrics_path) as (temporary,):
        write_json(temporary, metrics)
    print(
        f"evaluate: test accuracy {metrics['test_accuracy']:.4f}, test {loss_name} {metrics['test_loss']:.5f}"
    )
    return metrics


def main() -> None:
    def work() -> None:
        params = load_params()
        evaluate(layout.MODEL_PATH, layout.PREPARED_DIR, layout.METRICS_PATH, params.loss, params.threads)

    run_stage(work)


if __name__ == "__main__":
    main()
