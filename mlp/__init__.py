"""A multilayer perceptron in NumPy alone: forward pass, backpropagation and updates by hand.

The package knows nothing of files, YAML or DVC; the pipeline's stages feed it arrays.
"""

from mlp.activations import ACTIVATIONS, make_activation
from mlp.augment import random_shift
from mlp.initializers import INITIALIZERS
from mlp.losses import LOSSES, make_loss
from mlp.network import MLP
from mlp.optimizers import OPTIMIZERS, make_optimizer
from mlp.schedules import SCHEDULES, learning_rate_at
from mlp.training import EpochRecord, TrainingDivergedError, evaluate, kept_epoch, train

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LOSSES",
    "MLP",
    "OPTIMIZERS",
    "SCHEDULES",
    "EpochRecord",
    "TrainingDivergedError",
    "evaluate",
    "kept_epoch",
    "learning_rate_at",
    "make_activation",
    "make_loss",
    "make_optimizer",
    "random_shift",
    "train",
]
