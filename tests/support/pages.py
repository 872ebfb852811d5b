"""The README and docs/ as a reader meets them: their console blocks, each command with what
it is shown to print, and the comparison of that with what it prints.

In a block fenced as `console`, each `$ ` line is a command and the lines under it are
what it prints (a command ending in a heredoc, `<<'EOF'`, takes the lines up to `EOF` as
its input): each must appear in its output (with whitespace, experiment revisions, times
and tree glyphs set aside), and `...` stands for lines left out. A command shown with no
output must print nothing. A command must succeed unless what it shows holds an `error:`
line. Blocks fenced otherwise (`sh` for what a reader adapts, `text` for a benchmark's
output, which differs on every run) are not run.
"""

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
PAGES = ["README.md", *sorted(f"docs/{page.name}" for page in (REPO / "docs").glob("*.md"))]
# The example paths the pages use, each replaced by a temporary one of the page's own.
EXAMPLE_PATHS = ("/srv/git/numpy-mlp-mnist.git", "/srv/dvc-store", "/home/you")
VOLATILE = (
    (re.compile(r"\b[0-9a-f]{7}\b"), "<rev>"),
    (re.compile(r"\b\d\d:\d\d [AP]M\b|\b[A-Z][a-z]{2} \d\d, \d{4}\b"), "<time>"),
    (re.compile(r"[├└]──"), "──"),
)


@dataclass
class Command:
    line: str
    shown: list[str]


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


def anchors(page: Path) -> set[str]:
    """GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces as -."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


# Paths made while the pipeline or a command runs, named on the pages as places to look.
MADE_AT_RUN_TIME = (
    ".dvc/tmp/",
    "dvc_plots/",
    "mutants/",
    ".venv/",
    "node_modules/",
    "data/raw/",
    "data/prepared/",
    "labs/figures/",
)
PLACEHOLDER = re.compile(r"[A-Z]{2,}|\*|\.\.\.|<|\{|NUMBER")


def repository_paths() -> set[str]:
    """Every file git tracks, its folders, and every output dvc.yaml declares."""
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    pipeline = yaml.safe_load((REPO / "dvc.yaml").read_text())
    outs = [next(iter(out)) if isinstance(out, dict) else out
            for stage in pipeline["stages"].values() for out in stage.get("outs", [])]  # fmt: skip
    paths = set(tracked) | set(outs)
    return paths | {str(parent) for path in paths for parent in Path(path).parents if str(parent) != "."}


def missing(paths: list[str], known: set[str]) -> list[str]:
    """The paths among `paths` that are neither in `known` nor made at run time."""
    return [path for path in paths if path not in known and not (path + "/").startswith(MADE_AT_RUN_TIME)]
