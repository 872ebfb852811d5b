"""Write the student version of the assignment, or of the labs: the lines between each
BEGIN SOLUTION and END SOLUTION marker taken out.

    python -m assignment.student [OUT]          default: backprop_student.py here
    python -m assignment.student --labs FOLDER  the labs, inside the repository

In assignment/backprop.py each solution becomes a line that raises NotImplementedError;
in a lab, the exercise's line `answer = None` above it is left to fill in. The sources
keep their solutions (one source, as nbgrader keeps them); nothing that exists already
is overwritten.
"""

import argparse
import re
import shutil
from pathlib import Path

from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.programs import run_program

REFERENCE = Path(__file__).with_name("backprop.py")
LABS = Path(__file__).resolve().parents[1] / "labs"
SOLUTION = re.compile(r"^(?P<indent> *)### BEGIN SOLUTION\n.*?^(?P=indent)### END SOLUTION\n", re.M | re.S)
STUB = 'raise NotImplementedError("write this part")'


def student_version(source: str, stub: str | None = STUB) -> str:
    """`source` with every solution replaced by `stub` (or taken out, for None)."""
    return SOLUTION.sub(lambda found: f"{found['indent']}{stub}\n" if stub else "", source)


def write(out: Path) -> None:
    if out.exists():
        raise UserError(f"{out}: exists already; expected a new file's name (nothing was written)")
    out.write_text(student_version(REFERENCE.read_text()))
    print(f"{out}: the assignment, {len(SOLUTION.findall(REFERENCE.read_text()))} parts to write")


def write_labs(folder: Path) -> None:
    if folder.exists():
        raise UserError(f"{folder}: exists already; expected a new folder's name (nothing was written)")
    if not any((parent / "dvc.yaml").is_file() for parent in folder.resolve().parents):
        raise UserError(
            f"{folder}: not inside the repository; expected a folder in it, where the labs find the data"
        )
    shutil.copytree(
        LABS, folder, ignore=shutil.ignore_patterns("figures", ".ipynb_checkpoints", "__pycache__")
    )
    labs = sorted(folder.glob("[0-9][0-9]_*.py"))
    for lab in labs:
        lab.write_text(student_version(lab.read_text(), stub=None))
    print(f"{folder}: {len(labs)} labs, their exercises to answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=Path("backprop_student.py"))
    parser.add_argument("--labs", type=Path, metavar="FOLDER", help="write the labs' student version there")
    args = parser.parse_args()
    run_program(lambda: write_labs(args.labs) if args.labs else write(args.out))


if __name__ == "__main__":
    main()
