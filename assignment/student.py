"""Write the student version of the assignment: assignment/backprop.py with the lines
between each BEGIN SOLUTION and END SOLUTION marker replaced by a line that says so.

    python -m assignment.student [OUT]      default: backprop_student.py here

The reference keeps its solutions (one source, as nbgrader keeps them); a file that
exists already is not overwritten.
"""

import argparse
import re
from pathlib import Path

from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.programs import run_program

REFERENCE = Path(__file__).with_name("backprop.py")
SOLUTION = re.compile(r"^(?P<indent> *)### BEGIN SOLUTION\n.*?^(?P=indent)### END SOLUTION\n", re.M | re.S)
STUB = 'raise NotImplementedError("write this part")'


def student_version(source: str) -> str:
    """`source` with every solution replaced by a stub that raises NotImplementedError."""
    return SOLUTION.sub(lambda found: f"{found['indent']}{STUB}\n", source)


def write(out: Path) -> None:
    if out.exists():
        raise UserError(f"{out}: exists already; expected a new file's name (nothing was written)")
    out.write_text(student_version(REFERENCE.read_text()))
    print(f"{out}: the assignment, {len(SOLUTION.findall(REFERENCE.read_text()))} parts to write")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=Path("backprop_student.py"))
    args = parser.parse_args()
    run_program(lambda: write(args.out))


if __name__ == "__main__":
    main()
