"""Shared settings of the Python tests: where the build, the corpus and the CLI are.

CTest (tests/python/CMakeLists.txt) sets PYTHONPATH to build/python and the variables below; run
by hand: PYTHONPATH=build/python TRIGML_CLI=build/bin/trigml /usr/bin/python3 -m pytest tests/python
"""

import os
from pathlib import Path

import pytest

SOURCE_DIR = Path(os.environ.get("TRIGML_SOURCE_DIR", Path(__file__).resolve().parents[2]))
CORPUS_DIR = Path(os.environ.get("TRIGML_TEST_DATA") or os.environ.get("TRIGML_CORPUS_DIR")
                  or SOURCE_DIR.parent / "shared" / "data" / "root")
CLI = Path(os.environ.get("TRIGML_CLI", SOURCE_DIR / "build" / "bin" / "trigml"))


def corpus_file(name):
    """A file of the ROOT corpus, or a skip saying where it was looked for."""
    path = CORPUS_DIR / "files" / name
    if not path.exists():
        pytest.skip(f"no ROOT corpus at {CORPUS_DIR} (set TRIGML_TEST_DATA)")
    return path
