"""The network: hidden layers, a softmax output, backpropagation by hand.

Layer l = 1, ..., L takes the previous layer's activations a[l-1] (a[0] = x, the input):

    z[l] = a[l-1] W[l] + b[l]      a[l] = f(z[l])        hidden layers, l < L
    z[L] = a[L-1] W[L] + b[L]      p    = softmax(z[L])  output layer

With one hidden layer (L = 2, the default 784-30-10) that is the original project's network:

    z1 = x W1 + b1        a1 = f(z1)
    z2 = a1 W2 + b2       p  = softmax(z2)

Rows are samples, so a whole batch goes through each line at once. `weights[0]` is W1,
`biases[0]` is b1, and so on: Python counts from 0 where the equations count from 1.

All parameters live in one flat vector, `theta`, in the order W1, b1, W2, b2, ...; the
weights and biases are views into it, and gradients come back in the same layout. An
optimizer then updates every parameter with a handful of whole-vector operations
instead of a loop over arrays.
"""

import itertools
from collections.abc import Sequence

import numpy as np

from mlp.activations import Activation
from mlp.initializers import initializer_for, xavier_normal, zeros
from mlp.losses import Loss, softmax


class MLP:
    def __init__(
        self, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], activation: Activation
    ) -> None:
        """A network with `weights` [W1, ..., WL] and `biases` [b1, ..., bL], which must chain:
        W[l] has as many rows as W[l-1] has columns, and b[l] one entry per column of W[l]."""
        if not weights or len(weights) != len(biases):
            raise ValueError(
                f"{len(weights)} weight matrices and {len(biases)} bias vectors; expected as many, at least 1"
            )
        for layer, (W, b) in enumerate(zip(weights, biases, strict=True), start=1):
            fan_in = weights[layer - 2].shape[1] if layer > 1 else W.shape[0]
            if W.ndim != 2 or W.shape[0] != fan_in or b.shape != (W.shape[1],):
                raise ValueError(
                    f"W{layer} {W.shape} and b{layer} {b.shape} do not chain from {fan_in} inputs"
                )
        arrays = [array for pair in zip(weights, biases, strict=True) for array in pair]
        self.shapes = [array.shape for array in arrays]
        sizes = [array.size for array in arrays]
        self.bounds = list(zip(np.cumsum([0, *sizes[:-1]]).tolist(), np.cumsum(sizes).tolist(), strict=True))
        self.theta = np.concatenate([array.ravel() for array in arrays])
        views = self.unflatten(self.theta)
        self.weights, self.biases = views[0::2], views[1::2]
        # Backpropagation writes here on every call, as PyTorch's .grad does, rather than
        # into a fresh vector and fresh views per batch.
        self.gradient = np.empty_like(self.theta)
        gradients = self.unflatten(self.gradient)
        self.weight_gradients, self.bias_gradients = gradients[0::2], gradients[1::2]
        self.activation = activation

    @classmethod
    def initialise(
        cls,
        n_inputs: int,
        hidden: int | Sequence[int],
        n_outputs: int,
        activation: Activation,
        rng: np.random.Generator,
        init: str = "auto",
        dtype: type = np.float32,
        scale: float = 1.0,
    ) -> "MLP":
        """A fresh network with one hidden layer per width in `hidden` (or one of width
        `hidden`): weights from the scheme `init` names (by default the one suited to the
        activation), the hidden layers' multiplied by `scale`; zero biases."""
        if not scale > 0:
            raise ValueError(f"initial scale {scale} must be above 0")
        widths = [hidden] if isinstance(hidden, int) else list(hidden)
        sizes = [n_inputs, *widths, n_outputs]
        initializer = initializer_for(activation, init)
        weights = [
            scale * initializer(fan_in, fan_out, rng, activation.slope)
            for fan_in, fan_out in itertools.pairwise(sizes[:-1])
        ]
        # The output layer feeds a softmax, not a rectifier: Xavier suits it whatever f is,
        # unless every layer is asked to start symmetric.
        output_initializer = zeros if init == "zeros" else xavier_normal
        weights.append(output_initializer(sizes[-2], n_outputs, rng, activation.slope))
        return cls(
            [W.astype(dtype) for W in weights],
            [np.zeros(fan_out, dtype=dtype) for fan_out in sizes[1:]],
            activation,
        )

    def unflatten(self, vector: np.ndarray) -> list[np.ndarray]:
        """Views of `vector` shaped as [W1, b1, W2, b2, ...]."""
        return [
            vector[start:stop].reshape(shape)
            for (start, stop), shape in zip(self.bounds, self.shapes, strict=True)
        ]

    @property
    def parameters(self) -> dict[str, np.ndarray]:
        """{"W1": W1, "b1": b1, "W2": W2, ...}: every parameter by its name in the equations."""
        named = {}
        for layer, (W, b) in enumerate(zip(self.weights, self.biases, strict=True), start=1):
            named[f"W{layer}"], named[f"b{layer}"] = W, b
        return named

    @property
    def widths(self) -> list[int]:
        """The hidden layers' widths: [30] for 784-30-10."""
        return [W.shape[1] for W in self.weights[:-1]]

    def hidden(self, X: np.ndarray) -> list[np.ndarray]:
        """[a1, ..., a[L-1]]: what each hidden layer's units make of each input."""
        activations = []
        a = X
        for W, b in zip(self.weights[:-1], self.biases[:-1], strict=True):
            a = self.activation(a @ W + b)
            activations.append(a)
        return activations

    def output(self, last_hidden: np.ndarray) -> np.ndarray:
        """z[L] = a[L-1] W[L] + b[L]: the output layer's logits, from the last hidden layer."""
        return last_hidden @ self.weights[-1] + self.biases[-1]

    def logits(self, X: np.ndarray) -> np.ndarray:
        return self.output(self.hidden(X)[-1])

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return softmax(self.logits(X))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.logits(X).argmax(axis=1)

    def loss_and_gradient(self, X: np.ndarray, labels: np.ndarray, loss: Loss) -> tuple[float, np.ndarray]:
        """The batch's mean loss and its gradient with respect to `theta`.

        The gradient is `self.gradient`, overwritten by the next call: copy it to keep it.

        Backpropagation is the chain rule applied layer by layer, from the loss down,
        for l = L, ..., 1 (dz[L] comes from the loss):
            dW[l] = a[l-1]^T dz[l]      db[l] = sum of dz[l] over the batch
            dz[l-1] = (dz[l] W[l]^T) * f'(z[l-1])
        """
        zs, activations = [], [X]
        for W, b in zip(self.weights[:-1], self.biases[:-1], strict=True):
            zs.append(activations[-1] @ W + b)
            activations.append(self.activation(zs[-1]))
        value, dz = loss(self.output(activations[-1]), labels)

        # Sums over the batch as products with a row of ones, 1^T dz: one BLAS call,
        # where np.sum along the batch axis loops over the rows.
        ones = np.ones(X.shape[0], dtype=X.dtype)
        # Index i is layer i + 1 of the equations: activations[i] is a[i], zs[i - 1] is z[i].
        for i in reversed(range(len(self.weights))):
            np.matmul(activations[i].T, dz, out=self.weight_gradients[i])
            np.matmul(ones, dz, out=self.bias_gradients[i])
            if i > 0:
                dz = dz @ self.weights[i].T
                dz *= self.activation.derivative(zs[i - 1], activations[i])
        return value, self.gradient
