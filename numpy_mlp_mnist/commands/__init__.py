"""The commands a person runs by hand, beside the pipeline: mlp-predict, mlp-draw (with its
page, draw.html) and mlp-search (with search.yaml)."""
