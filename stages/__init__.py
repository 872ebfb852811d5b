"""The pipeline's stages: one module each (fetch, prepare, train, evaluate), run by dvc.yaml."""
