# Figures of the study: one rule per figure step of ablation.steps, drawing from the
# statistics tables into results/plots/<name>.png; `snakemake --report` shows them with
# the captions in workflow/report/<name>.rst.


for step in steps.STEPS:
    if not step.draws:
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
