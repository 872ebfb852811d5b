"""The way back to the last commit (README: `git read-tree HEAD && git checkout -- . && dvc
checkout`) really gets there: after experiments that succeeded, failed, were interrupted
or applied, every tracked file holds HEAD's bytes, and git and DVC say so.

Why `read-tree` first: DVC's workspace experiments write git's index through two
libraries. libgit2 records a file's stat and, within the same second, rewrites the file
with other content of the same size; git would notice (an entry as new as the index is
"racily clean" and gets its content compared), but dulwich then rewrites the index a
second later without marking such entries, as git does, and from then on git trusts the
stale stat: `git status` calls the file clean and `git checkout -- .` skips it.
`read-tree HEAD` rebuilds the index without any stat, so checkout compares every file.
"""

import math
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from support.repos import clone_with_outputs, environment, run, tracked_files
from support.signals import ctrl_c_reaches_it

pytestmark = pytest.mark.slow  # left out by the fast subset: pytest -m 'not slow'

WAY_BACK = "git read-tree HEAD && git checkout -- . && dvc checkout"
OLD_WAY_BACK = "git checkout -- . && dvc checkout"


@pytest.fixture
def repo(tmp_path: Path, trained_repo: Path) -> Path:
    """A clone of the trained 2-epoch repository, its outputs from the shared DVC cache."""
    return clone_with_outputs(trained_repo, tmp_path / "clone")


def shell(repo: Path, command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, shell=True, cwd=repo, env=environment(), capture_output=True, text=True)


def differing_from_head(repo: Path) -> list[str]:
    """Tracked files whose bytes are not HEAD's."""
    return [
        name
        for name in tracked_files(repo)
        if (repo / name).read_bytes() != subprocess.run(
            ["git", "show", f"HEAD:{name}"], cwd=repo, capture_output=True, check=True
        ).stdout
    ]  # fmt: skip


def assert_at_head(repo: Path) -> None:
    assert differing_from_head(repo) == []
    assert run(repo, "git", "status", "--porcelain") == ""
    assert "Data and pipelines are up to date." in run(repo, "dvc", "status")


def test_after_a_run_a_failed_run_and_an_apply_the_way_back_restores_every_byte(repo: Path) -> None:
    run(repo, "dvc", "exp", "run", "-n", "one-epoch", "-S", "epochs=1")
    assert "metrics/test.json" in differing_from_head(repo)
    assert shell(repo, "dvc exp run -S loss=mse").returncode != 0  # refused by the params check
    run(repo, "dvc", "exp", "apply", "one-epoch")
    assert shell(repo, WAY_BACK).returncode == 0
    assert_at_head(repo)


def test_after_an_experiment_interrupted_with_ctrl_c_the_way_back_restores_every_byte(repo: Path) -> None:
    run(repo, "dvc", "exp", "run", "-S", "epochs=1")
    experiment = subprocess.Popen(
        ["dvc", "exp", "run", "-S", "epochs=40"], cwd=repo, env=environment(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        preexec_fn=ctrl_c_reaches_it,
    )  # fmt: skip
    for line in experiment.stdout:
        if line.startswith("epoch  3/40"):  # well into training
            os.killpg(experiment.pid, signal.SIGINT)  # Ctrl-C: to DVC and the stage it runs
            break
    experiment.communicate(timeout=120)
    assert experiment.returncode != 0
    assert shell(repo, WAY_BACK).returncode == 0
    assert_at_head(repo)


def stale_index(repo: Path, name: str) -> None:
    """What DVC's experiment machinery can leave, made on purpose: `name`'s index entry
    holds HEAD's blob with the stat of the file's current, other bytes, and git trusts it."""
    from dulwich import porcelain
    from dulwich.repo import Repo

    path = repo / name
    content = path.read_bytes()
    time.sleep(math.ceil(time.time()) - time.time() + 0.05)  # early in a fresh second
    path.write_bytes(subprocess.run(["git", "show", f"HEAD:{name}"], cwd=repo, capture_output=True).stdout)
    porcelain.add(str(repo), [str(path)])
    path.write_bytes(content)  # within the same second
    time.sleep(1.1)
    Repo(str(repo)).open_index().write()


def test_a_stale_index_fools_git_and_the_old_way_back_but_not_this_one(repo: Path) -> None:
    run(repo, "dvc", "exp", "run", "-S", "epochs=1")
    name = "params.yaml"  # "epochs: 1" where HEAD has "epochs: 2": the same size
    stale_index(repo, name)
    assert name not in run(repo, "git", "status", "--porcelain")  # git is fooled
    assert shell(repo, OLD_WAY_BACK).returncode == 0
    assert name in differing_from_head(repo)  # and the old way back leaves the experiment's bytes
    assert shell(repo, WAY_BACK).returncode == 0
    assert_at_head(repo)


def test_the_readme_gives_this_way_back() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert f"$ {WAY_BACK}" in readme and f"$ {OLD_WAY_BACK}" not in readme
