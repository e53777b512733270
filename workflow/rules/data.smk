rule prepare_data:
    output:
        data=layout.data_file(DATA_ROOT, "{dataset}"),
    log:
        layout.log_file("prepare_data", "{dataset}"),
    # One job for every run that needs the data; on a cluster it runs where the
    # workflow was started (login nodes reach the internet, compute nodes often not).
    localrule: True
    conda:
        CONDA_ENV
    params:
        dataset=lambda wildcards: wildcards.dataset,
        root=lambda wildcards, output: os.path.dirname(output.data),
        local_dir=STUDY["data"]["local_dir"],
    script:
        "../scripts/prepare_data.py"
