"""The atomic writer of numpy_mlp_mnist/files.py: all outputs appear together, or none
does, no temporary is ever left behind, and each file gets the permissions of the user's
umask, as open() gives them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.repos import REPO

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


STAGES_WRITING = ("prepare", "train", "evaluate", "export")


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_every_file_a_stage_writes_has_the_permissions_of_the_umask(
    workspace: Path, umask: int, mode: int
) -> None:
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    written = [
        workspace / (out if isinstance(out, str) else next(iter(out)))
        for stage in STAGES_WRITING
        for out in stages[stage]["outs"]
    ]
    for stage in STAGES_WRITING:
        subprocess.run(
            [sys.executable, "-m", f"stages.{stage}"], cwd=workspace, check=True, capture_output=True,
            env={"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO)}, preexec_fn=lambda: os.umask(umask),
        )  # fmt: skip
    modes = {str(path.relative_to(workspace)): oct(path.stat().st_mode & 0o777) for path in written}
    assert modes == dict.fromkeys(modes, oct(mode))
