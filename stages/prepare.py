"""Stage 2, prepare: float32 pixels in [0, 1] and a seeded train/validation split.

The official 10,000 test images stay the test set; `val_size` of the 60,000 training
images, drawn with `seed`, become the validation set.
"""

from pathlib import Path

import numpy as np

from numpy_mlp_mnist import layout
from numpy_mlp_mnist.data_params import load_data_params
from numpy_mlp_mnist.datasets import read_split
from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.files import replaced_on_success, write_npy
from numpy_mlp_mnist.programs import run_stage


def prepare(raw_dir: Path, out_dir: Path, val_size: int, seed: int) -> None:
    train_images, train_labels = read_split(raw_dir, "train", np.uint8)
    test_images, test_labels = read_split(raw_dir, "test", np.uint8)
    if not 0 < val_size < len(train_labels):
        raise UserError(
            f"params.yaml: val_size: {val_size} leaves no training images; "
            f"expected a whole number from 1 to {len(train_labels) - 1}"
        )
    order = np.random.default_rng(seed).permutation(len(train_labels))
    val_rows, train_rows = order[:val_size], order[val_size:]
    splits = {
        "train": (train_images[train_rows], train_labels[train_rows]),
        "val": (train_images[val_rows], train_labels[val_rows]),
        "test": (test_images, test_labels),
    }
    arrays = {}
    for split, (images, labels) in splits.items():
        arrays[f"{split}_images"] = images.astype(np.float32) / np.float32(255)
        arrays[f"{split}_labels"] = labels
    with replaced_on_success(*(layout.array_path(out_dir, name) for name in arrays)) as temporaries:
        for array, temporary in zip(arrays.values(), temporaries, strict=True):
            write_npy(temporary, array)
    print(f"prepare: {len(train_rows)} train, {val_size} validation, {len(test_labels)} test images")


def main() -> None:
    def work() -> None:
        params = load_data_params()
        prepare(layout.RAW_DIR, layout.PREPARED_DIR, params.val_size, params.seed)

    run_stage(work)


if __name__ == "__main__":
    main()
