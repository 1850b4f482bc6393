"""One month at a time: the model's state, agents, one module per mechanism, kernels and reporters. Knows no files."""
