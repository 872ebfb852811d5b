# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 4: the learning rate
#
# Each step moves every weight by the learning rate times its gradient. Too small a rate
# and the network crawls; too large and each step overshoots the valley it is meant to go
# down, and the loss grows instead. Nielsen shows it on this very network with
# η = 0.025, 0.25 and 2.5 (`multiple_eta.py`).
#
# **Predict first.** Plain SGD with cross-entropy, one pass over the 50,000 training
# images in batches of 32, at learning rates 0.005, 0.5 and 10: rank the three by the
# validation accuracy they reach. Will any of them fail altogether?
#
# Runs in about 45 s, most of it the pipeline's three experiments at the end,
# on one core of a 2-core Intel Xeon.

# %%
import labkit  # first: it pins the CPU's kernels, so your numbers are the lab's
import matplotlib.pyplot as plt

X, labels = labkit.mnist("train")
X_val, labels_val = labkit.mnist("val")
for lr in (0.005, 0.5, 10):
    model = labkit.network(hidden=30, seed=0)
    history = labkit.fit(model, X, labels, X_val, labels_val, loss="cross_entropy", optimizer="sgd", lr=lr)
    labkit.report(
        f"lr {lr}, validation accuracy after 1 epoch", history[-1].val_accuracy if history else "diverged"
    )

# %% [markdown]
# `lr 0.005, validation accuracy after 1 epoch = 0.8532`: the small rate learns, slowly.
# `lr 0.5, validation accuracy after 1 epoch = 0.9122`: about right.
# `lr 10, validation accuracy after 1 epoch = diverged`: the steps overshoot by more each time,
# until the logits overflow and the loss is no longer a number; training stops there.
#
# ## Loss against epoch
# Five epochs on 10,000 images, the loss on a log scale: a rate that is too small falls
# in a straight, shallow line; a good one falls fast, then levels off; a rate too large
# hardly falls, or climbs.

# %%
X_small, labels_small = X[:10_000], labels[:10_000]
figure, ax = plt.subplots()
for lr in (0.005, 0.05, 0.5, 2.0):
    model = labkit.network(hidden=30, seed=0)
    history = labkit.fit(
        model, X_small, labels_small, X_val, labels_val, loss="cross_entropy", lr=lr, epochs=5
    )
    ax.semilogy([r.epoch for r in history], [r.train_loss for r in history], "o-", label=f"lr {lr}")
    labkit.report(
        f"lr {lr}, training loss in the last epoch", f"{history[-1].train_loss:.4f} (epoch {len(history)})"
    )
ax.set(xlabel="epoch", ylabel="training cross-entropy", title="SGD on 10,000 images")
ax.legend()
labkit.show(figure, "loss_by_rate")

# %% [markdown]
# `lr 0.005, training loss in the last epoch = 0.5788 (epoch 5)`,
# `lr 0.05, training loss in the last epoch = 0.2545 (epoch 5)`,
# `lr 0.5, training loss in the last epoch = 0.1339 (epoch 5)` and
# `lr 2.0, training loss in the last epoch = 0.5311 (epoch 5)`.
#
# ## Turn the knob
# In JupyterLab the slider below retrains on 5,000 images for 5 epochs and redraws the
# curves whenever you let go of it, in well under a second. Find the largest rate that
# still descends smoothly.

# %%
X_play, labels_play = X[:5_000], labels[:5_000]


def retrain(lr: float = 0.5) -> dict:
    model = labkit.network(hidden=30, seed=0)
    history = labkit.fit(model, X_play, labels_play, X_val, labels_val, loss="cross_entropy", lr=lr, epochs=5)
    losses = [r.train_loss for r in history]
    figure, ax = plt.subplots()
    ax.semilogy(range(1, len(losses) + 1), losses, "o-")
    ax.set(
        xlabel="epoch",
        ylabel="training cross-entropy",
        title=f"lr {lr}: validation accuracy {history[-1].val_accuracy:.3f}"
        if history
        else f"lr {lr}: diverged",
    )
    labkit.show(figure, "retrained")
    return {"train_loss": losses}


labkit.controls(retrain, lr=[0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 0.5, 1.0, 3.0, 10.0])

# %% [markdown]
# ## The same sweep through the pipeline
# The pipeline trains with params.yaml's settings: MAE, Adam, a cosine schedule. Queue
# three experiments that differ only in the learning rate, for 2 epochs each, run them,
# and compare them as DVC shows them. They run in copies of the repository
# (`.dvc/tmp/exps/`), so your workspace and `params.yaml` stay as they were.

# %%
pipeline_accuracies = labkit.pipeline_sweep("lr", [0.0005, 0.0085, 0.1], prefix="lab04-lr")
for lr, accuracy in pipeline_accuracies.items():
    labkit.report(f"pipeline, lr {lr}, validation accuracy after 2 epochs", accuracy)
names = " ".join(f"lab04-lr-{lr}" for lr in pipeline_accuracies)
plots = labkit.FIGURES.relative_to(labkit.ROOT) / "04_learning_rate" / "dvc_plots"
labkit.shell(f"dvc plots diff {names} -o {plots}")

# %% [markdown]
# `pipeline, lr 0.0005, validation accuracy after 2 epochs = 0.8808`,
# `pipeline, lr 0.0085, validation accuracy after 2 epochs = 0.9494` (params.yaml's own rate)
# and `pipeline, lr 0.1, validation accuracy after 2 epochs = 0.9379`. Open the page that
# `dvc plots diff` wrote in a browser: the three runs' loss and accuracy per epoch, one
# colour each. The experiments stay in `dvc exp show` until you remove them
# (`dvc exp remove lab04-lr-0.1`), or keep the best (`dvc exp apply`, then commit).
#
# ## Exercise
# Which of the three rates of the first cell, 0.005, 0.5 or 10, made the loss blow up?

# %%
import exercises

answer = None  # your answer: 0.005, 0.5 or 10
### BEGIN SOLUTION
answer = 10
### END SOLUTION
exercises.diverging_rate(answer)
