"""The pipeline from Python: generate, ingest, prepare, train and evaluate through the module;
read_parquet against DuckDB (an independent Parquet reader) and pandas; predict against the
probabilities `trigml evaluate` (the CLI) wrote; Ctrl-C during a long call."""

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import trigml
from conftest import CLI, SOURCE_DIR

pytestmark = pytest.mark.skipif(not trigml.has_training, reason="trigml was built without libtorch")

INTEROP = SOURCE_DIR / "tests" / "interop"
EVENTS_PER_CLASS = 600


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """Generated events of the three classes, ingested and prepared through the module."""
    work = tmp_path_factory.mktemp("pipeline")
    classes = {}
    for seed, name in enumerate(["qcd", "ttbar", "wjets"], start=1):
        trigml.generate(work / f"{name}.root", name, EVENTS_PER_CLASS, seed, threads=2, progress=False)
        classes[name] = [str(work / f"{name}.root")]
    summary = trigml.ingest(out=work / "ingested", classes=classes, threads=2, progress=False)
    assert [c["name"] for c in summary["classes"]] == ["qcd", "ttbar", "wjets"]
    assert all(c["read"] == EVENTS_PER_CLASS and 0 < c["selected"] <= c["read"] for c in summary["classes"])
    prepared = trigml.prepare(work / "ingested", work / "prepared", seed=42, threads=2, progress=False)
    assert sum(prepared["test"]) > 0 and prepared["classes"] == ["qcd", "ttbar", "wjets"]
    return work


