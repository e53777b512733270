rule train_model:
    input:
        data=data_file,
    output:
        metrics=f"results/runs/{RUN}/metrics.parquet",
        confusion=f"results/runs/{RUN}/confusion.parquet",
        model=f"results/runs/{RUN}/model.pt",
    log:
        f"logs/train_model/{RUN}.log",
    benchmark:
        f"benchmarks/train_model/{RUN}.tsv"
    conda:
        CONDA_ENV
    threads: 1
    # One core per job; a GPU only where CUDA is (with the profile's gpu=1, one job at a
    # time uses it). Measured: peak RSS ~0.9 GB, 100 epochs ~1 minute (docs/speed.md).
    resources:
        gpu=uses_gpu(),
        mem_mb=1500,
        runtime=30,
    params:
        config=train_config,
        # Outside the outputs: Snakemake's clean-up of a failed job must not delete it.
        state=lambda wc: f"results/.resume/{wc.run}/state.pt",
    script:
        "../scripts/train_model.py"
