"""The pipeline's stages, run by dvc.yaml: one module each (check, fetch, prepare, train,
evaluate), and what they share, with the commands too: params, files, datasets, the model
file, pictures, scores, kernels, layout and how a stage ends (cli).

The CPU kernels are chosen here, on the package's first import and before any stage
imports NumPy, because NumPy and OpenBLAS fix theirs when they load (stages/kernels.py).
"""

from stages.kernels import select_for_this_process

# The line to print where the pinned kernels cannot run on this computer, else None.
KERNELS_NOTE = select_for_this_process()
