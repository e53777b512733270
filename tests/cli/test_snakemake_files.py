"""Reading Snakemake's own bookkeeping: incomplete markers, locks, benchmark files."""

from __future__ import annotations

from ablation.cli.snakemake_files import (
    incomplete_markers,
    job_seconds,
    locked_outputs,
    marker_file,
)


def test_markers_read_back_as_the_outputs_they_mark(tmp_path):
    short = "results/runs/activation=relu/seed=0/model.pt"
    long = "results/runs/" + "/".join(f"axis{i}=value{i}" for i in range(20)) + "/model.pt"
    for output in (short, long):  # a long one is split into folders, as Snakemake does
        path = marker_file(tmp_path, output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    (tmp_path / ".snakemake" / "incomplete" / "migration_underway").touch()
    assert incomplete_markers(tmp_path) == {short, long}
    assert incomplete_markers(tmp_path / "elsewhere") == set()


def test_locks_and_benchmarks(tmp_path):
    locks = tmp_path / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.output.lock").write_text("results/a.parquet\nresults/b.parquet\n")
    (locks / "0.input.lock").write_text("results/data/mnist.pt\n")
    assert locked_outputs(tmp_path) == {"results/a.parquet", "results/b.parquet"}
    bench = tmp_path / "job.tsv"
    bench.write_text("s\th:m:s\tmax_rss\n4.07\t0:00:04\t1105.39\n")
    assert job_seconds(bench) == 4.07
    bench.write_text("s\th:m:s\n")
    assert job_seconds(bench) is None and job_seconds(tmp_path / "absent.tsv") is None
