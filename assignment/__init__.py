"""The build-it assignment: the plain backpropagation a student writes (backprop.py), the
command that writes the student version (student.py) and its grader (grade.py); see
docs/teaching.md.

Imported first, before any module's own imports, so that the CPU kernels are chosen
before NumPy loads (numpy_mlp_mnist/__init__.py), as for the stages.
"""

import numpy_mlp_mnist  # noqa: F401
