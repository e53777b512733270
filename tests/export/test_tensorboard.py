"""`ablation.export.tensorboard`: read back with tbparse and TensorBoard's own loader, and
listed by a real TensorBoard server."""

from __future__ import annotations

import json

import pytest

from ablation.export.folder import MANIFEST
from ablation.export.runs import metric_tags, study_axes
from ablation.export.tensorboard import CONFIG_SUFFIX, export_tensorboard
from export_helpers import (  # noqa: F401 (*_fixture: the tiny study's runs)
    best_validation,
    final,
    http_json,
    measured,
    metrics_fixture,
    runs_fixture,
    study_fixture,
    tensorboard_server,
    tensorboard_sessions,
    wait_for,
)

tbparse = pytest.importorskip("tbparse", reason="pip install -e '.[test]'")
pytest.importorskip("tensorboard", reason="pip install -e '.[test]'")
pytestmark = [
    pytest.mark.workflow,  # the tiny study's runs
    # tbparse sorts in place, which pandas 3.1 deprecates: its concern, not ours
    pytest.mark.filterwarnings("ignore:The inplace keyword:Warning"),
]


@pytest.fixture(scope="module")
def logdir(tmp_path_factory, runs):
    folder = tmp_path_factory.mktemp("tensorboard")
    result = export_tensorboard(runs, folder)
    assert len(result.added) == 8 and not result.kept
    return folder


def scalars_by_run(folder) -> dict[str, dict[tuple[str, int], float]]:
    """{run: {(tag, step): value}} as tbparse reads the event files (double precision)."""
    frame = tbparse.SummaryReader(str(folder), extra_columns={"dir_name"}).tensors
    found: dict = {}
    for row in frame.itertuples(index=False):
        key = (row.tag, int(row.step))
        assert key not in found.setdefault(row.dir_name, {}), f"{key} twice in {row.dir_name}"
        found[row.dir_name][key] = row.value
    return found


def test_every_run_holds_its_parquet_numbers_at_their_epochs(logdir, metrics):
    found = scalars_by_run(logdir)
    assert set(found) == set(metrics)
    for run_id, frame in metrics.items():
        expected = {**measured(frame), **best_validation(frame)}
        scalars = found[run_id]
        assert {k: scalars[k] for k in expected} == expected, run_id  # exactly: doubles
        last = frame["epoch"].max()
        gap = final(frame, "train", "accuracy") - final(frame, "test", "accuracy")
        assert scalars[("final/gap", last)] == pytest.approx(gap, abs=1e-12)
        assert scalars[("final/train_seconds", last)] == frame["train_seconds"].max()


def test_each_run_is_a_session_with_the_study_axes_as_hparams(logdir, runs, metrics, study):
    hparams = tbparse.SummaryReader(str(logdir), extra_columns={"dir_name"}).hparams
    axes = study_axes(study)
    assert axes == ["activation", "optimizer", "weight_decay", "dropout", "seed"]
    for run in runs:
        mine = hparams[hparams["dir_name"] == run.run_id].set_index("tag")["value"]
        first = metrics[run.run_id].iloc[0]
        assert sorted(mine.index) == sorted(axes)
        for axis in axes:
            assert mine[axis] == first[axis], (run.run_id, axis)


def test_the_hparams_config_lists_the_axes_and_the_metrics(logdir, runs, study):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import metadata

    root = EventAccumulator(str(logdir))
    root.Reload()
    content = root.SummaryMetadata(metadata.EXPERIMENT_TAG).plugin_data.content
    experiment = metadata.parse_experiment_plugin_data(content)
    infos = {info.name: info for info in experiment.hparam_infos}
    assert set(infos) == set(study_axes(study))
    assert [v.string_value for v in infos["activation"].domain_discrete.values] == ["relu", "tanh"]
    assert [v.number_value for v in infos["seed"].domain_discrete.values] == [0, 1]
    assert [m.name.tag for m in experiment.metric_infos] == list(metric_tags())
    assert len(list(logdir.glob("*" + CONFIG_SUFFIX))) == 1


def test_a_second_export_adds_only_the_new_runs(tmp_path, runs):
    first = export_tensorboard(runs[:5], tmp_path)
    assert len(first.added) == 5
    before = {p: p.read_bytes() for p in tmp_path.rglob("events.out.tfevents.*")}
    second = export_tensorboard(runs, tmp_path)
    assert second.added == [r.run_id for r in runs[5:]]
    assert second.kept == [r.run_id for r in runs[:5]]
    for path, content in before.items():  # the earlier runs untouched; the config replaced
        if not path.name.endswith(CONFIG_SUFFIX):
            assert path.read_bytes() == content
    configs = list(tmp_path.glob("*" + CONFIG_SUFFIX))
    assert len(configs) == 1 and configs[0] not in before
    snapshot = sorted(tmp_path.rglob("*"))
    third = export_tensorboard(runs, tmp_path)
    assert not third.added and len(third.kept) == 8
    assert sorted(tmp_path.rglob("*")) == snapshot
    assert len(scalars_by_run(tmp_path)) == 8  # and no tag twice at one step
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert sorted(manifest["runs"]) == sorted(r.run_id for r in runs)


def test_a_run_cut_off_midway_is_written_anew(tmp_path, runs):
    cut = tmp_path / runs[0].run_id
    cut.mkdir(parents=True)
    (cut / "events.out.tfevents.0.host.1.0").write_bytes(b"")  # a cut-off export's file
    (tmp_path / MANIFEST).write_text(json.dumps({"writer": "ablation export",
                                                 "kind": "tensorboard", "version": 1}))  # fmt: skip
    export_tensorboard(runs[:1], tmp_path)
    (written,) = cut.glob("events.out.tfevents.*")
    assert written.stat().st_size > 0
    assert len(scalars_by_run(tmp_path)[runs[0].run_id]) > 10


@pytest.mark.server
@pytest.mark.timeout(180)
def test_tensorboard_lists_every_run_in_the_hparams_view(logdir, metrics, tmp_path, study):
    with tensorboard_server(logdir, tmp_path / "tensorboard.log") as base:
        sessions = wait_for(
            lambda: (found := tensorboard_sessions(base)) and len(found) == 8 and found,
            "eight HParams sessions",
            timeout=60,
        )
        assert set(sessions) == set(metrics)
        for run_id, frame in metrics.items():
            values = {m["name"]["tag"]: m["value"] for m in sessions[run_id]["metricValues"]}
            assert values["test/accuracy"] == final(frame, "test", "accuracy")
            assert values["validation/loss"] == final(frame, "validation", "loss")
            assert sessions[run_id]["hparams"]["activation"] == frame["activation"].iloc[0]
        experiment = http_json(f"{base}/data/plugin/hparams/experiment", {"experimentName": ""})
        assert {h["name"] for h in experiment["hparamInfos"]} == set(study_axes(study))
        assert set(metrics) <= set(http_json(f"{base}/data/runs"))
