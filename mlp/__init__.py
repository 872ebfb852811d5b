"""A multilayer perceptron in NumPy alone: forward pass, backpropagation and updates by hand.

The package knows nothing of files, YAML or DVC; the pipeline's stages feed it arrays.
"""

from mlp.activations import ACTIVATIONS, make_activation
from mlp.augment import random_shift
from mlp.initializers import INIT_CHOICES, INITIALIZERS
from mlp.losses import LOSSES, make_loss
from mlp.network import MLP
from mlp.optimizers import OPTIMIZERS, make_optimizer
from mlp.schedules import SCHEDULES, make_schedule
from mlp.training import EpochRecord, TrainingDivergedError, evaluate, kept_epoch, train

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "INIT_CHOICES",
    "LOSSES",
    "MLP",
    "OPTIMIZERS",
    "SCHEDULES",
    "EpochRecord",
    "TrainingDivergedError",
    "evaluate",
    "kept_epoch",
    "make_activation",
    "make_loss",
    "make_optimizer",
    "make_schedule",
    "random_shift",
    "train",
]
