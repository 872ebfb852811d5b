"""Stage 4, evaluate: the trained network scored on the official test set.

Writes metrics/test.json (the headline figures runs are compared by: accuracy, mean
absolute error and cross-entropy whatever loss trained the network, and the accuracy of
the worst-recognised digit), metrics/per_digit_accuracy.csv and
metrics/confusion.csv (for `dvc plots`), and two pictures: the test digits it got
wrong, and the learned first-layer filters.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from numpy_mlp_mnist import layout
from numpy_mlp_mnist.datasets import N_CLASSES, read_split
from numpy_mlp_mnist.files import replaced_on_success, write_json
from numpy_mlp_mnist.model_file import load_model
from numpy_mlp_mnist.params import load_params
from numpy_mlp_mnist.pictures import misclassified_image, weights_image
from numpy_mlp_mnist.programs import report_kernels, run_stage
from numpy_mlp_mnist.scores import scores


@dataclass(frozen=True)
class Outputs:
    metrics: Path = layout.METRICS_PATH
    per_digit: Path = layout.PER_DIGIT_PATH
    confusion: Path = layout.CONFUSION_PATH
    misclassified: Path = layout.MISCLASSIFIED_PATH
    weights: Path = layout.WEIGHTS_PICTURE_PATH


def per_digit_accuracy(labels: np.ndarray, predicted: np.ndarray) -> list[float]:
    """The share of each digit's test images recognised as that digit, digits 0 to 9."""
    return [round(float((predicted[labels == digit] == digit).mean()), 6) for digit in range(N_CLASSES)]


def per_digit_csv(per_digit: list[float]) -> str:
    rows = (f"{digit},{accuracy}" for digit, accuracy in enumerate(per_digit))
    return "digit,accuracy\n" + "\n".join(rows) + "\n"


def confusion_csv(labels: np.ndarray, predicted: np.ndarray) -> str:
    rows = (f"{actual},{guess}" for actual, guess in zip(labels.tolist(), predicted.tolist(), strict=True))
    return "actual,predicted\n" + "\n".join(rows) + "\n"


def evaluate(model_path: Path, data_dir: Path, outputs: Outputs, threads: int) -> dict:
    model = load_model(model_path)
    images, labels = read_split(data_dir, "test", np.float32)
    with threadpool_limits(limits=threads, user_api="blas"):
        logits = model.logits(images)
    predicted = logits.argmax(axis=1)
    per_digit = per_digit_accuracy(labels, predicted)
    metrics = scores(logits, labels) | {"lowest_digit_accuracy": min(per_digit)}
    with replaced_on_success(
        outputs.metrics, outputs.per_digit, outputs.confusion, outputs.misclassified, outputs.weights
    ) as (
        metrics_tmp,
        per_digit_tmp,
        confusion_tmp,
        misclassified_tmp,
        weights_tmp,
    ):
        write_json(metrics_tmp, metrics)
        per_digit_tmp.write_text(per_digit_csv(per_digit))
        confusion_tmp.write_text(confusion_csv(labels, predicted))
        misclassified_image(images, labels, predicted).save(misclassified_tmp, format="PNG")
        weights_image(model.weights[0]).save(weights_tmp, format="PNG")
    print(
        f"evaluate: test accuracy {metrics['accuracy']:.4f}, mae {metrics['mae']:.5f}, "
        f"cross-entropy {metrics['cross_entropy']:.5f}, "
        f"lowest digit accuracy {metrics['lowest_digit_accuracy']:.4f}"
    )
    return metrics


def main() -> None:
    report_kernels()

    def work() -> None:
        params = load_params()
        evaluate(layout.MODEL_PATH, layout.PREPARED_DIR, Outputs(), params.threads)

    run_stage(work)


if __name__ == "__main__":
    main()
