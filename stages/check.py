"""Stage 0, check: every key of params.yaml known and every value allowed, before any work.

It depends on the whole of params.yaml, so DVC runs it whenever any key changes, an
added or misspelt one included, which no other stage would notice: each of them
depends on the keys it reads, and DVC does not look at the others.
"""

from numpy_mlp_mnist.params import RULES, load_params
from numpy_mlp_mnist.programs import run_stage


def main() -> None:
    def work() -> None:
        load_params()
        print(f"check: params.yaml: all {len(RULES)} keys known and valid")

    run_stage(work)


if __name__ == "__main__":
    main()
