"""Where JAX's epoch time goes against ours: the bare matrix products of an epoch, compiled
by XLA, against the same products in NumPy (OpenBLAS), in turn, on one CPU.

    python -m benchmarks.xla_products [--rounds 15]      # after dvc repro; needs the bench extra

The products are those of benchmarks.speed's "bare matrix products" row (forward, the
two weight gradients, back through W2, and the validation pass), on the same batches:
XLA runs them inside one `lax.scan`, as JAX's epoch-compiled contender does. What a
contender's epoch takes beyond its products is then the rest of its work: the gather,
biases, activation, softmax and loss, backpropagation's element-wise steps and Adam.
"""

import argparse
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.networks import BATCH
from benchmarks.one_run import one_thread
from benchmarks.speed import bare_products, contiguous_batches, read_data
from numpy_mlp_mnist import layout


def xla_products(W1: jax.Array, W2: jax.Array, batches: jax.Array, X_val: jax.Array) -> jax.Array:
    def step(total: jax.Array, xb: jax.Array) -> tuple[jax.Array, None]:
        a1 = xb @ W1
        z2 = a1 @ W2
        dW2 = a1.T @ z2
        dW1 = xb.T @ (z2 @ W2.T)
        return total + dW1.sum() + dW2.sum(), None  # summed, so that XLA keeps every product

    total, _ = jax.lax.scan(step, jnp.float32(0), batches)
    return total + ((X_val @ W1) @ W2).sum()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="epochs of each, in turn")
    args = parser.parse_args()
    one_thread()
    data = read_data(layout.PREPARED_DIR)
    X, X_val = data["train"][0], data["val"][0]
    full = len(X) // BATCH * BATCH  # lax.scan takes batches of one shape
    rng = np.random.default_rng(0)
    W1 = jnp.asarray(rng.normal(0, 0.05, (X.shape[1], 30)).astype(np.float32))
    W2 = jnp.asarray(rng.normal(0, 0.3, (30, 10)).astype(np.float32))
    batches, X_val_device = jnp.asarray(X[:full].reshape(-1, BATCH, X.shape[1])), jnp.asarray(X_val)
    compiled = jax.jit(xla_products).lower(W1, W2, batches, X_val_device).compile()
    numpy_batches = contiguous_batches(X[:full])
    xla, numpy = [], []
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(args.rounds):
            start = time.perf_counter()
            compiled(W1, W2, batches, X_val_device).block_until_ready()
            xla.append(time.perf_counter() - start)
            numpy.append(bare_products(numpy_batches, X_val, 30))
    ratio = statistics.median(x / n for x, n in zip(xla, numpy, strict=True))
    print(
        f"bare products of an epoch, 784-30-10, batch {BATCH}, {args.rounds} rounds in turn, medians: "
        f"XLA {statistics.median(xla):.4f} s, NumPy (OpenBLAS) {statistics.median(numpy):.4f} s; "
        f"XLA / NumPy {ratio:.2f}"
    )


if __name__ == "__main__":
    main()
