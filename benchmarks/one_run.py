"""One contender's whole training run, as its user would run it, for the speed benchmark:

    python -m benchmarks.one_run NAME [--epochs 30] [--hidden 30]

Starts Python, imports that network's library and no other, reads data/prepared, builds
the network, trains it (compiling first, for JAX) and scores it on the test set, on one
thread. benchmarks.speed times this process from outside: what a run costs with
everything included.
"""

import argparse
import os

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.networks import CONTENDERS, contender
from numpy_mlp_mnist import layout
from numpy_mlp_mnist.datasets import read_split


def one_thread() -> None:
    """Keep this process, and every thread any library starts later, on one CPU: JAX has
    no other way to run on one thread (benchmarks.network_jax), and so all contenders
    share the same condition. BLAS is limited to one thread by threadpoolctl as well."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=list(CONTENDERS))
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--hidden", type=int, default=30)
    args = parser.parse_args()
    one_thread()
    with threadpool_limits(limits=1, user_api="blas"):
        X, y, X_val, y_val, X_test, y_test = (
            array
            for split in ("train", "val", "test")
            for array in read_split(layout.PREPARED_DIR, split, np.float32)
        )
        network = contender(args.name)(args.hidden, seed=0)
        network.fit(X, y, X_val, y_val, args.epochs)
        print(f"{args.name}: test accuracy {network.accuracy(X_test, y_test):.4f}")


if __name__ == "__main__":
    main()
