"""Run every lab (or those named) as a plain command, offline, and check that it prints
each number its text says you will see.

    python labs/verify.py            every lab, in order
    python labs/verify.py 04 07      the labs whose names start so

A lab's text states a number as `name = value` in backquotes, the very line the lab
prints through labkit.report. Each lab runs in a process of its own from the
repository's root, with every connection past this machine refused (labs/offline/);
one line a lab, with its time; exit 1 if any stated number is not printed, a lab fails,
a lab (or a program it starts) tried to reach the network, or a lab's own solution to
an exercise is not right.
"""

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LABS = Path(__file__).resolve().parent
ROOT = LABS.parent
CLAIM = re.compile(r"[^=]+ = [^=]+")


def lab_files(prefixes: list[str]) -> list[Path]:
    labs = sorted(path for path in LABS.glob("[0-9][0-9]_*.py"))
    return [lab for lab in labs if not prefixes or lab.name.startswith(tuple(prefixes))]


def markdown(source: str) -> str:
    """The text of a lab's markdown cells (jupytext's percent format), without the '# '."""
    text, in_markdown = [], False
    for line in source.splitlines():
        if line.startswith("# %%"):
            in_markdown = "[markdown]" in line
        elif in_markdown and line.startswith("#"):
            text.append(line[2:])
    return "\n".join(text)


def claims(lab: Path) -> list[str]:
    """Every `name = value` the lab's text states, in order."""
    quoted = re.findall(r"`([^`]*)`", markdown(lab.read_text()).replace("\n", " "))
    return [text for text in quoted if CLAIM.fullmatch(text)]


def run(lab: Path, network_log: Path) -> tuple[subprocess.CompletedProcess, float]:
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(LABS / "offline"), os.environ.get("PYTHONPATH")])),
        "LABS_OFFLINE_LOG": str(network_log),
        "MPLBACKEND": "Agg",
        "DVC_NO_ANALYTICS": "1",
    }
    start = time.perf_counter()
    result = subprocess.run([sys.executable, str(lab)], cwd=ROOT, env=env, capture_output=True, text=True)
    return result, time.perf_counter() - start


def problems(lab: Path, result: subprocess.CompletedProcess, network_log: Path) -> list[str]:
    found = []
    if result.returncode:
        last = (result.stderr.strip().splitlines() or ["(nothing on stderr)"])[-1]
        found.append(f"exited with {result.returncode}: {last}")
    if network_log.exists():
        found += [f"reached past the machine: {line}" for line in network_log.read_text().splitlines()]
    printed = set(result.stdout.splitlines())
    found += [f"states `{claim}`, which it did not print" for claim in claims(lab) if claim not in printed]
    if "### BEGIN SOLUTION" in lab.read_text():  # the labs' own: each exercise's solution is right
        found += [
            f"its solution is not: {line}" for line in printed if line.startswith(("Not yet", "Not answered"))
        ]
    return found


def main() -> None:
    failed = False
    with tempfile.TemporaryDirectory() as scratch:
        for lab in lab_files(sys.argv[1:]):
            network_log = Path(scratch) / f"{lab.stem}.network"
            result, seconds = run(lab, network_log)
            found = problems(lab, result, network_log)
            print(
                f"{lab.stem}: {len(claims(lab))} numbers as stated, {seconds:.1f} s"
                if not found
                else "\n".join(f"{lab.stem}: {problem}" for problem in found)
            )
            failed |= bool(found)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
