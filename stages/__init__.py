"""The pipeline's stages, run by dvc.yaml as `python -m stages.NAME`: check, fetch,
prepare, train, evaluate and export, one thin module each, and the MNIST sources that
fetch reads (stages/sources/). What they share is the numpy_mlp_mnist package.

Imported first, before any stage module's own imports, so the CPU kernels are chosen
before NumPy loads (numpy_mlp_mnist/__init__.py).
"""

import numpy_mlp_mnist  # noqa: F401
