"""Stage 3, train: the 784-hidden-10 network on data/prepared, saved to models/model.npz.

Prints one line per epoch and writes the per-epoch history as CSV for `dvc plots` (its
losses are params.yaml's loss, which its `loss` column names; its `kept` column marks
the epoch whose weights were saved), and the saved network's validation figures, the
same whatever the loss, with that epoch, to metrics/validation.json: what experiments
and searches choose by, leaving the test set to judge the one chosen.
"""

import csv
import io
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

import mlp
from numpy_mlp_mnist import layout
from numpy_mlp_mnist.datasets import read_split
from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.files import replaced_on_success, write_json
from numpy_mlp_mnist.fit import fit
from numpy_mlp_mnist.model_file import save_model
from numpy_mlp_mnist.params import Params, load_params
from numpy_mlp_mnist.programs import report_kernels, run_stage
from numpy_mlp_mnist.scores import scores


def history_csv(history: list[mlp.EpochRecord], loss: str, kept: int) -> str:
    """One row per epoch; `loss` names the loss that train_loss and val_loss measure, and
    `kept` is 1 in the row of the epoch whose weights were saved."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*asdict(history[0]), "loss", "kept"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(asdict(record) | {"loss": loss, "kept": int(record.epoch == kept)} for record in history)
    return buffer.getvalue()


def epoch_line(epochs: int, record: mlp.EpochRecord) -> str:
    return (
        f"epoch {record.epoch:>{len(str(epochs))}}/{epochs}  lr {record.learning_rate:.2e}  "
        f"train_loss {record.train_loss:.5f}  val_loss {record.val_loss:.5f}  "
        f"val_acc {record.val_accuracy:.4f}"
    )


@dataclass(frozen=True)
class Outputs:
    model: Path = layout.MODEL_PATH
    history: Path = layout.HISTORY_PATH
    validation: Path = layout.VALIDATION_PATH


def train(params: Params, data_dir: Path, outputs: Outputs) -> mlp.MLP:
    X, labels = read_split(data_dir, "train", np.float32)
    X_val, labels_val = read_split(data_dir, "val", np.float32)
    if params.batch_size > len(labels):
        raise UserError(
            f"params.yaml: batch_size: {params.batch_size} is larger than the {len(labels)} "
            f"training images; expected a whole number from 1 to {len(labels)}"
        )
    # A progress bar on a terminal only (disable=None); in logs, just the epoch lines.
    progress = tqdm(total=params.epochs, unit="epoch", disable=None, leave=False)

    def on_epoch(record: mlp.EpochRecord) -> None:
        progress.update()
        tqdm.write(epoch_line(params.epochs, record))
        sys.stdout.flush()

    with progress:
        model, history = fit(params, X, labels, X_val, labels_val, on_epoch)
    kept = mlp.kept_epoch(history, params.patience)
    if len(history) < params.epochs:
        print(
            f"stopped early: no better val_acc for {params.patience} epochs; keeping epoch {kept}'s weights"
        )
    with threadpool_limits(limits=params.threads, user_api="blas"):
        validation = scores(model.logits(X_val), labels_val) | {"epoch": kept}
    with replaced_on_success(outputs.model, outputs.history, outputs.validation) as (
        model_tmp,
        history_tmp,
        val_tmp,
    ):
        save_model(model_tmp, model)
        history_tmp.write_text(history_csv(history, params.loss, kept))
        write_json(val_tmp, validation)
    return model


def main() -> None:
    report_kernels()
    run_stage(lambda: train(load_params(), layout.PREPARED_DIR, Outputs()))


if __name__ == "__main__":
    main()
