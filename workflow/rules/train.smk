# Training, in packs. The runs still to train (outputs missing, left mid-way, of another
# config, or older than the data or the training script) are planned into packs when
# Snakemake builds its plan: one job trains the runs of one data order together
# (ablation.packs, ablation.train.train_pack), each bitwise as if alone, each with its
# own folder, log, benchmark and resume state. Finished runs belong to no rule: adding
# a grid value trains only the new cells. ABLATION_PACK_SIZE caps the members of a pack
# (1 = one job per run; default: sized so that packs keep every core busy to the end).

import ablation.packs as packs

PACK_SCRIPT = "workflow/scripts/train_pack.py"


def _pack_slots():
    """Jobs at once: the GPU takes one pack at a time; else --cores (or --jobs on a cluster)."""
    if uses_gpu():
        return 1
    if not workflow.local_exec:
        return workflow.nodes or 1
    return workflow._cores or 1


def _max_pack_size():
    value = os.environ.get("ABLATION_PACK_SIZE", "auto")
    if value == "auto":
        return None
    if not value.isdigit() or int(value) < 1:
        sys.exit(f"ABLATION_PACK_SIZE={value!r}: set it to auto or a whole number >= 1")
    return int(value)


def pack_members(pack):
    """What the pack's job needs of each member: its config and where its files go."""
    members = []
    for cfg in pack.configs:
        run = study.run_path(cfg.cell())
        members.append(
            {
                "config": cfg.to_dict(),
                "metrics": f"results/runs/{run}/metrics.parquet",
                "confusion": f"results/runs/{run}/confusion.parquet",
                "model": f"results/runs/{run}/model.pt",
                "state": f"results/.resume/{run}/state.pt",
                "log": f"logs/train_model/{run}.log",
                "benchmark": f"benchmarks/train_model/{run}.tsv",
            }
        )
    return members


TO_TRAIN = packs.runs_to_train(
    [study.run_config(STUDY, cell) for cell in CELLS],
    "results/runs",
    "results/.resume",
    inputs=[DATA_FILE, PACK_SCRIPT],
)
PACKS = packs.plan_packs(TO_TRAIN, slots=_pack_slots(), max_size=_max_pack_size())


for pack in PACKS:
    members = pack_members(pack)

    rule:
        name:
            f"train_pack_{pack.id}"
        input:
            data=rules.prepare_data.output.data,
        output:
            [
                m[key]
                for m in members
                for key in ("metrics", "confusion", "model", "benchmark")
            ],
        log:
            pack=f"logs/train_pack/{pack.id}.log",
            runs=[m["log"] for m in members],
        benchmark:
            f"benchmarks/train_pack/{pack.id}.tsv"
        conda:
            CONDA_ENV
        threads: 1
        # One core per job; a GPU only where CUDA is (with the profile's gpu=1, one job at
        # a time uses it). Measured: peak RSS ~0.9 GB + ~0.2 GB per pack (docs/packing.md).
        resources:
            gpu=uses_gpu(),
            mem_mb=1500 + 10 * len(members),
            runtime=30 * len(members),
        params:
            # The members' configs: Snakemake reruns the pack when one of them changes.
            members=members,
        script:
            "../scripts/train_pack.py"