def duckdb(sql):
    if not (INTEROP / "node_modules" / "@duckdb" / "node-api").exists():
        pytest.skip(f"DuckDB's node package is not installed in {INTEROP} (run tests/interop/install)")
    out = subprocess.run(["node", str(INTEROP / "duckdb_query.mjs"), sql], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def test_read_parquet_equals_what_duckdb_reads(prepared):
    test_dir = prepared / "prepared" / "test"
    ours = trigml.read_parquet(test_dir, columns=["label", "HLF_input", "GRU_input", "entry"])
    rows = duckdb(f"SELECT label, HLF_input, GRU_input, entry FROM read_parquet('{test_dir}/*.parquet', "
                  "filename=true, file_row_number=true) ORDER BY filename, file_row_number")
    assert len(rows) == len(ours["label"])
    np.testing.assert_array_equal(ours["label"], [r["label"] for r in rows])
    np.testing.assert_array_equal(ours["entry"], [int(r["entry"]) for r in rows])  # BIGINT comes as text
    for i in range(0, len(rows), max(1, len(rows) // 50)):
        np.testing.assert_array_equal(ours["HLF_input"][i], np.array(rows[i]["HLF_input"], dtype=np.float32))
        gru = ours["GRU_input"][i]
        assert gru.to_list() == [[np.float32(v).item() for v in p] for p in rows[i]["GRU_input"]]


def test_as_pandas_gives_the_same_values(prepared):
    test_dir = prepared / "prepared" / "test"
    arrays = trigml.read_parquet(test_dir)
    frame = trigml.read_parquet(test_dir, as_pandas=True)
    assert list(frame.columns) == list(arrays)
    assert len(frame) == len(arrays["label"])
    np.testing.assert_array_equal(frame["label"].to_numpy(), arrays["label"])
    np.testing.assert_array_equal(frame["source_file"].to_numpy(), arrays["source_file"])
    for i in (0, len(frame) // 2, len(frame) - 1):
        np.testing.assert_array_equal(frame["HLF_input"].iloc[i], arrays["HLF_input"][i])


@pytest.mark.parametrize("architecture", ["hlf", "inclusive"])
def test_predict_gives_the_probabilities_trigml_evaluate_wrote(prepared, architecture):
    model_dir = prepared / f"model-{architecture}"
    history = trigml.train(prepared / "prepared", model_dir, model=architecture, epochs=1, threads=2,
                           progress=False)
    assert len(history["history"]) == 1 and history["train_events"] > 0
    report = prepared / f"report-{architecture}"
    # The CLI evaluates; the module predicts: the same probabilities, event by event.
    subprocess.run([str(CLI), "evaluate", str(model_dir), str(prepared / "prepared"), "--out", str(report)],
                   check=True, capture_output=True)
    scores = trigml.read_parquet(report / "scores.parquet")
    test = trigml.read_parquet(prepared / "prepared" / "test", columns=["HLF_input", "GRU_input", "label"])
    model = trigml.load_model(model_dir)
    assert model.architecture == architecture
    probabilities = model.predict(hlf=test["HLF_input"], particles=test["GRU_input"])
    assert probabilities.shape == (len(test["label"]), 3)
    expected = np.stack([scores["p_qcd"], scores["p_ttbar"], scores["p_wjets"]], axis=1)
    np.testing.assert_allclose(probabilities, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(scores["label"], test["label"])
    # The metrics evaluate() returns are those metrics.json holds.
    metrics = trigml.evaluate(model_dir, prepared / "prepared", prepared / f"report-py-{architecture}",
                              progress=False)
    written = json.loads((report / "metrics.json").read_text())
    for name, c in written["classes"].items():
        assert math.isclose(metrics["classes"][name]["auc"], c["auc"], rel_tol=1e-12)


def test_predict_events_decides_raw_events_as_trigml_score(prepared):
    model_dir = prepared / "model-hlf"
    if not model_dir.exists():
        trigml.train(prepared / "prepared", model_dir, model="hlf", epochs=1, threads=2, progress=False)
    raw = prepared / "ttbar.root"
    decisions = trigml.load_model(model_dir).predict_events(trigml.open(str(raw)), threads=1)
    out = prepared / "scored.parquet"
    subprocess.run([str(CLI), "score", str(model_dir), str(raw), "--out", str(out), "--threads", "1"], check=True,
                   capture_output=True)
    cli = trigml.read_parquet(out)
    assert len(decisions["entry"]) == EVENTS_PER_CLASS
    for column in ("entry", "selected", "accept"):
        np.testing.assert_array_equal(decisions[column], cli[column])
    np.testing.assert_array_equal(np.ma.getmaskarray(decisions["p_ttbar"]), ~cli["selected"])
    np.testing.assert_array_equal(decisions["p_ttbar"].compressed(), cli["p_ttbar"].compressed())


def test_truncated_parquet_raises_a_format_error_naming_the_file(prepared, tmp_path):
    part = sorted((prepared / "prepared" / "test").glob("*.parquet"))[0]
    data = part.read_bytes()
    for cut in list(range(0, 64, 5)) + list(range(64, len(data), max(1, len(data) // 40))):
        broken = tmp_path / "cut.parquet"
        broken.write_bytes(data[:cut])
        with pytest.raises(trigml.Error) as caught:
            trigml.read_parquet(broken)
        assert "cut.parquet" in str(caught.value), f"prefix {cut}: {caught.value}"


def test_bad_options_raise_usage_errors(prepared):
    with pytest.raises(trigml.UsageError, match="on_error"):
        trigml.ingest(out=prepared / "never", classes={"qcd": ["x.root"]}, on_error="sometimes")
    with pytest.raises(trigml.UsageError):
        trigml.train(prepared / "prepared", prepared / "never-model", model="transformer")
    assert not (prepared / "never").exists() and not (prepared / "never-model").exists()


INTERRUPTED_TRAINING = textwrap.dedent("""
    import os, signal, sys, threading, time
    import trigml
    data, out = sys.argv[1], sys.argv[2]
    outcome = []
    def run():
        try:
            trigml.train(data, out, model="hlf", epochs=100000, patience=0, threads=1, progress=False)
            outcome.append("finished")
        except KeyboardInterrupt as e:
            outcome.append("interrupted: " + str(e))
    worker = threading.Thread(target=run)
    worker.start()
    # This thread runs Python while the training runs: the call released the GIL.
    while not os.path.exists(out + ".partial/history.jsonl") and worker.is_alive():
        time.sleep(0.05)
    os.kill(os.getpid(), signal.SIGINT)
    worker.join()
    print(outcome[0])
""")


def test_ctrl_c_stops_a_long_call_and_leaves_no_finished_output(prepared):
    out = prepared / "interrupted-model"
    run = subprocess.run([sys.executable, "-c", INTERRUPTED_TRAINING, str(prepared / "prepared"), str(out)],
                         capture_output=True, text=True, timeout=300, env=os.environ)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("interrupted: train hlf epoch"), run.stdout + run.stderr
    assert not out.exists(), "an interrupted training must not leave a model directory"
