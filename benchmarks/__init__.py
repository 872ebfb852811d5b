"""Benchmarks the repository carries: run as commands, never as tests.

They compute with the CPU kernels params.yaml selects, as the stages do: importing
`stages` first makes that choice before NumPy loads (stages/kernels.py).
"""

import stages  # noqa: F401
