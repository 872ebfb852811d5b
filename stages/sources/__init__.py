"""Where MNIST comes from. Every source returns the same four canonical uint8 arrays."""
