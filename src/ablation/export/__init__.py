"""Finished runs written where their users already look, with no server of ours:

- `ablation.export.tensorboard`: a TensorBoard log folder, one HParams session per run;
- `ablation.export.mlflow`: a local MLflow store, one experiment per study, one MLflow
  run per run, its checkpoint and confusion matrix as artifacts.

Both are optional extras (`pip install 'ablation[tensorboard]'`, `'ablation[mlflow]'`),
imported only when an export runs. `ablation.export.runs` reads a run folder into what
both write; `ablation.export.folder` guards the folder they write into.
"""
