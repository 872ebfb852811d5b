"""The atomic writer of stages/files.py: all outputs appear together, or none does, and no
temporary is ever left behind."""

from pathlib import Path

import pytest

from numpy_mlp_mnist.files import replaced_on_success


def files_in(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def test_on_success_every_target_is_replaced_and_nothing_else_is_left(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old a")
    with replaced_on_success(tmp_path / "a.txt", tmp_path / "b.txt") as (a, b):
        assert a.parent == tmp_path and a.name.startswith(".a.txt.partial-")
        a.write_text("new a")
        b.write_text("new b")
    assert files_in(tmp_path) == {"a.txt": b"new a", "b.txt": b"new b"}


@pytest.mark.parametrize("failure", [RuntimeError("a failing write"), KeyboardInterrupt()])
def test_a_failure_mid_write_leaves_the_old_outputs_and_no_temporary(
    tmp_path: Path, failure: BaseException
) -> None:
    (tmp_path / "a.txt").write_text("old a")
    targets = (tmp_path / "a.txt", tmp_path / "b.txt")
    with pytest.raises(type(failure)), replaced_on_success(*targets) as (a, _):
        a.write_text("half of the new a")
        raise failure
    assert files_in(tmp_path) == {"a.txt": b"old a"}
