"""Reading from Python: the uproot-like API, arrays as views of trigml's buffers (no copy, memory
measured), iterate, strings, and the error mapping."""

import gc
import os
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

import trigml
from conftest import corpus_file


def anonymous_rss():
    """Resident anonymous memory of this process in bytes (file-backed pages, such as the memory-mapped
    input, excluded)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no RssAnon in /proc/self/status")


def test_file_tree_and_flat_and_jagged_branches_read_as_written(tmp_path):
    pt = np.array([1.5, 2.5, 3.5, 4.5, 5.5, 6.5], dtype=np.float32)
    offsets = np.array([0, 2, 2, 5, 6], dtype=np.int64)
    number = np.array([10, 11, 12, 13], dtype=np.int64)
    path = tmp_path / "written.root"
    trigml.write_tree(path, "events", {"Event.Number": number, "Jet.PT": trigml.Jagged(offsets, pt)})
    f = trigml.open(str(path))
    assert "events;1" in f.keys()
    tree = f["events"]
    assert tree.num_entries == 4 and len(tree) == 4
    assert {"Event.Number", "Jet.PT", "nJet.PT"} <= set(tree.keys())
    assert tree.typenames()["Jet.PT"] == "float32[]"
    arrays = tree.arrays(["Jet.PT", "Event.Number"])
    jagged = arrays["Jet.PT"]
    assert isinstance(jagged, trigml.Jagged)
    np.testing.assert_array_equal(jagged.offsets, offsets)
    np.testing.assert_array_equal(jagged.content, pt)
    assert jagged.content.dtype == np.float32 and jagged.offsets.dtype == np.int64
    assert jagged.to_list() == [[1.5, 2.5], [], [3.5, 4.5, 5.5], [6.5]]
    np.testing.assert_array_equal(jagged.lengths(), [2, 0, 3, 1])
    np.testing.assert_array_equal(arrays["Event.Number"], number)
    # A range, negative entries counting from the end, as Python slices do.
    part = tree.arrays(["Jet.PT", "Event.Number"], entry_start=-3, entry_stop=3)
    assert part["Jet.PT"].to_list() == [[], [3.5, 4.5, 5.5]]
    np.testing.assert_array_equal(part["Event.Number"], [11, 12])


def test_iterate_gives_the_whole_range_in_steps(tmp_path):
    n = 25_000
    values = np.arange(n, dtype=np.float64) * 0.5
    lengths = np.arange(n) % 4
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    content = np.arange(offsets[-1], dtype=np.int32)
    path = tmp_path / "steps.root"
    trigml.write_tree(path, "t", {"x": values, "j": trigml.Jagged(offsets, content)}, compression="lz4")
    tree = trigml.open(str(path))["t"]
    chunks = list(tree.iterate(["x", "j"], step_size=7_000))
    assert [len(c["x"]) for c in chunks] == [7000, 7000, 7000, 4000]
    np.testing.assert_array_equal(np.concatenate([c["x"] for c in chunks]), values)
    # Every chunk's arrays stay valid after the next step (they own their buffers).
    np.testing.assert_array_equal(np.concatenate([c["j"].content for c in chunks]), content)
    np.testing.assert_array_equal(np.concatenate([c["j"].lengths() for c in chunks]), lengths)


def test_strings_are_python_str():
    tree = trigml.open(str(corpus_file("uproot-sample-6.20.04-zlib.root")))["sample"]
    strings = tree.array("str")
    assert strings.dtype == object and len(strings) == tree.num_entries
    assert all(isinstance(s, str) for s in strings)
    assert strings[0] == "hey-0"  # the corpus file's first string (its JSROOT reference agrees)


def test_arrays_are_views_whose_base_keeps_the_column_alive(tmp_path):
    content = np.linspace(0, 1, 1000, dtype=np.float32)
    offsets = np.arange(0, 1001, 10, dtype=np.int64)
    path = tmp_path / "views.root"
    trigml.write_tree(path, "t", {"j": trigml.Jagged(offsets, content)})
    jagged = trigml.open(str(path))["t"].array("j")
    # numpy does not own these buffers: a capsule holding trigml's column does.
    for array in (jagged.content, jagged.offsets):
        assert not array.flags.owndata
        assert type(array.base).__name__ == "PyCapsule"
    view = jagged.content[100:200]
    del jagged
    gc.collect()
    np.testing.assert_array_equal(view, content[100:200])  # still valid: the base outlived the Jagged


def test_a_100_mb_column_costs_one_copy_of_memory_not_two(tmp_path):
    # Written by another process: this one's heap then holds nothing of that size that the read
    # could reuse (as it would after trigml.keep_freed_memory_for_reuse()).
    path = tmp_path / "big.root"
    subprocess.run([sys.executable, "-c", "import sys, numpy, trigml; trigml.write_tree(sys.argv[1], 't', "
                    "{'x': numpy.arange(25_000_000, dtype=numpy.float32)}, compression='none')", str(path)],
                   check=True)  # 100 MB
    tree = trigml.open(str(path))["t"]
    before = anonymous_rss()
    # numpy reports the buffers it allocates to tracemalloc: a copy into numpy would show here.
    tracemalloc.start()
    x = tree.array("x")
    _, numpy_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    grown = anonymous_rss() - before
    assert x.nbytes == 100_000_000
    assert x[12_345_678] == np.float32(12_345_678)
    assert numpy_peak < 1_000_000, f"{numpy_peak / 1e6:.1f} MB allocated by Python objects and numpy"
    # One copy of the data resident (plus the reader's basket buffers, a few 64 KiB), where a copy
    # into numpy would make it two.
    assert 0.9 * x.nbytes < grown < 1.3 * x.nbytes, f"RSS grew by {grown / 1e6:.1f} MB for a 100 MB column"


def test_missing_names_raise_not_found_with_what_was_asked():
    path = str(corpus_file("uproot-HZZ.root"))
    f = trigml.open(path)
    with pytest.raises(trigml.NotFoundError, match="no key 'evnts'") as caught:
        f["evnts"]
    assert isinstance(caught.value, trigml.Error)
    assert "uproot-HZZ.root" in str(caught.value) and caught.value.file.endswith("uproot-HZZ.root")
    tree = f["events"]
    with pytest.raises(trigml.NotFoundError, match="no branch 'Jet_Pz2'"):
        tree.arrays(["Jet_Pz2"])
    with pytest.raises(trigml.NotFoundError):
        f["events;7"]
    with pytest.raises(trigml.NotFoundError, match="/nonexistent/file.root: no such file"):
        trigml.open("/nonexistent/file.root")
