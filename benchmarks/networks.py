"""The networks the speed benchmark races, each trained through its own library's call:
this project's here, the others' each in a module of its own (network_sklearn,
network_torch, network_jax), so that a run of one imports no other library.

Each has one shape: built with (hidden, seed), then `fit(X, y, X_val, y_val, epochs)`
trains it from scratch as its user would, and `accuracy(X, y)` scores it; `compile_s`
is the part of the last `fit` spent compiling (JAX's only; 0 for the others). All but
`Shipped` share one setting: ReLU, cross-entropy, Adam at lr 1e-3, batch 128, no
weight decay, no augmentation, a constant rate. `Shipped` is the pipeline as
params.yaml has it, the epoch a user of `dvc repro` waits for.
"""

import dataclasses
import importlib

import numpy as np

import mlp
from numpy_mlp_mnist.datasets import N_CLASSES, PIXELS
from numpy_mlp_mnist.fit import fit
from numpy_mlp_mnist.params import load_params

BATCH = 128
LEARNING_RATE = 1e-3


class Network:
    """What every contender has besides fit and accuracy."""

    compile_s = 0.0


class Ours(Network):
    """This project's engine in the common setting."""

    def __init__(self, hidden: int, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.model = mlp.MLP.initialise(PIXELS, hidden, N_CLASSES, mlp.make_activation("relu"), self.rng)

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, epochs: int) -> None:
        mlp.train(
            self.model, X, y, X_val, y_val, loss=mlp.make_loss("cross_entropy"),
            optimizer=mlp.make_optimizer("adam"), epochs=epochs, batch_size=BATCH,
            learning_rate=LEARNING_RATE, schedule=mlp.make_schedule("constant"), weight_decay=0.0,
            rng=self.rng,
        )  # fmt: skip

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float((self.model.predict(X) == y).mean())


class Shipped(Network):
    """The train stage's own training, with params.yaml's loss, augmentation, decay and schedule."""

    def __init__(self, hidden: int, seed: int) -> None:
        self.params = dataclasses.replace(load_params(), hidden=hidden, seed=seed)

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, epochs: int) -> None:
        params = dataclasses.replace(self.params, epochs=epochs)
        self.model, _ = fit(params, X, y, X_val, y_val, on_epoch=lambda record: None)

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float((self.model.predict(X) == y).mean())


# name: (module, class); PyTorch and JAX are the optional `bench` extra.
CONTENDERS = {
    "ours": ("benchmarks.networks", "Ours"),
    "shipped": ("benchmarks.networks", "Shipped"),
    "sklearn": ("benchmarks.network_sklearn", "Sklearn"),
    "torch": ("benchmarks.network_torch", "Torch"),
    "jax_step": ("benchmarks.network_jax", "JaxStep"),
    "jax_epoch": ("benchmarks.network_jax", "JaxEpoch"),
}


def contender(name: str) -> type[Network]:
    """The network class raced as `name`; ImportError where its library is not installed."""
    module, cls = CONTENDERS[name]
    return getattr(importlib.import_module(module), cls)
