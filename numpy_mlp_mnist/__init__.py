"""What the pipeline's stages, the commands and the benchmarks share: params.yaml, the
data and model files, the images people draw, the scores, the ONNX export, the CPU
kernels, and how each program ends; and the commands themselves (numpy_mlp_mnist.commands).

The network itself is the `mlp` package, which knows nothing of these.

Importing this package chooses the CPU kernels that NumPy and OpenBLAS compute with, for
the whole process (kernels.py). That is a side effect on purpose: both libraries fix their
kernels when they load, so the choice must come before the first `import numpy`, and a
package's __init__ is what runs first for every stage (`python -m stages.train` imports
stages/__init__.py, which imports this), every console command and every benchmark.
"""

from numpy_mlp_mnist.kernels import select_for_this_process

KERNELS = select_for_this_process()
