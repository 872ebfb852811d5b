"""A network trained as params.yaml says: its values turned into the engine's objects and
handed to mlp.train (the loop itself is mlp/training.py); the train stage's work without
its files, which the benchmarks share."""

from collections.abc import Callable
from functools import partial

import numpy as np
from threadpoolctl import threadpool_limits

import mlp
from numpy_mlp_mnist.datasets import N_CLASSES, PIXELS, SIDE
from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.params import Params


def fit(
    params: Params,
    X: np.ndarray,
    labels: np.ndarray,
    X_val: np.ndarray,
    labels_val: np.ndarray,
    on_epoch: Callable[[mlp.EpochRecord], None],
) -> tuple[mlp.MLP, list[mlp.EpochRecord]]:
    """A network trained as `params` say, and its history: the stage's work, without files."""
    rng = np.random.default_rng(params.seed)
    activation = mlp.make_activation(params.activation, params.leaky_slope)
    model = mlp.MLP.initialise(
        PIXELS, params.hidden, N_CLASSES, activation, rng, params.init, scale=params.init_scale
    )
    augment = (
        partial(mlp.random_shift, max_shift=params.augment_shift, side=SIDE) if params.augment_shift else None
    )
    # BLAS's own choice of threads is erratic on products this small, and the weights
    # are bit-reproducible only for a fixed thread count: so the params decide.
    with threadpool_limits(limits=params.threads, user_api="blas"):
        try:
            history = mlp.train(
                model,
                X,
                labels,
                X_val,
                labels_val,
                loss=mlp.make_loss(params.loss, params.mae_floor),
                optimizer=mlp.make_optimizer(params.optimizer, params.momentum),
                epochs=params.epochs,
                batch_size=params.batch_size,
                learning_rate=params.lr,
                schedule=mlp.make_schedule(params.lr_schedule),
                weight_decay=params.weight_decay,
                rng=rng,
                augment=augment,
                patience=params.patience,
                on_epoch=on_epoch,
            )
        except mlp.TrainingDivergedError as diverged:
            raise UserError(
                f"{diverged}; no model was written: try a lower learning rate than lr: {params.lr}"
            ) from None
    return model, history
