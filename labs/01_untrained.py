# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 1: the untrained network
#
# Before a network learns anything its weights are random, so every digit looks the same
# to it: it spreads its probability over the 10 classes, about 1/10 each. How large is the
# loss then? CS231n's first check of any network: if the loss at the start is far from
# the figure you work out, something is wrong before training begins.
#
# **Predict first.** Write down the loss you expect before training, for cross-entropy,
# -log p_y, and for MAE, the mean over the 10 outputs of |p_j - y_j|, when each p_j is
# 1/10. Then run the lab.
#
# Runs in about 1 s,
# on one core of a 2-core Intel Xeon.

# %%
import labkit  # first: it pins the CPU's kernels, so your numbers are the lab's
import matplotlib.pyplot as plt
import mlp
import numpy as np

X_val, labels_val = labkit.mnist("val")
model = labkit.network(hidden=30, activation="leaky_relu", seed=0)
z = model.logits(X_val)
p = mlp.losses.softmax(z)
p_label = p[np.arange(len(labels_val)), labels_val]

cross_entropy, _ = mlp.make_loss("cross_entropy", 0.0)(z, labels_val)
mae, _ = mlp.make_loss("mae", 0.0)(z, labels_val)
labkit.report("initial cross-entropy", cross_entropy)
labkit.report("initial MAE", mae)
labkit.report("initial accuracy", labkit.accuracy(model, X_val, labels_val))

# %% [markdown]
# You will see `initial cross-entropy = 2.3923` and `initial MAE = 0.1797`: close to
# ln 10 = 2.3026 and to 2 (1 - 1/10) / 10 = 0.18. The accuracy, `initial accuracy = 0.1262`,
# is near chance, 1 in 10. The numbers are exact: the same on every x86-64 computer.
#
# The guess is not exactly even. The histogram shows the probability the untrained
# network gives each image's true digit, p_y: spread around 0.1, because random weights
# make some logits a little larger than others.

# %%
figure, ax = plt.subplots()
ax.hist(p_label, bins=50)
ax.axvline(0.1, color="k", linestyle="--", label="1/10")
ax.set(xlabel="p_y, the probability of the true digit", ylabel="images", title="Before training")
ax.legend()
labkit.show(figure, "p_label")
labkit.report("mean p_y", float(p_label.mean()))

# %% [markdown]
# `mean p_y = 0.1015`. With cross-entropy a network whose initial loss is far above 2.3 is
# confidently wrong before it has learned anything: its initial weights are too large
# (lab 6 shows what that does).
#
# ## Exercises
# 1. With 100 classes instead of 10, what would the initial cross-entropy be?
# 2. And the initial MAE, with each p_j = 1/100?

# %%
import exercises

answer = None  # your answer: a number
### BEGIN SOLUTION
answer = np.log(100)
### END SOLUTION
exercises.chance_cross_entropy_100(answer)
answer = None  # your answer: a number
### BEGIN SOLUTION
answer = 2 * (1 - 1 / 100) / 100
### END SOLUTION
exercises.chance_mae_100(answer)
