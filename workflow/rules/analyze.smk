# Statistics of the study: one rule per analysis step of ablation.steps, whose table says
# what each step reads, which `analysis:` settings it depends on and which tables it makes
# (results/stats/<name>.parquet, CSV beside the main ones; columns documented in each
# ablation.stats module). The partial report runs the same steps in one job.


for step in steps.STEPS:
    if step.draws:
        continue

    rule:
        name:
            step.name
        input:
            **step_inputs(step),
        output:
            **step_outputs(step),
        log:
            layout.log_file(step.name),
        # In Snakemake's own process (profiles: force-use-threads), on a cluster's
        # submitting host: a step takes a fraction of a second, a new process seconds.
        localrule: True
        params:
            **step_settings(step),
        run:
            steps.run_rule(rule, input, output, params, log[0])
