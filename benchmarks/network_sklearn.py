"""scikit-learn's MLPClassifier, as the speed benchmark races it (see benchmarks.networks)."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from benchmarks.networks import BATCH, LEARNING_RATE, Network


class Sklearn(Network):
    """scikit-learn's MLPClassifier."""

    def __init__(self, hidden: int, seed: int) -> None:
        self.hidden, self.seed = hidden, seed

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, epochs: int) -> None:
        # n_iter_no_change above max_iter: exactly `epochs` epochs, never an early stop.
        self.model = MLPClassifier(
            hidden_layer_sizes=(self.hidden,), activation="relu", solver="adam", batch_size=BATCH,
            learning_rate_init=LEARNING_RATE, max_iter=epochs, n_iter_no_change=epochs + 1,
            random_state=self.seed,
        )  # fmt: skip
        with warnings.catch_warnings():
            # Reaching max_iter is the point here, not a sign of trouble.
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model.fit(X, y)
        assert self.model.n_iter_ == epochs

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(self.model.score(X, y))
