"""The pages themselves, without running them: every page is run (test_docs.py), every link
and every repository path a page names leads somewhere, every count the prose quotes is
the code's own, and the comparison of shown and printed output can fail."""

import re

import pytest
from support.pages import (
    PAGES,
    PLACEHOLDER,
    REPO,
    Command,
    anchors,
    check,
    console_commands,
    missing,
    repository_paths,
)


def test_every_page_is_run_by_the_runner() -> None:
    assert PAGES[0] == "README.md" and len(PAGES) == 1 + len(list((REPO / "docs").glob("*.md")))


def test_a_heredoc_is_the_commands_input() -> None:
    page = "```console\n$ python - <<'EOF'\nprint(1)\nEOF\n1\n$ true\n```\n"
    assert console_commands(page) == [Command("python - <<'EOF'\nprint(1)\nEOF", ["1"]), Command("true", [])]


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


def test_every_link_between_the_pages_resolves() -> None:
    broken = []
    for name in PAGES:
        page = REPO / name
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if target.startswith(("http://", "https://")):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists() or (anchor and anchor not in anchors(linked)):
                broken.append(f"{name}: {target}")
    assert not broken, "links that lead nowhere:\n" + "\n".join(broken)


def named_paths(text: str) -> list[str]:
    """The repository paths a page names, in backticks or as link targets (without anchors)."""
    tops = {entry.name for entry in REPO.iterdir()} - {".git", ".venv"}
    found = []
    for token in re.findall(r"`([^`\s]+)`", text) + re.findall(r"\]\(([^)\s#]+)", text):
        path = re.sub(r"^(\.\./)+", "", token).rstrip("/")
        if path.split("/")[0] in tops and not PLACEHOLDER.search(path) and ":" not in path:
            found.append(path)
    return found


def paths_that_do_not_exist(text: str) -> list[str]:
    return missing(named_paths(text), repository_paths())


def test_a_path_that_does_not_exist_is_found() -> None:
    page = "The same code, `stages/images.py`, and [the draw server](../numpy_mlp_mnist/commands/draw.py)."
    assert paths_that_do_not_exist(page) == ["stages/images.py"]


@pytest.mark.parametrize("page", PAGES)
def test_every_repository_path_a_page_names_exists(page: str) -> None:
    assert paths_that_do_not_exist((REPO / page).read_text()) == []


def entries_of(test_module: str, table: str) -> int:
    """The entries of a test module's table of cases, one a line: `    "name": (...`."""
    source = (REPO / "tests" / test_module).read_text()
    body = source.split(f"\n{table}", 1)[1].split("\n}", 1)[0]
    return len(re.findall(r'^    "[^"]+": ', body, flags=re.M))


# Every count of tests, cases or mutants the prose quotes, and how the runner computes it.
COUNTS = {
    "bad-input cases": (
        r"\*\*(\d+) cases\*\*",
        lambda: entries_of("test_bad_inputs.py", "CASES: dict[str, Case] = {"),
    ),
    "mlp-search's bad inputs": (
        r"and\s+(\d+)\s+bad inputs\s+through the real command",
        lambda: entries_of("test_search.py", "BAD = {"),
    ),
}
# A number (not part of a version or a decimal), then up to two words, then what it counts.
COUNT_WORDS = re.compile(
    r"(?<![\d.,])(\d+(?:,\d{3})*)\s+(?:[\w-]+\s+){0,2}?(?:tests|cases|mutants|bad inputs)\b"
)


def counts_that_drift(text: str) -> list[str]:
    """Counts the prose quotes that are not the code's, or that no rule computes."""
    problems, computed = [], set()
    for name, (pattern, compute) in COUNTS.items():
        for match in re.finditer(pattern, text):
            computed.add(match.start(1))
            if int(match[1]) != compute():
                problems.append(f"{name}: the page says {match[1]}, the code has {compute()}")
    problems += [f"{match[0]!r}: a count no rule computes" for match in COUNT_WORDS.finditer(text)
                 if match.start(1) not in computed]  # fmt: skip
    return problems


def test_a_count_that_drifted_or_is_not_computed_is_found() -> None:
    actual = entries_of("test_bad_inputs.py", "CASES: dict[str, Case] = {")
    page = f"The catalogue holds **{actual - 6} cases**, and the whole suite 407 tests."
    assert counts_that_drift(page) == [
        f"bad-input cases: the page says {actual - 6}, the code has {actual}",
        "'407 tests': a count no rule computes",
    ]


@pytest.mark.parametrize("page", PAGES)
def test_every_count_the_prose_quotes_is_the_codes_own(page: str) -> None:
    assert counts_that_drift((REPO / page).read_text()) == []
