"""What every lab shares: the pinned kernels, MNIST from the pipeline, training in a line,
the numbers a lab states, its figures and its controls.

Import it first, before NumPy: importing numpy_mlp_mnist chooses the CPU kernels, so that
a lab's numbers are the same bits on every x86-64 CPU with AVX2, as the pipeline's are.
"""

import inspect
import json
import os
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

import numpy_mlp_mnist  # noqa: F401  (first: it pins the kernels before NumPy loads)
from numpy_mlp_mnist.kernels import PINNED_ENVIRONMENT

import matplotlib

IN_NOTEBOOK = "ipykernel" in sys.modules
if not IN_NOTEBOOK:
    matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

import mlp
from numpy_mlp_mnist.datasets import N_CLASSES, PIXELS, SIDE, read_split
from numpy_mlp_mnist.errors import UserError

# The repository: labs/ and a learner's copy of it (assignment.student --labs) both sit in it.
ROOT = next((folder for folder in Path(__file__).resolve().parents if (folder / "dvc.yaml").is_file()), None)
if ROOT is None:
    raise SystemExit(
        f"{Path(__file__).parent}: not inside the repository (no dvc.yaml above it); copy the labs there"
    )
DATA = ROOT / "data" / "prepared"
FIGURES = Path(__file__).resolve().parent / "figures"
# One BLAS thread: the bits of a product depend on the thread count, and one is fastest
# on matrices this small.
threadpool_limits(limits=1, user_api="blas")
plt.rcParams.update({"figure.figsize": (7, 3.2), "figure.dpi": 90, "axes.grid": True})

if any(os.environ.get(name) != value for name, value in PINNED_ENVIRONMENT.items()):
    print(
        "note: NumPy was loaded before labkit, so the kernels are this CPU's own: the numbers may "
        "differ from the lab's in their last digits (restart the kernel and run from the top)"
    )


