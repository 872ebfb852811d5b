# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 3: capacity, or can it learn 100 images by heart?
#
# A network with 23,860 weights and biases can fit 100 images exactly: it has far more
# parameters than there are labels to fit. If it cannot, the training code is broken,
# whatever the accuracy on new images says. CS231n's check: overfit a small set first.
#
# **Predict first.** Trained on 100 images until it knows them all, what accuracy will it
# reach on the 10,000 validation images it never saw: about 10%, 70% or 95%?
#
# Runs in about 2 s,
# on one core of a 2-core Intel Xeon.

# %%
import labkit  # first: it pins the CPU's kernels, so your numbers are the lab's
import matplotlib.pyplot as plt

X, labels = labkit.mnist("train", 100)
X_val, labels_val = labkit.mnist("val")
model = labkit.network(hidden=30, seed=0)
history = labkit.fit(
    model,
    X,
    labels,
    X_val,
    labels_val,
    loss="cross_entropy",
    optimizer="adam",
    lr=0.01,
    epochs=30,
    batch_size=10,
)
labkit.report("training accuracy after 30 epochs", labkit.accuracy(model, X, labels))
labkit.report("training loss after 30 epochs", history[-1].train_loss)
labkit.report("validation accuracy after 30 epochs", history[-1].val_accuracy)

figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
left.semilogy([r.epoch for r in history], [r.train_loss for r in history], label="training (100 images)")
left.semilogy([r.epoch for r in history], [r.val_loss for r in history], label="validation")
left.set(xlabel="epoch", ylabel="cross-entropy", title="Loss")
left.legend()
right.plot([r.epoch for r in history], [r.val_accuracy for r in history])
right.set(xlabel="epoch", ylabel="accuracy", title="Validation accuracy")
labkit.show(figure, "curves")

# %% [markdown]
# The network learns its 100 images perfectly, `training accuracy after 30 epochs = 1.0000`,
# its loss falls to `training loss after 30 epochs = 0.0011`, and yet it gets
# `validation accuracy after 30 epochs = 0.7341` of new images right. Fitting the training set
# shows the network and its backpropagation work; it says little of how well it
# generalises. That gap is lab 8's subject.
#
# ## Exercise
# How many weights and biases does 784-30-10 have? (W1 is 784 x 30, b1 has 30, ...)

# %%
import exercises

answer = None  # your answer: a whole number
### BEGIN SOLUTION
answer = 784 * 30 + 30 + 30 * 10 + 10
### END SOLUTION
exercises.parameter_count(answer)
