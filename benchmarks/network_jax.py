"""The network in JAX, compiled, as the speed benchmark races it (see benchmarks.networks).
JAX and optax are the optional `bench` extra: pip install -c constraints.txt -e ".[bench]".

JAX runs its compiled code on a pool of threads as wide as the CPUs the process may use;
no XLA flag narrows it in this release (`--xla_cpu_multi_thread_eigen=false` did not), so
the benchmark makes it one thread the way the operating system does: it pins its process
to one CPU before JAX starts (benchmarks.speed.one_thread).
"""

import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from benchmarks.networks import BATCH, LEARNING_RATE, Network
from numpy_mlp_mnist.datasets import N_CLASSES, PIXELS


class JaxNetwork(Network):
    """The same network in JAX on the CPU, as its users write it for speed: the forward
    pass and loss as plain functions, `jax.grad` for the gradient, optax's Adam, each
    compiled by XLA ahead of the loop (`jit(...).lower(...).compile()`, timed apart as
    `compile_s`). Flax's default initialisation: LeCun-normal weights, zero biases.
    The two subclasses differ in how much one compiled call does."""

    def __init__(self, hidden: int, seed: int) -> None:
        self.key, key1, key2 = jax.random.split(jax.random.key(seed), 3)
        init = jax.nn.initializers.lecun_normal()
        self.params = {
            "W1": init(key1, (PIXELS, hidden)), "b1": jnp.zeros(hidden),
            "W2": init(key2, (hidden, N_CLASSES)), "b2": jnp.zeros(N_CLASSES),
        }  # fmt: skip
        self.optimizer = optax.adam(LEARNING_RATE)

    @staticmethod
    def logits(params: dict, X: jax.Array) -> jax.Array:
        hidden = jax.nn.relu(X @ params["W1"] + params["b1"])
        return hidden @ params["W2"] + params["b2"]

    def loss(self, params: dict, X: jax.Array, y: jax.Array) -> jax.Array:
        return optax.softmax_cross_entropy_with_integer_labels(self.logits(params, X), y).mean()

    def step(self, params: dict, state: optax.OptState, X: jax.Array, y: jax.Array) -> tuple:
        updates, state = self.optimizer.update(jax.grad(self.loss)(params, X, y), state)
        return optax.apply_updates(params, updates), state

    def validate(self, params: dict, X_val: jax.Array, y_val: jax.Array) -> tuple[jax.Array, jax.Array]:
        logits = self.logits(params, X_val)
        loss = optax.softmax_cross_entropy_with_integer_labels(logits, y_val).mean()
        return loss, (logits.argmax(1) == y_val).mean()

    def compiled(self, function: Callable, *arguments: object) -> Callable:
        """`function` compiled for these arguments' shapes, its compile time added to compile_s."""
        start = time.perf_counter()
        executable = jax.jit(function).lower(*arguments).compile()
        self.compile_s += time.perf_counter() - start
        return executable

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float((np.asarray(self.logits(self.params, jnp.asarray(X))).argmax(1) == y).mean())


class JaxStep(JaxNetwork):
    """One compiled call per training step; each batch gathered in NumPy from a fresh
    shuffle, as PyTorch's loop does."""

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, epochs: int) -> None:
        self.compile_s = 0.0
        rng = np.random.default_rng(int(jax.random.randint(self.key, (), 0, 2**31 - 1)))
        labels = y.astype(np.int32)
        params, state = self.params, self.optimizer.init(self.params)
        X_val, y_val = jnp.asarray(X_val), jnp.asarray(y_val.astype(np.int32))
        # One executable per batch shape: the full batches, and the last, shorter one.
        steps = {
            size: self.compiled(self.step, params, state, X[:size], labels[:size])
            for size in {BATCH, len(X) % BATCH or BATCH}
        }
        validate = self.compiled(self.validate, params, X_val, y_val)
        for _ in range(epochs):
            order = rng.permutation(len(X))
            for start in range(0, len(X), BATCH):
                rows = order[start : start + BATCH]
                params, state = steps[len(rows)](params, state, X[rows], labels[rows])
            self.val_loss, self.val_accuracy = map(float, validate(params, X_val, y_val))
        self.params = params


class JaxEpoch(JaxNetwork):
    """One compiled call per epoch: the shuffle drawn on the device, `lax.scan` over its
    full batches, one more step for the shorter last batch, then the validation pass."""

    def epoch(self, params: dict, state: optax.OptState, key: jax.Array, X: jax.Array, y: jax.Array,
              X_val: jax.Array, y_val: jax.Array) -> tuple:  # fmt: skip
        order = jax.random.permutation(key, len(X))
        full = len(X) // BATCH * BATCH

        def step(carry: tuple, rows: jax.Array) -> tuple:
            return self.step(*carry, X[rows], y[rows]), None

        (params, state), _ = jax.lax.scan(step, (params, state), order[:full].reshape(-1, BATCH))
        if full < len(X):
            params, state = self.step(params, state, X[order[full:]], y[order[full:]])
        return params, state, *self.validate(params, X_val, y_val)

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, epochs: int) -> None:
        self.compile_s = 0.0
        data = [
            jnp.asarray(X),
            jnp.asarray(y.astype(np.int32)),
            jnp.asarray(X_val),
            jnp.asarray(y_val.astype(np.int32)),
        ]
        params, state, key = self.params, self.optimizer.init(self.params), self.key
        epoch = self.compiled(self.epoch, params, state, key, *data)
        for _ in range(epochs):
            key, shuffle = jax.random.split(key)
            params, state, loss, accuracy = epoch(params, state, shuffle, *data)
        self.val_loss, self.val_accuracy = float(loss), float(accuracy)
        self.params = params
