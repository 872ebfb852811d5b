"""The first-party code a module runs: what it imports, directly or through other modules
of this repository, read from the source (ast), as Python would resolve it from the
repository's root."""

import ast
from pathlib import Path

FIRST_PARTY = ("mlp", "numpy_mlp_mnist", "stages", "benchmarks")


def module_file(root: Path, name: str) -> Path | None:
    """The file that module `name` is loaded from, relative to `root`, or None if it is
    not first-party code (or not a module)."""
    if name.split(".")[0] not in FIRST_PARTY:
        return None
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate.relative_to(root)
    return None


def imported_names(source: str) -> set[str]:
    """Every module an `import` or `from ... import` of `source` may load, at any depth
    of the file (a function's own import counts: it runs when the function does). For
    `from a import b`, both a and a.b, since b may be a module."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def with_parents(name: str) -> list[str]:
    """Importing a.b.c runs a/__init__.py and a/b/__init__.py first."""
    parts = name.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts) + 1)]


def import_closure(root: Path, module: str) -> set[Path]:
    """Every first-party file that running `module` (as `python -m module`) loads."""
    seen: set[Path] = set()
    waiting = with_parents(module)
    while waiting:
        path = module_file(root, waiting.pop())
        if path is None or path in seen:
            continue
        seen.add(path)
        for name in imported_names((root / path).read_text()):
            waiting.extend(with_parents(name))
    return seen
