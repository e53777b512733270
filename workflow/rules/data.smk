rule prepare_data:
    output:
        data=DATA_FILE,
    params:
        dataset=DATASET,
        root=STUDY["data"]["root"],
        local_dir=STUDY["data"]["local_dir"],
    log:
        f"logs/prepare_data/{DATASET}.log",
    script:
        "../scripts/prepare_data.py"
