"""The network: one hidden layer, a softmax output, backpropagation by hand.

    z1 = x W1 + b1        a1 = f(z1)        (hidden layer)
    z2 = a1 W2 + b2       p  = softmax(z2)  (output layer)

Rows are samples, so a whole batch goes through each line at once.

All parameters live in one flat vector, `theta`; W1, b1, W2, b2 are views into it,
and gradients come back in the same layout. An optimizer then updates every
parameter with a handful of whole-vector operations instead of a loop over arrays.
"""

import numpy as np

from mlp.activations import Activation
from mlp.initializers import he_normal, scheme_for, xavier_normal
from mlp.losses import Loss, softmax


class MLP:
    def __init__(
        self,
        W1: np.ndarray,
        b1: np.ndarray,
        W2: np.ndarray,
        b2: np.ndarray,
        activation: Activation,
    ) -> None:
        self.shapes = [W1.shape, b1.shape, W2.shape, b2.shape]
        sizes = [W1.size, b1.size, W2.size, b2.size]
        self.bounds = list(zip(np.cumsum([0, *sizes[:-1]]).tolist(), np.cumsum(sizes).tolist(), strict=True))
        self.theta = np.concatenate([W1.ravel(), b1.ravel(), W2.ravel(), b2.ravel()])
        self.W1, self.b1, self.W2, self.b2 = self.unflatten(self.theta)
        # Backpropagation writes here on every call, as PyTorch's .grad does, rather than
        # into a fresh vector and four fresh views per batch.
        self.gradient = np.empty_like(self.theta)
        self.dW1, self.db1, self.dW2, self.db2 = self.unflatten(self.gradient)
        self.activation = activation

    @classmethod
    def initialise(
        cls,
        n_inputs: int,
        n_hidden: int,
        n_outputs: int,
        activation: Activation,
        rng: np.random.Generator,
        init: str = "auto",
        dtype: type = np.float32,
    ) -> "MLP":
        """A fresh network: weights from the scheme suited to the activation, zero biases."""
        if scheme_for(activation.name, init) == "he":
            W1 = he_normal(n_inputs, n_hidden, rng, getattr(activation, "slope", 0.0))
        else:
            W1 = xavier_normal(n_inputs, n_hidden, rng)
        # The output layer feeds a softmax, not a rectifier: Xavier suits it whatever f is.
        W2 = xavier_normal(n_hidden, n_outputs, rng)
        return cls(
            W1.astype(dtype),
            np.zeros(n_hidden, dtype=dtype),
            W2.astype(dtype),
            np.zeros(n_outputs, dtype=dtype),
            activation,
        )

    def unflatten(self, vector: np.ndarray) -> list[np.ndarray]:
        """Views of `vector` shaped as [W1, b1, W2, b2]."""
        return [
            vector[start:stop].reshape(shape)
            for (start, stop), shape in zip(self.bounds, self.shapes, strict=True)
        ]

    @property
    def parameters(self) -> list[np.ndarray]:
        return [self.W1, self.b1, self.W2, self.b2]

    def hidden(self, X: np.ndarray) -> np.ndarray:
        """a1 = f(x W1 + b1): what each hidden unit makes of each input."""
        return self.activation(X @ self.W1 + self.b1)

    def output(self, hidden: np.ndarray) -> np.ndarray:
        """z2 = a1 W2 + b2: the output layer's logits, from the hidden activations."""
        return hidden @ self.W2 + self.b2

    def logits(self, X: np.ndarray) -> np.ndarray:
        return self.output(self.hidden(X))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return softmax(self.logits(X))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.logits(X).argmax(axis=1)

    def loss_and_gradient(self, X: np.ndarray, labels: np.ndarray, loss: Loss) -> tuple[float, np.ndarray]:
        """The batch's mean loss and its gradient with respect to `theta`.

        The gradient is `self.gradient`, overwritten by the next call: copy it to keep it.

        Backpropagation is the chain rule applied layer by layer, from the loss down:
            dW2 = a1^T dz2      db2 = sum of dz2 over the batch
            dz1 = (dz2 W2^T) * f'(z1)
            dW1 = x^T dz1       db1 = sum of dz1 over the batch
        """
        z1 = X @ self.W1 + self.b1
        a1 = self.activation(z1)
        z2 = a1 @ self.W2 + self.b2
        value, dz2 = loss(z2, labels)

        # Sums over the batch as products with a row of ones, 1^T dz: one BLAS call,
        # where np.sum along the batch axis loops over the rows.
        ones = np.ones(X.shape[0], dtype=X.dtype)
        np.matmul(a1.T, dz2, out=self.dW2)
        np.matmul(ones, dz2, out=self.db2)
        dz1 = dz2 @ self.W2.T
        dz1 *= self.activation.derivative(z1, a1)
        np.matmul(X.T, dz1, out=self.dW1)
        np.matmul(ones, dz1, out=self.db1)
        return value, self.gradient
