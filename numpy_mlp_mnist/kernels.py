"""Which CPU kernels NumPy and OpenBLAS compute with: the same ones on every x86-64 CPU.

Both libraries choose their kernels once, when they load, from the CPU they find. An
AVX-512 machine then multiplies and sums in other orders than an AVX2 one and rounds
differently, so the trained model's bytes, and DVC's hashes, would depend on the CPU.
Pinned, both run their AVX2+FMA kernels (OpenBLAS's Haswell, NumPy's X86_V3 level),
which every x86-64 CPU since about 2015 has: the same bits on Intel and AMD alike.

The choice is made when the numpy_mlp_mnist package is first imported, before any
stage, command or benchmark imports NumPy (numpy_mlp_mnist/__init__.py), so this module
must not import NumPy itself. A CPU without those instructions, or another architecture,
keeps its native kernels (forcing them would crash it), and the stages say in one line
that its hashes will not match the committed ones. A process that loaded NumPy before
the choice could be made cannot have the kernels it asked for: its stage or command
stops with one line (`check_chosen`), where a library user's process goes on.
"""

import os
import platform
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

import yaml

CHOICES = ("pinned", "native")
PINNED_ENVIRONMENT = {"OPENBLAS_CORETYPE": "Haswell", "NPY_ENABLE_CPU_FEATURES": "X86_V3"}
# NumPy refuses to load when this is set beside NPY_ENABLE_CPU_FEATURES.
CONFLICTING = ("NPY_DISABLE_CPU_FEATURES",)
# x86-64-v3, as /proc/cpuinfo names it (abm is LZCNT): what NumPy's X86_V3 level and
# OpenBLAS's Haswell kernels execute.
X86_V3_FLAGS = ("avx", "avx2", "bmi1", "bmi2", "abm", "f16c", "fma", "movbe")


def choice_in(params_path: Path) -> str:
    """The `kernels` value of params.yaml, or "pinned" if it cannot be read (load_params
    reports a bad file or value later, in its own words)."""
    try:
        document = yaml.safe_load(params_path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return "pinned"
    choice = document.get("kernels") if isinstance(document, dict) else None
    return choice if choice in CHOICES else "pinned"


def missing_x86_v3_flags(cpuinfo: str) -> list[str]:
    """The x86-64-v3 flags absent from the first `flags` line of /proc/cpuinfo's text."""
    for line in cpuinfo.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "flags":
            present = set(value.split())
            return [flag for flag in X86_V3_FLAGS if flag not in present]
    return list(X86_V3_FLAGS)


def why_not_pinnable(machine: str, cpuinfo_path: Path) -> str | None:
    """Why this computer cannot run the pinned kernels, or None if it can."""
    if machine not in ("x86_64", "AMD64"):
        return f"this is an {machine} CPU, not x86-64"
    try:
        cpuinfo = cpuinfo_path.read_text()
    except OSError:
        return f"{cpuinfo_path} cannot be read to check the CPU's instructions"
    missing = missing_x86_v3_flags(cpuinfo)
    if missing:
        return f"this CPU lacks {', '.join(missing)}"
    return None


def select(choice: str, environ: MutableMapping[str, str], machine: str, cpuinfo_path: Path) -> str | None:
    """Set `environ` so that NumPy and OpenBLAS load the kernels `choice` names.

    Returns None when that is done, or the one line to tell the user when the pinned
    kernels cannot be used and the native ones run instead.
    """
    if choice == "native":
        return None
    reason = why_not_pinnable(machine, cpuinfo_path)
    if reason is not None:
        return (
            f"note: {reason}, so NumPy and OpenBLAS run this computer's native kernels: the results are "
            "valid, but their hashes will differ from the committed dvc.lock"
        )
    for name in CONFLICTING:
        environ.pop(name, None)
    environ.update(PINNED_ENVIRONMENT)
    return None


@dataclass(frozen=True)
class Selection:
    """What this process asked for and got."""

    choice: str  # params.yaml's `kernels`
    note: str | None  # the line to print where the pinned kernels cannot run here
    numpy_was_loaded: bool  # NumPy had fixed its kernels before they could be chosen


def select_for_this_process(params_path: Path = Path("params.yaml")) -> Selection:
    """select() the kernels params.yaml asks for, unless NumPy has loaded already (once it
    has, its kernels are fixed: fine for a test or a notebook that imports the package,
    not for a stage, which check_chosen stops)."""
    choice = choice_in(params_path)
    if "numpy" in sys.modules:
        return Selection(choice, None, numpy_was_loaded=True)
    note = select(choice, os.environ, platform.machine(), Path("/proc/cpuinfo"))
    return Selection(choice, note, numpy_was_loaded=False)


def check_chosen(selection: Selection) -> str | None:
    """Why this process cannot compute with the kernels it asked for, or None."""
    if selection.choice == "pinned" and selection.numpy_was_loaded:
        return (
            "NumPy was loaded before the CPU kernels could be pinned, so this process computes with "
            "whatever kernels it found; start it as dvc.yaml does (python -m stages.NAME), with nothing "
            "importing NumPy first, or set kernels: native in params.yaml"
        )
    return None
