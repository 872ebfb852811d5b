"""Stage 1, fetch: the 70,000 MNIST images and labels as canonical uint8 arrays in data/raw/.

Whatever the source, the arrays must hash to canonical MNIST before anything is
written, so DVC's hashes downstream never depend on where the data came from.
"""

from pathlib import Path

import numpy as np

from numpy_mlp_mnist import layout
from numpy_mlp_mnist.data_params import DataParams, load_data_params
from numpy_mlp_mnist.files import replaced_on_success, write_npy
from numpy_mlp_mnist.programs import run_stage
from stages.sources import canonical, idx, openml, pypi
from stages.sources.download import Policy


def load_source(params: DataParams) -> dict[str, np.ndarray]:
    if params.source == "pypi":
        return pypi.load()
    if params.source == "openml":
        return openml.load()
    policy = Policy(timeout=params.download_timeout, attempts=params.download_attempts)
    return idx.load(params.idx_mirrors or idx.PUBLIC_MIRRORS, params.idx_dir, policy)


def fetch(
    arrays: dict[str, np.ndarray],
    origin: str,
    out_dir: Path,
    expected: dict[str, canonical.Expected] = canonical.CANONICAL,
) -> None:
    """Verify that `arrays` are the `expected` data, then write them to `out_dir`."""
    canonical.verify(arrays, origin=origin, expected=expected)
    names = list(expected)
    with replaced_on_success(*(layout.array_path(out_dir, name) for name in names)) as temporaries:
        for name, temporary in zip(names, temporaries, strict=True):
            write_npy(temporary, arrays[name])
    print(
        f"fetch: {origin}: {len(arrays['train_labels'])} training and "
        f"{len(arrays['test_labels'])} test images, hashes verified"
    )


def main() -> None:
    def work() -> None:
        params = load_data_params()
        fetch(load_source(params), f"source {params.source!r}", layout.RAW_DIR)

    run_stage(work)


if __name__ == "__main__":
    main()
