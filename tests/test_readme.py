"""The README and docs/, run as a new user would: every console block, page after page,
top to bottom, in one fresh clone.

In a block fenced as `console`, each `$ ` line is a command and the lines under it are
what it prints (a command ending in a heredoc, `<<'EOF'`, takes the lines up to `EOF`
as its input): each must appear in its output (with whitespace,
experiment revisions, times and tree glyphs set aside), and `...` stands for lines left
out. A command shown with no output must print nothing. A command must succeed unless
what it shows holds an `error:` line. The README's example paths are replaced by
temporary ones, and its two set-up commands by nothing: this suite's environment is
that set-up. Blocks fenced otherwise (the test command, the speed benchmarks, whose
timings differ on every run) are not run here.
"""

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO, environment, make_copy

pytestmark = pytest.mark.slow  # left out by the fast subset: pytest -m 'not slow'

SET_UP = {
    "python3 -m venv .venv && . .venv/bin/activate": "true",
    "pip install -q -c constraints.txt -e . && ": "",
}
VOLATILE = (
    (re.compile(r"\b[0-9a-f]{7}\b"), "<rev>"),
    (re.compile(r"\b\d\d:\d\d [AP]M\b|\b[A-Z][a-z]{2} \d\d, \d{4}\b"), "<time>"),
    (re.compile(r"[├└]──"), "──"),
)


@dataclass
class Command:
    line: str
    shown: list[str]


# The pages in the order they are run: each goes on from the state the one before left.
DOCUMENTS = [
    "README.md", "docs/workflow.md", "docs/search.md", "docs/predict-and-draw.md", "docs/network.md",
    "docs/learning.md", "docs/engine.md", "docs/onnx.md", "docs/mnist.md", "docs/reproducibility.md",
    "docs/speed.md", "docs/reliability.md", "docs/tests.md",
]  # fmt: skip


def console_commands(text: str) -> list[Command]:
    """Every command of a page's console blocks, in order, with what it is shown to print."""
    commands: list[Command] = []
    for block in re.findall(r"^```console\n(.*?)^```", text, flags=re.S | re.M):
        lines = iter(block.splitlines())
        for line in lines:
            heredoc = re.search(r"<<'(\w+)'$", line)
            if line.startswith("$ ") and heredoc:
                body = list(iter(lines.__next__, heredoc[1]))
                commands.append(Command("\n".join([line[2:], *body, heredoc[1]]), []))
            elif line.startswith("$ "):
                commands.append(Command(line[2:], []))
            else:
                commands[-1].shown.append(line)
    return commands


def test_every_page_of_the_docs_is_run() -> None:
    assert sorted(DOCUMENTS) == sorted(
        ["README.md", *(f"docs/{page.name}" for page in (REPO / "docs").glob("*.md"))]
    )


def test_a_heredoc_is_the_commands_input() -> None:
    page = "```console\n$ python - <<'EOF'\nprint(1)\nEOF\n1\n$ true\n```\n"
    assert console_commands(page) == [Command("python - <<'EOF'\nprint(1)\nEOF", ["1"]), Command("true", [])]


def replaced(text: str, replacements: dict[str, str]) -> str:
    for example, replacement in replacements.items():
        text = text.replace(example, replacement)
    return text


def normalised(line: str) -> str:
    for pattern, replacement in VOLATILE:
        line = pattern.sub(replacement, line)
    return " ".join(line.split())


def check(command: Command, output: str, returncode: int) -> None:
    printed = [normalised(line) for line in output.splitlines()]
    context = f"$ {command.line}\n(exit status {returncode})\n{output}"
    expected = [normalised(line) for line in command.shown if line.strip() and line.strip() != "..."]
    if not command.shown:
        assert not "".join(printed), f"printed what the page does not show:\n{context}"
    for line in expected:
        assert any(line in actual for actual in printed), f"did not print {line!r}:\n{context}"
    failing = any(line.startswith("error:") for line in expected)
    assert (returncode != 0) == failing, f"exit status {returncode} is not what the page shows:\n{context}"


def test_every_console_block_of_the_readme_runs_as_written(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    bare = tmp_path / "git" / "numpy-mlp-mnist.git"
    source = make_copy(tmp_path / "source", epochs=30)
    subprocess.run(["git", "clone", "-q", "--bare", str(source), str(bare)], check=True)
    paths = {
        "/srv/git/numpy-mlp-mnist.git": str(bare),
        "/srv/dvc-store": str(tmp_path / "dvc-store"),
        "/home/you": str(home),
    }
    git_identity = {
        f"GIT_{role}_{field}": value
        for role in ("AUTHOR", "COMMITTER")
        for field, value in (("NAME", "README reader"), ("EMAIL", "reader@example.invalid"))
    }
    commands = [command for page in DOCUMENTS for command in console_commands((REPO / page).read_text())]
    assert len(commands) > 30, "the console blocks were not found"

    folder, where = home, tmp_path / "cwd"
    for command in commands:
        shown = [replaced(line, paths) for line in command.shown]
        here = Command(replaced(command.line, SET_UP | paths), shown)
        script = f'cd "{folder}" || exit 99\n{here.line}\nstatus=$?\npwd > "{where}"\nexit $status\n'
        result = subprocess.run(
            ["bash", "-c", script], env=environment() | git_identity, capture_output=True, text=True,
            timeout=1200,
        )  # fmt: skip
        check(here, result.stdout + result.stderr, result.returncode)
        folder = Path(where.read_text().strip())


@pytest.mark.parametrize(
    ("shown", "printed", "returncode", "passes"),
    [
        (["pipelines are up to date."], "Stage 'x' skipped\nData and pipelines are up to date.\n", 0, True),
        (["pipelines are up to date."], "Running stage 'train':\n", 0, False),
        ([], "", 0, True),
        ([], "something\n", 0, False),
        (["..."], "anything at all\n", 0, True),
        (["error: params.yaml: unknown key"], "error: params.yaml: unknown key 'hiden'\n", 2, True),
        (["error: params.yaml: unknown key"], "error: params.yaml: unknown key 'hiden'\n", 0, False),
        (["done"], "done\n", 1, False),
        (["├── ad78e28 [wider]   04:34 AM   0.9866"], "└── 1234abc [wider] 11:02 PM 0.9866\n", 0, True),
        (["├── ad78e28 [wider]   04:34 AM   0.9866"], "└── 1234abc [wider] 11:02 PM 0.9865\n", 0, False),
    ],
)  # fmt: skip
def test_the_comparison_itself(shown: list[str], printed: str, returncode: int, passes: bool) -> None:
    command = Command("example", shown)
    if passes:
        check(command, printed, returncode)
    else:
        with pytest.raises(AssertionError):
            check(command, printed, returncode)


def anchors(page: Path) -> set[str]:
    """GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces as -."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_every_link_between_the_pages_resolves() -> None:
    broken = []
    for name in DOCUMENTS:
        page = REPO / name
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if target.startswith(("http://", "https://")):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists() or (anchor and anchor not in anchors(linked)):
                broken.append(f"{name}: {target}")
    assert not broken, "links that lead nowhere:\n" + "\n".join(broken)
