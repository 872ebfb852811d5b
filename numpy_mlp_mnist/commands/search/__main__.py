"""`python -m numpy_mlp_mnist.commands.search`, as the mlp-search command."""

from numpy_mlp_mnist.commands.search import main

main()
