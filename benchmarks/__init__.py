"""Benchmarks the repository carries: run as commands, never as tests.

They compute with the CPU kernels params.yaml selects, as the stages do: importing
numpy_mlp_mnist first makes that choice before NumPy loads (numpy_mlp_mnist/kernels.py).
"""

import numpy_mlp_mnist  # noqa: F401
