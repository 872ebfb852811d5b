"""The README and every page of docs/, each run as its reader meets it: alone, in a fresh
clone of its own, in an environment that the README's set-up commands made and nothing
else (not this suite's).

The README runs first, every command as written, its set-up included: `python3 -m venv
.venv` and `pip install -c constraints.txt -e .` make the environment that every other
page then uses, as a reader who set up once and opens any page. Each page gets a clone of
its own from a pristine copy of the team's repository (its pushes and tags reach no other
page), its own DVC remote and home folder, and the README's set-up, `dvc repro`, before its
first command; all share one DVC cache, so that set-up restores the outputs rather than
training again. The environment's editable install binds its commands (`mlp-predict`,
`mlp-search`, ...) to the README's clone, which is the same commit as every page's, so a
page's commands run the code the page's clone holds. What a page installs beyond the
set-up (onnxruntime, pytest, the labs extra from its own clone) it says in a command the
runner runs, and it is undone after the page, the editable install bound to the README's
clone again: nothing leaks into another. The example paths are replaced
by temporary ones of the page's own: the team's repository at
/srv/git/numpy-mlp-mnist.git, the DVC remote at /srv/dvc-store, the reader's home at
/home/you.
"""

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.pages import EXAMPLE_PATHS, PAGES, REPO, Command, check, console_commands, replaced
from support.repos import make_copy

pytestmark = pytest.mark.slow  # left out by the fast subset: pytest -m 'not slow'

GIT_IDENTITY = {
    f"GIT_{role}_{field}": value
    for role in ("AUTHOR", "COMMITTER")
    for field, value in (("NAME", "A reader"), ("EMAIL", "reader@example.invalid"))
}


@dataclass
class Reader:
    """What the README's set-up left: the environment's commands, the DVC cache, and the
    team's repository as it was before any page pushed to it."""

    bin_dir: Path
    cache: Path
    pristine: Path
    failure: str | None = None  # the README's own, if it did not run as written


def environment(bin_dir: Path, home: Path) -> dict[str, str]:
    """A reader's shell: the environment's commands first, then the system's; nothing of this suite's."""
    suite_bin = str(Path(sys.executable).parent)
    system_path = os.pathsep.join(part for part in os.environ["PATH"].split(os.pathsep) if part != suite_bin)
    kept = {name: os.environ[name] for name in ("LANG", "TMPDIR", "TERM") if name in os.environ}
    return kept | GIT_IDENTITY | {
        "PATH": f"{bin_dir}{os.pathsep}{system_path}", "HOME": str(home), "DVC_NO_ANALYTICS": "1",
    }  # fmt: skip


def run_commands(commands: list[Command], folder: Path, env: dict[str, str], paths: dict[str, str]) -> None:
    """Each command in turn in a shell of its own, from the folder the last one ended in."""
    where = folder.parent / ".cwd"
    for command in commands:
        here = Command(replaced(command.line, paths), [replaced(line, paths) for line in command.shown])
        script = f'cd "{folder}" || exit 99\n{here.line}\nstatus=$?\npwd > "{where}"\nexit $status\n'
        result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=1200)
        check(here, result.stdout + result.stderr, result.returncode)
        folder = Path(where.read_text().strip())


def team_repository(folder: Path, pristine: Path) -> dict[str, str]:
    """A copy of the team's repository, a DVC remote and a home: the example paths, for one page."""
    bare = folder / "git" / "numpy-mlp-mnist.git"
    shutil.copytree(pristine, bare, symlinks=True)
    (folder / "home").mkdir()
    return dict(zip(EXAMPLE_PATHS, (str(bare), str(folder / "dvc-store"), str(folder / "home")), strict=True))


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Reader:
    """The README, run as written in a fresh clone; its set-up is every other page's."""
    folder = tmp_path_factory.mktemp("readme")
    source = make_copy(folder / "source", epochs=30)
    pristine = folder / "pristine.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(source), str(pristine)], check=True)
    paths = team_repository(folder, pristine)
    home = Path(paths["/home/you"])
    clone = home / "numpy-mlp-mnist"
    found = Reader(clone / ".venv" / "bin", clone / ".dvc" / "cache", pristine)
    try:
        run_commands(
            console_commands((REPO / "README.md").read_text()), home, environment(found.bin_dir, home), paths
        )
    except AssertionError as failure:
        found.failure = str(failure)
    return found


