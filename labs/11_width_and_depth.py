# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 11: width and depth
#
# More hidden units, more features the network can learn; more layers, more steps of
# composition. But in a deep sigmoid network the gradient shrinks on its way back through
# each layer (lab 6: f'(z) is at most 0.25), so the first layers learn far more slowly
# than the last: the vanishing gradient (Nielsen, chapter 5, `backprop_magnitude_nabla.py`).
#
# **Predict first.** In 784-30-30-30-30-30-10 with sigmoid units, is the first hidden
# layer's gradient larger or smaller than the last's, and by about how much?
#
# Runs in about 40 s, most of it the pipeline's two experiments at the end,
# on one core of a 2-core Intel Xeon.

# %%
import labkit  # first: it pins the CPU's kernels, so your numbers are the lab's
import matplotlib.pyplot as plt
import mlp
import numpy as np

X, labels = labkit.mnist("train", 10_000)
X_val, labels_val = labkit.mnist("val")

widths = [2, 4, 8, 16, 30, 64, 128]
accuracies = []
for width in widths:
    model = labkit.network(hidden=width, seed=0)
    history = labkit.fit(
        model, X, labels, X_val, labels_val, loss="cross_entropy", optimizer="adam", lr=0.005, epochs=2
    )
    accuracies.append(history[-1].val_accuracy)
    labkit.report(f"width {width}, validation accuracy after 2 epochs", history[-1].val_accuracy)
figure, ax = plt.subplots()
ax.semilogx(widths, accuracies, "o-", base=2)
ax.set(xlabel="hidden units", ylabel="validation accuracy", title="Width, 10,000 images, 2 epochs")
labkit.show(figure, "width")

# %% [markdown]
# `width 2, validation accuracy after 2 epochs = 0.5030`,
# `width 8, validation accuracy after 2 epochs = 0.8940`,
# `width 30, validation accuracy after 2 epochs = 0.9224` and
# `width 128, validation accuracy after 2 epochs = 0.9354`: each doubling helps less.
#
# ## The gradient, layer by layer

# %%
deep = labkit.network(hidden=[30] * 5, activation="sigmoid", seed=0)
_, gradient = deep.loss_and_gradient(X[:1000], labels[:1000], mlp.make_loss("cross_entropy", 0.0))
norms = [float(np.linalg.norm(dW)) for dW in deep.unflatten(gradient)[0::2]]
for layer, norm in enumerate(norms, 1):
    labkit.report(f"layer {layer}, gradient norm", norm, ".2e")
figure, ax = plt.subplots()
ax.semilogy(range(1, len(norms) + 1), norms, "o-")
ax.set(xlabel="layer", ylabel="|dW|", title="784-30x5-10 sigmoid, before training")
labkit.show(figure, "gradient_norms")

# %% [markdown]
# `layer 1, gradient norm = 1.28e-03` and `layer 5, gradient norm = 1.17e-01`, while the output layer's
# is `layer 6, gradient norm = 4.03e-01`: every sigmoid layer on the way back shrinks it.
#
# ## Width through the pipeline
# Two experiments, 16 and 64 hidden units, 2 epochs each, queued and run by DVC in copies
# of the repository, then compared.

# %%
pipeline_accuracies = labkit.pipeline_sweep("hidden", [16, 64], prefix="lab11-hidden")
for width, accuracy in pipeline_accuracies.items():
    labkit.report(f"pipeline, hidden {width}, validation accuracy after 2 epochs", accuracy)

# %% [markdown]
# `pipeline, hidden 16, validation accuracy after 2 epochs = 0.9312` and
# `pipeline, hidden 64, validation accuracy after 2 epochs = 0.9603`, with the pipeline's MAE
# and Adam on all 50,000 images.
#
# ## Exercise
# How many weights and biases has 784-64-32-10?

# %%
import exercises

answer = None  # your answer: a whole number
### BEGIN SOLUTION
answer = 784 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10
### END SOLUTION
exercises.parameter_count_deep(answer)
