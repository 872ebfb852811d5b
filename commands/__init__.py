"""The commands a person runs by hand, beside the pipeline: mlp-predict, mlp-draw (with its
page, draw.html) and mlp-search (with search.yaml), and what only they share: images.py.

The stages package is imported first so that the commands compute with the CPU kernels
the stages choose, which must be chosen before NumPy loads (stages/__init__.py).
"""

import stages  # noqa: F401
