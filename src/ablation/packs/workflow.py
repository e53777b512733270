"""The packs one Snakemake call trains: what `workflow/rules/train.smk` asks for, in one call.

The main Snakemake process plans them from the runs still to train; a cluster job, which
parses the Snakefile again on its node, reads the one pack its submitter planned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ablation import environment
from ablation.config import TrainConfig
from ablation.packs.devices import planned_gpus, visible_gpus
from ablation.packs.handoff import runs_to_train
from ablation.packs.plan import Pack, load_plan, plan_packs, save_plans, target_pack_ids


def training_packs(
    configs: Sequence[TrainConfig],
    data_file: Callable[[TrainConfig], str | Path],
    *,
    slots: int,
    device: str,
    gpu_limit: int | None = None,
    cluster_job: Sequence[str] | None = None,
    save: bool = True,
    root: str | Path = ".",
) -> list[Pack]:
    """The packs of this call, each trained by one `train_pack_<id>` job.

    Parameters
    ----------
    configs : every run of the study.
    data_file : the prepared dataset a run trains on. A run is retrained when it is
        newer than the run's files; other inputs (the workflow's scripts, which a checkout
        or copy touches) are not watched, so that they never retrain a finished study.
    slots : jobs at once (`--cores`, or `--jobs` on a cluster).
    device : `ABLATION_DEVICE`; `cuda` or `cuda:N` keeps every pack on the GPUs.
    gpu_limit : the Snakemake resource `gpu` (GPU packs at once), if set.
    cluster_job : a cluster job's command line: it trains the pack its submitter planned.
    save : write the plans (not in a dry run): each job reads its pack's device there,
        not from a param, which would retrain finished runs when the machine changes.

    The knobs `ABLATION_PACK_SIZE`, `ABLATION_STACK` and `ABLATION_GPUS` are checked
    here, before any job starts; a bad value raises ValueError naming it.
    """
    max_size = environment.pack_size()
    environment.stacking()
    if cluster_job is not None:
        return [load_plan(pack_id, root) for pack_id in target_pack_ids(cluster_job)]
    to_train = runs_to_train(configs, root, inputs=lambda cfg: [data_file(cfg)])
    gpus = planned_gpus(device, environment.gpu_count(), visible_gpus) if to_train else []
    packs = plan_packs(
        to_train,
        slots=slots,
        max_size=max_size,
        gpus=gpus,
        gpu_limit=gpu_limit,
        cpu=not device.startswith("cuda"),
    )
    if save:
        save_plans(packs, root)
    return packs
