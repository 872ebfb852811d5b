# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 12: the network's mistakes, and your own digits
#
# An accuracy is one number; the mistakes behind it say more. This lab opens the model
# the pipeline trained (`models/model.npz`, made by `dvc repro`) and looks at the 10,000
# test images: which digits it confuses, the mistakes it is most sure of, and then your
# own handwriting.
#
# **Predict first.** Which digit will the network get wrong most often, and which digit
# will it most often take it for?
#
# Runs in about 2 s,
# on one core of a 2-core Intel Xeon.

# %%
import labkit  # first: it pins the CPU's kernels, so your numbers are the lab's
import matplotlib.pyplot as plt
import numpy as np
from numpy_mlp_mnist.images import read_image, to_mnist
from numpy_mlp_mnist.model_file import load_model

model = load_model(labkit.ROOT / "models" / "model.npz")
X_test, labels_test = labkit.mnist("test")
p = model.predict_proba(X_test)
predicted = p.argmax(axis=1)
confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (labels_test, predicted), 1)
per_digit = confusion.diagonal() / confusion.sum(axis=1)
labkit.report("test accuracy", float((predicted == labels_test).mean()))
labkit.report("worst digit", f"{per_digit.argmin()} ({per_digit.min():.4f})")
off_diagonal = confusion - np.diag(confusion.diagonal())
actual, taken_for = np.unravel_index(off_diagonal.argmax(), confusion.shape)
labkit.report("most frequent mistake", f"{actual} taken for {taken_for}, {off_diagonal.max()} times")

figure, ax = plt.subplots(figsize=(5, 4.5))
ax.imshow(np.log1p(confusion), cmap="Blues")
for i in range(10):
    for j in range(10):
        ax.text(j, i, confusion[i, j], ha="center", va="center", fontsize=6)
ax.set(
    xlabel="predicted",
    ylabel="actual",
    xticks=range(10),
    yticks=range(10),
    title="Confusion matrix, test set",
)
labkit.show(figure, "confusion")

# %% [markdown]
# `test accuracy = 0.9780`, the same as `metrics/test.json`. `worst digit = 9 (0.9613)`, and
# `most frequent mistake = 2 taken for 8, 13 times`. The diagonal holds the right answers; every other cell is
# a kind of mistake.
#
# ## The most confident mistakes
# Wrong answers given with the highest probability: often digits a person would hesitate
# over too, or labels that look wrong.

# %%
wrong = np.flatnonzero(predicted != labels_test)
confident = wrong[np.argsort(-p[wrong].max(axis=1), kind="stable")[:10]]
titles = [f"{labels_test[i]} as {predicted[i]} ({p[i].max():.2f})" for i in confident]
labkit.show(labkit.pictures(X_test[confident], titles), "confident_mistakes")
labkit.report("most confident mistake", titles[0])

# %% [markdown]
# `most confident mistake = 6 as 1 (1.00)`: the digit, what the network said, and how sure it was.
#
# ## Your own digits
# Any PNG or JPEG goes through the same preprocessing as `mlp-predict`: inverted if dark
# on light, cropped, scaled to 20x20 and centred on 28x28 by its centre of mass. Save a
# drawing from `mlp-draw` (or a photo of a digit on paper) and put its path below; here,
# the three sample digits.

# %%
paths = [labkit.ROOT / "data" / "digits" / name for name in ("seven.png", "four.jpg", "one.png")]
yours = np.stack([to_mnist(read_image(path), str(path)) for path in paths]).astype(np.float32)
probabilities = model.predict_proba(yours)
titles = [
    f"{path.name}: {row.argmax()} ({row.max():.2f})" for path, row in zip(paths, probabilities, strict=True)
]
labkit.show(labkit.pictures(yours, titles, columns=3), "your_digits")
for title in titles:
    labkit.report("your digit", title)

# %% [markdown]
# `your digit = seven.png: 7 (1.00)`, `your digit = four.jpg: 4 (1.00)` and
# `your digit = one.png: 1 (0.98)`, as `mlp-predict` says. The pictures are what the
# network sees: compare them with MNIST's digits above.
#
# ## Exercise
# Which digit does the network get wrong most often? Read it off the confusion matrix.

# %%
import exercises

answer = None  # your answer: a digit, 0 to 9
### BEGIN SOLUTION
answer = int(per_digit.argmin())
### END SOLUTION
exercises.worst_digit(answer, per_digit.tolist())
