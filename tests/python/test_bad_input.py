"""Bad input from Python: the corruptions tests/rootio/bad_input_test.cpp makes, on its files (truncated
prefixes read exactly the original values or raise a trigml.Error naming the file and where;
seeded byte flips raise such an error or read), never another exception, never a crash of the
interpreter (Parquet truncations: test_pipeline.py)."""

import hashlib
import random

import numpy as np
import pytest

import trigml
from conftest import corpus_file


def fingerprint(path):
    """Everything a reader gets from a ROOT file, as one digest: keys, entries, every branch's values."""
    digest = hashlib.sha256()
    f = trigml.open(str(path))
    classes = f.classnames()
    for key in f.keys():
        digest.update(key.encode())
        if classes[key] != "TTree":
            continue
        tree = f[key]
        digest.update(str(tree.num_entries).encode())
        paths = tree.keys(full_paths=True)
        parents = {p.rsplit("/", 1)[0] for p in paths if "/" in p}
        for path_in_tree in paths:
            if path_in_tree in parents:
                continue
            add(digest, tree.array(path_in_tree))
    return digest.hexdigest()


def add(digest, array):
    while isinstance(array, trigml.Jagged):
        digest.update(np.ascontiguousarray(array.offsets).tobytes())
        array = array.content
    if array.dtype == object:
        digest.update(repr(array.tolist()).encode())
    else:
        digest.update(np.ascontiguousarray(array).tobytes())


def assert_located(path, error, what):
    message = str(error)
    assert path.name in message, f"{what}: {message}"
    assert any(word in message for word in ("offset", "branch", "key")), \
        f"{what}: the message says neither where nor which branch: {message}"


def read_or_fail_cleanly(path, original, what):
    """True if the bytes read exactly like the original; False if they raised a located trigml.Error."""
    try:
        same = fingerprint(path) == original
    except trigml.Error as e:
        assert_located(path, e, what)
        return False
    assert same, f"{what}: read without error but gave different values"
    return True


@pytest.mark.parametrize("name", ["uproot-small-flat-tree.root", "uproot-HZZ-lz4.root", "uproot-HZZ-zlib.root",
                                  "uproot-stl_containers.root", "uproot-small-evnt-tree-nosplit.root",
                                  "delphes_EICcard-d2eic_R6.32_1000ev.root"])
def test_truncated_files_fail_cleanly(tmp_path, name):
    data = corpus_file(name).read_bytes()
    original = fingerprint(corpus_file(name))
    # A sample of the C++ test's prefixes: through the headers and keys, then across the file.
    cuts = list(range(0, min(4096, len(data)), 7)) + list(range(4096, len(data), max(1, len(data) // 150)))
    failures = 0
    for cut in cuts:
        path = tmp_path / f"cut-{name}"
        path.write_bytes(data[:cut])
        failures += not read_or_fail_cleanly(path, original, f"prefix {cut}")
    assert failures > len(cuts) // 2, "most truncations must be detected"


@pytest.mark.parametrize("name", ["uproot-HZZ-zlib.root", "uproot-HZZ-lz4.root", "uproot-sample-6.20.04-zlib.root"])
def test_byte_flips_anywhere_raise_located_errors_or_read(tmp_path, name):
    """Flips anywhere in the file (the C++ test aims them at the checksummed and cross-checked regions
    and demands the original values; a flip here may land in an uncompressed payload, which ROOT's
    format does not check): a located trigml.Error or a read, never another exception or a crash."""
    data = corpus_file(name).read_bytes()
    rng = random.Random(20261125)
    errors = 0
    for i in range(150):
        at = rng.randrange(len(data))
        mutated = bytearray(data)
        mutated[at] ^= rng.randrange(1, 256)
        path = tmp_path / f"flip-{name}"
        path.write_bytes(bytes(mutated))
        try:
            fingerprint(path)
        except trigml.Error as e:
            assert_located(path, e, f"flip at byte {at}")
            errors += 1
    assert errors > 0, "no flip was detected"


def test_an_out_of_range_read_is_a_usage_error_and_a_directory_is_no_root_file(tmp_path):
    tree = trigml.open(str(corpus_file("uproot-HZZ.root")))["events"]
    assert len(tree.arrays(["NJet"], entry_start=0, entry_stop=10**9)["NJet"]) == tree.num_entries  # clamped
    with pytest.raises(trigml.Error) as caught:
        trigml.open(str(tmp_path))
    assert str(tmp_path) in str(caught.value)
