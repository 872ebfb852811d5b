# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 10: batch size
#
# Each step averages the gradient over a batch. One image per step gives many noisy steps
# per epoch; the whole set gives one exact step per epoch; a mini-batch of 32 sits between
# and is what almost everyone uses. Which is best depends on what you count: steps, or
# seconds.
#
# **Predict first.** One epoch over 5,000 images with SGD: which of batch 1, 32 and 5,000
# reaches the highest validation accuracy? Which takes the most seconds?
#
# Runs in about 2 s,
# on one core of a 2-core Intel Xeon.

# %%
import time

import labkit  # first: it pins the CPU's kernels, so your numbers are the lab's
import matplotlib.pyplot as plt
import mlp
import numpy as np

X, labels = labkit.mnist("train", 5_000)
X_val, labels_val = labkit.mnist("val", 2_000)


def one_epoch(batch_size: int, lr: float, points: int = 20) -> tuple[list[int], list[float], list[float]]:
    """Steps taken, seconds spent and validation accuracy, at `points` moments of one epoch."""
    model = labkit.network(hidden=30, seed=0)
    loss, optimizer = mlp.make_loss("cross_entropy", 0.0), mlp.make_optimizer("sgd", 0.9)
    order = np.random.default_rng(0).permutation(len(labels))
    starts = range(0, len(labels), batch_size)
    every = max(1, len(starts) // points)
    steps, seconds, accuracies, spent = [0], [0.0], [labkit.accuracy(model, X_val, labels_val)], 0.0
    for step, start in enumerate(starts, 1):
        rows = order[start : start + batch_size]
        began = time.perf_counter()
        _, gradient = model.loss_and_gradient(X[rows], labels[rows], loss)
        optimizer.step(model.theta, gradient, lr)
        spent += time.perf_counter() - began
        if step % every == 0 or step == len(starts):
            steps.append(step)
            seconds.append(spent)
            accuracies.append(labkit.accuracy(model, X_val, labels_val))
    return steps, seconds, accuracies


figure, (by_steps, by_seconds) = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
seconds_of = {}
for batch_size, lr in ((1, 0.01), (32, 0.5), (5_000, 0.5)):
    steps, seconds, accuracies = one_epoch(batch_size, lr)
    by_steps.semilogx(steps[1:], accuracies[1:], "o-", label=f"batch {batch_size}, lr {lr}")
    by_seconds.plot(seconds, accuracies, "o-", label=f"batch {batch_size}")
    labkit.report(f"batch {batch_size}, steps in one epoch", str(steps[-1]))
    labkit.report(f"batch {batch_size}, validation accuracy after one epoch", accuracies[-1])
    print(f"batch {batch_size}: {seconds[-1]:.2f} s of training on this computer")
    seconds_of[batch_size] = seconds[-1]
by_steps.set(xlabel="steps", ylabel="validation accuracy", title="Against steps")
by_seconds.set(xlabel="seconds", title="Against seconds")
by_steps.legend(fontsize=8)
labkit.show(figure, "batch_size")
labkit.report("batch 1 takes longer than batch 32", "yes" if seconds_of[1] > seconds_of[32] else "no")

# %% [markdown]
# Batch 1: `batch 1, steps in one epoch = 5000`,
# `batch 1, validation accuracy after one epoch = 0.8700`. Batch 32:
# `batch 32, steps in one epoch = 157`, `batch 32, validation accuracy after one epoch = 0.6895`.
# The whole set: `batch 5000, steps in one epoch = 1`,
# `batch 5000, validation accuracy after one epoch = 0.2275`: one step, however exact, is not
# enough. The seconds are your computer's (they differ on every run), but
# `batch 1 takes longer than batch 32 = yes` for the same epoch, many times longer: each of
# its 5,000 steps pays the cost of calls into NumPy, whatever their size.
#
# ## Exercise
# How many steps make one epoch of the 50,000 training images in batches of 128 (the
# pipeline's `batch_size`)? The last batch may be smaller.

# %%
import exercises

answer = None  # your answer: a whole number
### BEGIN SOLUTION
answer = -(-50_000 // 128)
### END SOLUTION
exercises.steps_per_epoch(answer)
