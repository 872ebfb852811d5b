"""Stage 4, evaluate: the trained network scored on the official test set.

Writes metrics/test.json (accuracy, loss, accuracy per digit), metrics/confusion.csv
(true and predicted digit of every test image, for `dvc plots`), and two pictures:
the test digits it got wrong, and the learned first-layer filters.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import mlp
from stages import layout
from stages.cli import report_kernels, run_stage
from stages.datasets import N_CLASSES, read_split
from stages.files import replaced_on_success, write_json
from stages.model_file import load_model
from stages.params import load_params
from stages.pictures import misclassified_image, weights_image


@dataclass(frozen=True)
class Outputs:
    metrics: Path = layout.METRICS_PATH
    confusion: Path = layout.CONFUSION_PATH
    misclassified: Path = layout.MISCLASSIFIED_PATH
    weights: Path = layout.WEIGHTS_PICTURE_PATH


def test_metrics(labels: np.ndarray, predicted: np.ndarray, loss: float) -> dict:
    per_digit = {
        str(digit): round(float((predicted[labels == digit] == digit).mean()), 6)
        for digit in range(N_CLASSES)
    }
    return {
        "test_accuracy": round(float((predicted == labels).mean()), 6),
        "test_loss": round(loss, 6),
        "per_digit_accuracy": per_digit,
    }


def confusion_csv(labels: np.ndarray, predicted: np.ndarray) -> str:
    rows = (f"{actual},{guess}" for actual, guess in zip(labels.tolist(), predicted.tolist(), strict=True))
    return "actual,predicted\n" + "\n".join(rows) + "\n"


def evaluate(model_path: Path, data_dir: Path, outputs: Outputs, loss_name: str, threads: int) -> dict:
    model = load_model(model_path)
    images, labels = read_split(data_dir, "test", np.float32)
    with threadpool_limits(limits=threads, user_api="blas"):
        logits = model.logits(images)
    loss, _ = mlp.make_loss(loss_name)(logits, labels)
    predicted = logits.argmax(axis=1)
    metrics = test_metrics(labels, predicted, loss)
    with replaced_on_success(outputs.metrics, outputs.confusion, outputs.misclassified, outputs.weights) as (
        metrics_tmp,
        confusion_tmp,
        misclassified_tmp,
        weights_tmp,
    ):
        write_json(metrics_tmp, metrics)
        confusion_tmp.write_text(confusion_csv(labels, predicted))
        misclassified_image(images, labels, predicted).save(misclassified_tmp, format="PNG")
        weights_image(model.W1).save(weights_tmp, format="PNG")
    print(
        f"evaluate: test accuracy {metrics['test_accuracy']:.4f}, test {loss_name} {metrics['test_loss']:.5f}"
    )
    return metrics


def main() -> None:
    report_kernels()

    def work() -> None:
        params = load_params()
        evaluate(layout.MODEL_PATH, layout.PREPARED_DIR, Outputs(), params.loss, params.threads)

    run_stage(work)


if __name__ == "__main__":
    main()
