"""The networks the speed benchmark races, each trained through its own library's call.

Each has one shape: built with (hidden, seed), then `fit(X, y, X_val, y_val, epochs)`
trains it from scratch as its user would, and `accuracy(X, y)` scores it. All but
`Shipped` share one setting: ReLU, cross-entropy, Adam at lr 1e-3, batch 128, no
weight decay, no augmentation, a constant rate. `Shipped` is the pipeline as
params.yaml has it, the epoch a user of `dvc repro` waits for.
"""

import dataclasses
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

import mlp
from stages.datasets import N_CLASSES, PIXELS
from stages.params import load_params
from stages.train import fit

try:
    import torch
except ImportError:  # an optional extra: pip install -c constraints.txt -e ".[bench]"
    torch = None

BATCH = 128
LEARNING_RATE = 1e-3


class Ours:
    """This project's engine in the common setting."""

    def __init__(self, hidden: int, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.model = mlp.MLP.initialise(PIXELS, hidden, N_CLASSES, mlp.make_activation("relu"), self.rng)

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, epochs: int) -> None:
        mlp.train(
            self.model, X, y, X_val, y_val, loss=mlp.make_loss("cross_entropy"),
            optimizer=mlp.make_optimizer("adam"), epochs=epochs, batch_size=BATCH,
            learning_rate=LEARNING_RATE, schedule="constant", weight_decay=0.0, rng=self.rng,
        )  # fmt: skip

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float((self.model.predict(X) == y).mean())


class Shipped:
    """The train stage's own training, with params.yaml's loss, augmentation, decay and schedule."""

    def __init__(self, hidden: int, seed: int) -> None:
        self.params = dataclasses.replace(load_params(), hidden=hidden, seed=seed)

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, epochs: int) -> None:
        params = dataclasses.replace(self.params, epochs=epochs)
        self.model, _ = fit(params, X, y, X_val, y_val, on_epoch=lambda record: None)

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float((self.model.predict(X) == y).mean())


class Sklearn:
    """scikit-learn's MLPClassifier."""

    def __init__(self, hidden: int, seed: int) -> None:
        self.hidden, self.seed = hidden, seed

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, epochs: int) -> None:
        # n_iter_no_change above max_iter: exactly `epochs` epochs, never an early stop.
        self.model = MLPClassifier(
            hidden_layer_sizes=(self.hidden,), activation="relu", solver="adam", batch_size=BATCH,
            learning_rate_init=LEARNING_RATE, max_iter=epochs, n_iter_no_change=epochs + 1,
            random_state=self.seed,
        )  # fmt: skip
        with warnings.catch_warnings():
            # Reaching max_iter is the point here, not a sign of trouble.
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model.fit(X, y)
        assert self.model.n_iter_ == epochs

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(self.model.score(X, y))


class Torch:
    """The same network in PyTorch on the CPU, one thread, trained by the usual loop:
    a fresh shuffle each epoch, zero_grad, backward, step, and a validation pass."""

    def __init__(self, hidden: int, seed: int) -> None:
        torch.manual_seed(seed)
        self.generator = torch.Generator().manual_seed(seed)
        self.model = torch.nn.Sequential(
            torch.nn.Linear(PIXELS, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, N_CLASSES)
        )

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, epochs: int) -> None:
        torch.set_num_threads(1)
        images, labels = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
        val_images, val_labels = torch.from_numpy(X_val), torch.from_numpy(y_val.astype(np.int64))
        optimizer = torch.optim.Adam(self.model.parameters(), lr=LEARNING_RATE)
        for _ in range(epochs):
            order = torch.randperm(len(images), generator=self.generator)
            for start in range(0, len(images), BATCH):
                rows = order[start : start + BATCH]
                optimizer.zero_grad(set_to_none=True)
                torch.nn.functional.cross_entropy(self.model(images[rows]), labels[rows]).backward()
                optimizer.step()
            with torch.no_grad():
                logits = self.model(val_images)
                self.val_loss = float(torch.nn.functional.cross_entropy(logits, val_labels))
                self.val_accuracy = float((logits.argmax(1) == val_labels).float().mean())

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        with torch.no_grad():
            return float((self.model(torch.from_numpy(X)).argmax(1).numpy() == y).mean())
