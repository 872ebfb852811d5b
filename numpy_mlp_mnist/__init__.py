"""The application around the network: its modules are what its programs (the stages, the
commands and the benchmarks) share, params.yaml, the data and model files, the images
people draw, the scores, the ONNX export, the CPU kernels, the one error a user acts on
(errors) and how every program runs (programs); its subpackage `commands` holds the
programs a person runs by hand, which use the rest and share nothing with each other.

The network itself is the `mlp` package, which knows nothing of these: `mlp.training` is
the training loop; `fit` here only turns params.yaml's values into its arguments.

Importing this package chooses the CPU kernels that NumPy and OpenBLAS compute with, for
the whole process (kernels.py). That is a side effect on purpose: both libraries fix their
kernels when they load, so the choice must come before the first `import numpy`, and a
package's __init__ is what runs first for every stage (`python -m stages.train` imports
stages/__init__.py, which imports this), every console command and every benchmark.
"""

from numpy_mlp_mnist.kernels import select_for_this_process

SELECTED_KERNELS = select_for_this_process()
