"""The commands a person runs by hand, beside the pipeline: mlp-search (and its search.yaml)."""
