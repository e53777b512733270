# Training, in packs (docs/speed.md). When Snakemake builds its plan, the runs a pack
# must train (not trained yet, or under another config: ablation.packs.handoff.runs_to_train)
# are planned into packs: one job per pack trains the runs of one data order together
# (ablation.training.pack.train_pack; on a GPU stacked, ABLATION_STACK=auto|on|off), each as
# if alone (on the CPU bitwise), and leaves each run's files in
# results/.packs/<run>/ with a stamp in results/.trained/. Every run keeps its own
# train_model job, which moves those files into its folder (or, where there are none,
# e.g. under --forcerun, trains the run alone): so Snakemake's rerun triggers, targets
# and --forcerun work per run as they always did, and adding a grid value trains only
# the new cells. ABLATION_PACK_SIZE caps the runs in a pack (1 = one job per run;
# default auto: sized so that packs keep every core busy to the end).
# With GPUs (ABLATION_DEVICE auto or cuda; ABLATION_GPUS, a planning knob, says how many
# when torch cannot see them here), the plan gives each pack a device: GPU packs
# (resource gpu=1, a core each) and, on the cores left, CPU packs (gpu=0), sized so
# that both finish together (docs/cluster-and-gpu.md). The ABLATION_* knobs are read by
# ablation.environment.
from ablation.packs.handoff import finish_run, pack_members
from ablation.packs.plan import CPU
from ablation.packs.workflow import training_packs

try:
    PACKS = training_packs(
        [study.run_config(STUDY, cell) for cell in CELLS],
        data_file=lambda cfg: layout.data_file(DATA_ROOT, cfg.dataset),
        # --cores, or --jobs on a cluster (the executor is not known yet while the
        # Snakefile is parsed); GPU packs take some of them, the CPU packs the rest.
        slots=max(
            workflow.resource_settings.cores or 1, workflow.resource_settings.nodes or 1
        ),
        device=DEVICE,
        gpu_limit=gpu_limit(),
        cluster_job=sys.argv if workflow.remote_exec else None,
        save=not workflow.dryrun,
    )
except ValueError as err:
    sys.exit(str(err))


for pack in PACKS:
    members = pack_members(pack)

    rule:
        name:
            f"train_pack_{pack.id}"
        input:
            data=layout.data_file(DATA_ROOT, pack.configs[0].dataset),
        output:
            [
                m[key]
                for m in members
                for key in ("metrics", "confusion", "model", "benchmark", "trained")
            ],
        log:
            layout.log_file(layout.PACK_RULE, pack.id),
        benchmark:
            layout.benchmark_file(layout.PACK_RULE, pack.id)
        conda:
            CONDA_ENV
        threads: 1
        # One core per job; a GPU pack also claims gpu=1 (the profile's gpu limit is the
        # number of GPU packs at once; on SLURM, --gpus=1), a CPU pack none. Peak RSS
        # ~0.9 GB + 160 MB for an epoch's batches (docs/speed.md).
        resources:
            gpu=int(pack.device != CPU),
            mem_mb=1700 + 10 * len(members),
            runtime=30 * len(members),
        params:
            # The members' configs: Snakemake reruns the pack when one of them changes.
            members=members,
        script:
            "../scripts/train_pack.py"


rule train_model:
    # Moving the pack's files takes no time (profiles/default: force-use-threads runs
    # it in Snakemake's process); where there are none, the run trains alone.
    input:
        data=data_file,
        trained=layout.trained_stamp(RUN),
    output:
        metrics=layout.run_output(RUN, layout.METRICS),
        confusion=layout.run_output(RUN, layout.CONFUSION),
        model=layout.run_output(RUN, layout.MODEL),
    log:
        layout.run_log(RUN),
    # Local: it moves files; on a cluster only a retrain outside any pack (--forcerun)
    # would run here, on the submitting host.
    localrule: True
    threads: 1
    # No claim on the GPU: moving files must not wait for a pack that holds it.
    resources:
        mem_mb=1500,
        runtime=30,
    params:
        config=train_config,
        # Outside the outputs: Snakemake's clean-up of a failed job must not delete it.
        state=lambda wc: layout.state_file(wc.run),
        packed=lambda wc: layout.packed_dir(wc.run),
    run:
        finish_run(
            params.packed,
            params.config,
            input.data,
            output,
            params.state,
            log[0],
            threads,
        )