def mnist(split: str, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The first `n` images (all if None) of "train", "val" or "test", as the pipeline
    prepared them: float32 pixels in [0, 1], one image a row, and their digits."""
    try:
        images, labels = read_split(DATA, split, np.float32)
    except UserError as error:
        raise SystemExit(f"{error}\nThe labs read the pipeline's data: run `dvc repro` first.") from None
    return images[:n], labels[:n]


def network(
    hidden: int | list[int] = 30,
    activation: str = "leaky_relu",
    init: str = "auto",
    scale: float = 1.0,
    seed: int = 0,
) -> mlp.MLP:
    """A fresh 784-hidden-10 network, as the train stage makes one."""
    rng = np.random.default_rng(seed)
    return mlp.MLP.initialise(
        PIXELS, hidden, N_CLASSES, mlp.make_activation(activation), rng, init, scale=scale
    )


def fit(
    model: mlp.MLP,
    X: np.ndarray,
    labels: np.ndarray,
    X_val: np.ndarray,
    labels_val: np.ndarray,
    *,
    loss: str = "cross_entropy",
    optimizer: str = "sgd",
    lr: float = 0.5,
    epochs: int = 1,
    batch_size: int = 32,
    weight_decay: float = 0.0,
    patience: int = 0,
    seed: int = 0,
) -> list[mlp.EpochRecord]:
    """Train `model` in place with mlp.train at a constant learning rate; the history, one
    record per epoch. A loss that stops being a number ends the history there."""
    history: list[mlp.EpochRecord] = []
    try:
        mlp.train(
            model,
            X,
            labels,
            X_val,
            labels_val,
            loss=mlp.make_loss(loss, 0.0),
            optimizer=mlp.make_optimizer(optimizer, 0.9),
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=lr,
            schedule=mlp.make_schedule("constant"),
            weight_decay=weight_decay,
            rng=np.random.default_rng(seed),
            patience=patience,
            on_epoch=history.append,
        )
    except mlp.TrainingDivergedError as diverged:
        print(f"diverged: {diverged}")
    return history


def accuracy(model: mlp.MLP, X: np.ndarray, labels: np.ndarray) -> float:
    return float((model.predict(X) == labels).mean())


def report(name: str, value: float | str, form: str = ".4f") -> None:
    """Print `name = value`: the form in which a lab's text states what you will see."""
    shown = value if isinstance(value, str) else format(value, form)
    print(f"{name} = {shown}")


def show(figure: plt.Figure, name: str) -> None:
    """Show `figure` in the notebook; run as a command, save it under labs/figures/."""
    if IN_NOTEBOOK:
        plt.show()
        return
    lab = Path(sys.argv[0]).stem
    path = FIGURES / lab / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    print(f"figure: {path.relative_to(ROOT)}")


def pictures(vectors: np.ndarray, titles: list[str] | None = None, columns: int = 10) -> plt.Figure:
    """Each row of `vectors` (784 values) as a 28x28 picture, blue below 0 and red above."""
    rows = -(-len(vectors) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(columns * 0.9, rows * 1.0), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(vectors):
            limit = float(np.abs(vectors[i]).max()) or 1.0
            ax.imshow(vectors[i].reshape(SIDE, SIDE), cmap="bwr", vmin=-limit, vmax=limit)
            if titles:
                ax.set_title(titles[i], fontsize=8)
    return figure


# Every set of controls a lab made, for a test that turns them without a browser.
CONTROLS: list = []


def controls(draw: Callable[..., dict], **choices: list) -> object:
    """Controls, one per keyword, each offering its list of values and starting at `draw`'s
    default for it; whenever one changes, `draw` runs again with their values, and its
    result (the data it plotted) is the widget's `.result`. Run as a command, `draw` runs
    once, with its defaults, and its result is `.result` all the same."""
    if not IN_NOTEBOOK:
        return types.SimpleNamespace(result=draw())
    import ipywidgets

    defaults = inspect.signature(draw).parameters
    widgets = {name: widget_for(name, options, defaults[name].default) for name, options in choices.items()}
    made = ipywidgets.interactive(draw, **widgets)
    CONTROLS.append(made)
    return made


def widget_for(name: str, options: list, value: object) -> object:
    """A slider over numbers, a dropdown over words; redrawn once the mouse lets go."""
    import ipywidgets

    label = name.replace("_", " ")
    if all(isinstance(option, int | float) for option in options):
        return ipywidgets.SelectionSlider(
            options=options, value=value, description=label, continuous_update=False
        )
    return ipywidgets.Dropdown(options=options, value=value, description=label)


def timed(function: Callable[[], object]) -> tuple[object, float]:
    """`function()` and the seconds it took."""
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def shell(command: str, last: int | None = None) -> str:
    """Run `command` in the repository as you would at a terminal, printing it after a `$`
    and then what it printed (its `last` lines only, if given)."""
    print(f"$ {command}")
    result = subprocess.run(command, shell=True, cwd=ROOT, capture_output=True, text=True)
    lines = (result.stdout + result.stderr).rstrip().splitlines()
    shown = lines if last is None else lines[len(lines) - last :]
    if shown:
        print("\n".join(shown))
    if result.returncode:
        raise SystemExit(f"the command above failed (exit {result.returncode})")
    return result.stdout


def pipeline_sweep(key: str, values: list, prefix: str, epochs: int = 2) -> dict[object, float]:
    """One DVC experiment per value of params.yaml's `key` (and `epochs`), queued, run two at
    a time and shown as `dvc exp show` shows them, each command printed as it runs: the
    validation accuracy of each, by value. Experiments of an earlier run are replaced."""
    names = {value: f"{prefix}-{value}" for value in values}
    shell("dvc exp remove -q " + " ".join(names.values()) + " 2>/dev/null || true")
    for value, name in names.items():
        shell(f"dvc exp run --queue -n {name} -S {key}={value} -S epochs={epochs}")
    shell("dvc exp run --run-all -j 2", last=0)
    shell("COLUMNS=150 dvc exp show --no-pager --only-changed")
    shown = json.loads(shell("dvc exp show --json", last=0))
    validation = {
        experiment["name"]: experiment["revs"][0]["data"]["metrics"]["metrics/validation.json"]["data"]
        for commit in shown
        for experiment in commit.get("experiments") or []
    }
    return {value: validation[name]["accuracy"] for value, name in names.items()}
