"""The speed benchmark runs end to end (on a small synthetic set; its timings are for the README)."""

import numpy as np
from conftest import synthetic_mnist

from benchmarks.versus_sklearn import contiguous_batches, race


def test_the_race_trains_both_networks_and_scores_them_on_the_test_set() -> None:
    arrays = synthetic_mnist(n_train=2100, n_test=200)
    images = {split: arrays[f"{split}_images"].astype(np.float32) / 255 for split in ("train", "test")}
    labels = {split: arrays[f"{split}_labels"].astype(np.int64) for split in ("train", "test")}
    data = {
        "train": (images["train"][:2000], labels["train"][:2000]),
        "val": (images["train"][2000:], labels["train"][2000:]),
        "test": (images["test"], labels["test"]),
    }
    result = race(16, epochs=3, runs=2, data=data, batches=contiguous_batches(data["train"][0]))

    assert result["n"] == 2000
    assert min(result["ours_s"], result["sklearn_s"], result["products_s"]) > 0
    # The digits' classes are written in bright blocks: both networks must have learnt them.
    assert result["ours_test"] > 0.9
    assert result["sklearn_test"] > 0.9
