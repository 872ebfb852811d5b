"""Every repository path that a comment, a docstring or a YAML comment names exists, as
every path a page names does (test_pages.py): a file moved or renamed leaves no reader
sent to a place that is gone."""

import io
import re
import tokenize

import pytest
from support.pages import PLACEHOLDER, REPO, missing, repository_paths

TOPS = sorted({entry.name for entry in REPO.iterdir() if entry.is_dir()} - {".git", ".venv", "mutants"})
PATH = re.compile(rf"(?<![\w./-])((?:{'|'.join(map(re.escape, TOPS))})/[\w./-]*[\w/])")


def prose_of_python(source: str) -> str:
    """The comments and the string literals written with triple quotes (docstrings)."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT or (token.type == tokenize.STRING and token.string.endswith('"""')):
            found.append(token.string)
    return "\n".join(found)


def prose_of_yaml(source: str) -> str:
    return "\n".join(line.split("#", 1)[1] for line in source.splitlines() if "#" in line)


def named_paths(prose: str) -> list[str]:
    return [path.rstrip("/.") for path in PATH.findall(prose) if not PLACEHOLDER.search(path)]


def stale_paths(prose: str, known: set[str]) -> list[str]:
    return missing(named_paths(prose), known)


def test_a_stale_path_in_a_comment_is_found() -> None:
    source = '"""Reads stages/images.py, then mlp/network.py."""\n# see commands/search_space.py\nx = 1\n'
    known = {"mlp/network.py", "mlp"}
    assert stale_paths(prose_of_python(source), known) == ["stages/images.py"]
    assert stale_paths(prose_of_yaml("study: a   # see numpy_mlp_mnist/gone.py\n"), known) == [
        "numpy_mlp_mnist/gone.py"
    ]


FILES = sorted(
    path
    for path in repository_paths()
    if path.endswith((".py", ".yaml", ".yml", ".toml")) and (REPO / path).is_file()
)


KNOWN = repository_paths()


@pytest.mark.parametrize("name", FILES)
def test_every_path_a_comment_or_docstring_names_exists(name: str) -> None:
    source = (REPO / name).read_text()
    prose = prose_of_python(source) if name.endswith(".py") else prose_of_yaml(source)
    assert stale_paths(prose, KNOWN) == []
