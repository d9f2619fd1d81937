"""docs/python.md runs as written: its Python code blocks, executed in order in one namespace."""

import re
import tempfile

import pytest

import trigml
from conftest import SOURCE_DIR


def test_the_walkthrough_runs_as_written(monkeypatch, tmp_path):
    if not trigml.has_training:
        pytest.skip("the walkthrough trains a model: trigml was built without libtorch")
    text = (SOURCE_DIR / "docs" / "python.md").read_text()
    blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)
    assert len(blocks) >= 8
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the walkthrough's mkdtemp lands
    namespace = {"__name__": "walkthrough"}
    for number, block in enumerate(blocks, start=1):
        exec(compile(block, f"docs/python.md block {number}", "exec"), namespace)
    assert namespace["probabilities"].shape[1] == 3
