"""The network in PyTorch, as the speed benchmark races it (see benchmarks.networks).
PyTorch is the optional `bench` extra: pip install -c constraints.txt -e ".[bench]"."""

import numpy as np
import torch

from benchmarks.networks import BATCH, LEARNING_RATE, Network
from numpy_mlp_mnist.datasets import N_CLASSES, PIXELS


class Torch(Network):
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