def test_the_readme_runs_as_written_and_its_set_up_makes_the_environment(reader: Reader) -> None:
    assert reader.failure is None, reader.failure
    assert (reader.bin_dir / "mlp-predict").exists() and (reader.bin_dir / "dvc").exists()


@dataclass(frozen=True)
class Installed:
    packages: set[str]  # `pip freeze`'s lines, this project's left out
    project: str  # the folder this project is installed from, editable


def pip(bin_dir: Path, *arguments: str) -> str:
    """The environment's pip; what it prints."""
    done = subprocess.run([str(bin_dir / "pip"), *arguments], capture_output=True, text=True, check=True)
    return done.stdout


def installed(bin_dir: Path) -> Installed:
    shown = pip(bin_dir, "show", "numpy-mlp-mnist").splitlines()
    project = dict(line.split(": ", 1) for line in shown if ": " in line)["Editable project location"]
    return Installed(set(pip(bin_dir, "freeze", "--exclude-editable").split()), project)


@pytest.mark.parametrize("page", [page for page in PAGES if page != "README.md"])
def test_every_page_runs_alone_after_the_readmes_set_up(reader: Reader, page: str, tmp_path: Path) -> None:
    if reader.failure:
        pytest.skip("the README's set-up did not run; its own test says why")
    commands = console_commands((REPO / page).read_text())
    if not commands:
        pytest.skip(f"{page} shows no command to run")
    paths = team_repository(tmp_path, reader.pristine)
    home = Path(paths["/home/you"])
    env = environment(reader.bin_dir, home)
    clone = home / "numpy-mlp-mnist"
    set_up = [
        f"git clone -q {paths['/srv/git/numpy-mlp-mnist.git']} {clone}",
        f"dvc cache dir --local {reader.cache} && dvc config --local cache.type hardlink,copy",
        "dvc repro -q",
    ]
    for line in set_up:
        subprocess.run(["bash", "-c", line], cwd=clone if clone.exists() else home, env=env, check=True,
                       capture_output=True)  # fmt: skip
    before = installed(reader.bin_dir)
    try:
        run_commands(commands, clone, env, paths)
    finally:
        restore(reader.bin_dir, before)


def restore(bin_dir: Path, before: Installed) -> None:
    """The environment as the README's set-up left it: what a page added uninstalled, what it
    changed put back, and this project installed from the README's clone again, not from the
    page's, which goes with the page's folder."""
    after = installed(bin_dir)
    names_before = {requirement.split("==")[0] for requirement in before.packages}
    added = [requirement.split("==")[0] for requirement in after.packages - before.packages]
    if gone := [name for name in added if name not in names_before]:
        pip(bin_dir, "uninstall", "-q", "-y", *gone)
    if changed := [requirement for requirement in before.packages - after.packages]:
        pip(bin_dir, "install", "-q", "--no-deps", *changed)
    if after.project != before.project:
        pip(bin_dir, "install", "-q", "--no-deps", "-e", before.project)


def test_the_installed_distribution_has_only_names_of_its_own(reader: Reader, tmp_path: Path) -> None:
    """`pip install -e .` installs the engine and numpy_mlp_mnist, not `stages` or `commands`:
    names any other project may use. The stages run from the repository, as dvc.yaml runs them."""
    env = environment(reader.bin_dir, tmp_path)
    for name, found in (("mlp", True), ("numpy_mlp_mnist", True), ("stages", False), ("commands", False)):
        result = subprocess.run(
            ["python", "-c", f"import {name}"], cwd=tmp_path, env=env, capture_output=True
        )
        assert (result.returncode == 0) == found, (name, result.stderr)
