# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 8: overfitting, weight decay and early stopping
#
# With 1,000 training images the network can fit them closely, noise and all, and its
# validation loss stops falling long before its training loss does. Nielsen's
# `overfitting.py` shows it on this very network. Two remedies: weight decay, which
# shrinks every weight a little each step, and early stopping, which keeps the weights of
# the epoch that did best on the validation set.
#
# **Predict first.** Trained for 60 epochs on 1,000 images, will the validation loss be
# lowest at the end, or somewhere in the middle? And will weight decay raise or lower the
# final validation accuracy?
#
# Runs in about 5 s,
# on one core of a 2-core Intel Xeon.

# %%
import labkit  # first: it pins the CPU's kernels, so your numbers are the lab's
import matplotlib.pyplot as plt

X, labels = labkit.mnist("train", 1000)
X_val, labels_val = labkit.mnist("val")

# Nielsen's overfitting.py: SGD at 0.1 (cross-entropy), mini-batches of 10, many epochs.
settings = {"loss": "cross_entropy", "optimizer": "sgd", "lr": 0.1, "epochs": 60, "batch_size": 10}
figure, axes = plt.subplots(1, 2, figsize=(9, 3.2))
histories = {}
for weight_decay in (0.0, 0.001):
    model = labkit.network(hidden=30, seed=0)
    history = labkit.fit(model, X, labels, X_val, labels_val, **settings, weight_decay=weight_decay)
    histories[weight_decay] = history
    epochs = [r.epoch for r in history]
    axes[0].plot(epochs, [r.train_loss for r in history], label=f"training, decay {weight_decay}")
    axes[0].plot(epochs, [r.val_loss for r in history], "--", label=f"validation, decay {weight_decay}")
    axes[1].plot(epochs, [r.val_accuracy for r in history], label=f"decay {weight_decay}")
    lowest = min(history, key=lambda r: r.val_loss)
    labkit.report(f"decay {weight_decay}, training loss at epoch 60", history[-1].train_loss)
    labkit.report(f"decay {weight_decay}, validation loss at epoch 60", history[-1].val_loss)
    labkit.report(
        f"decay {weight_decay}, lowest validation loss", f"{lowest.val_loss:.4f} at epoch {lowest.epoch}"
    )
    labkit.report(f"decay {weight_decay}, validation accuracy at epoch 60", history[-1].val_accuracy)
axes[0].set(xlabel="epoch", ylabel="cross-entropy", yscale="log", title="Loss")
axes[0].legend(fontsize=7)
axes[1].set(xlabel="epoch", ylabel="accuracy", title="Validation accuracy")
axes[1].legend()
labkit.show(figure, "curves")

# %% [markdown]
# Without decay: `decay 0.0, training loss at epoch 60 = 0.0020` against
# `decay 0.0, validation loss at epoch 60 = 0.5941`; the validation loss was lowest long before,
# `decay 0.0, lowest validation loss = 0.4264 at epoch 4`, and rose while the training loss kept falling.
# That gap is overfitting. With decay: `decay 0.001, training loss at epoch 60 = 0.0117`,
# `decay 0.001, validation loss at epoch 60 = 0.4619`,
# `decay 0.001, lowest validation loss = 0.4304 at epoch 4`. The accuracies:
# `decay 0.0, validation accuracy at epoch 60 = 0.8825` and
# `decay 0.001, validation accuracy at epoch 60 = 0.8832`.
#
# Early stopping (`patience` in params.yaml) stops once the validation accuracy has not
# improved for that many epochs and keeps the best epoch's weights:

# %%
model = labkit.network(hidden=30, seed=0)
stopped = labkit.fit(model, X, labels, X_val, labels_val, **settings, patience=5)
labkit.report("patience 5, epochs run", str(len(stopped)))
labkit.report("patience 5, validation accuracy kept", labkit.accuracy(model, X_val, labels_val))

# %% [markdown]
# `patience 5, epochs run = 18`, and the weights kept score
# `patience 5, validation accuracy kept = 0.8836`.
#
# ## Exercise
# From the validation accuracies of the run without decay (`histories[0.0]`), after which
# epoch would patience 3 have stopped training?

# %%
import exercises

answer = None  # your answer: a whole number
### BEGIN SOLUTION
accuracies = [r.val_accuracy for r in histories[0.0]]
answer = next(
    epoch
    for epoch in range(1, len(accuracies) + 1)
    if epoch - 1 - max(range(epoch), key=accuracies.__getitem__) >= 3
)
### END SOLUTION
exercises.early_stop_epoch(answer, [r.val_accuracy for r in histories[0.0]], patience=3)
