"""Every branch of the ROOT corpus read through Python against the values an independent reader
(JSROOT, shared/tools/rootref/makeref.mjs) read from it: the comparison tests/rootio/reference_check.hpp
makes in C++ (entry and element counts, per path count, sum, order-weighted sum, min, max, the first
entries), here computed from the numpy arrays the module returns."""

import json
import math

import numpy as np
import pytest

import trigml
from conftest import CORPUS_DIR


def reference_names():
    directory = CORPUS_DIR / "reference"
    return sorted(p.stem for p in directory.glob("*.json")) if directory.is_dir() else []


class Stat:
    def __init__(self):
        self.count = 0
        self.sum = 0.0
        self.wsum = 0.0
        self.min = math.inf
        self.max = -math.inf
        self.nonfinite = 0


def add_numbers(stats, path, values):
    """Adds values (in visiting order) to stats[path] as the reference does: sequential sums
    (np.cumsum adds in order, as the reference's loop), non-finite values counted apart."""
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size == 0:
        return  # the reference has no path where no values were visited
    s = stats.setdefault(path, Stat())
    index = s.count + np.arange(1, x.size + 1, dtype=np.float64)
    s.count += x.size
    finite = np.isfinite(x)
    s.nonfinite += int(x.size - finite.sum())
    x, index = x[finite], index[finite]
    if x.size:
        s.sum = float(np.cumsum(np.concatenate(([s.sum], x)))[-1])
        s.wsum = float(np.cumsum(np.concatenate(([s.wsum], index * x)))[-1])
        s.min = min(s.min, float(x.min()))
        s.max = max(s.max, float(x.max()))


def visit_object(stats, strings, value, path):
    """An object branch's entry (dicts, lists, numbers, str) as the reference visits it."""
    if isinstance(value, bool):
        add_numbers(stats, path, [1.0 if value else 0.0])
    elif isinstance(value, (int, float)):
        add_numbers(stats, path, [float(value)])
    elif isinstance(value, str):
        strings[0] += 1
    elif isinstance(value, list):
        for item in value:
            visit_object(stats, strings, item, path + "[]")
    elif isinstance(value, dict):
        for name, field in value.items():
            if name != "_typename":
                visit_object(stats, strings, field, path + "." + name)


def innermost(array):
    """The innermost content of nested Jagged, and how many list levels lead to it."""
    levels = 0
    while isinstance(array, trigml.Jagged):
        array = array.content
        levels += 1
    return array, levels


def entry(array, e):
    """Entry e as nested Python lists, numbers and str (the reference's JSON of it)."""
    value = array[e]
    if isinstance(value, trigml.Jagged):
        return value.to_list()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def as_number(j):
    if isinstance(j, bool):
        return 1.0 if j else 0.0
    if isinstance(j, (int, float)):
        return float(j)
    if isinstance(j, dict) and "bigint" in j:
        return float(j["bigint"])
    return math.nan


def close(a, b, relative):
    return a == b or abs(a - b) <= relative * max(abs(a), abs(b))


NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def compare(ours, ref, where):
    """The first difference between our entry and the reference's JSON of it, or None."""
    if isinstance(ref, dict) and "truncated_len" in ref:
        if not isinstance(ours, list):
            return f"{where}: expected a list"
        if len(ours) != ref["truncated_len"]:
            return f"{where}: list length {len(ours)} vs reference {ref['truncated_len']}"
        for i, item in enumerate(ref["items"]):
            difference = compare(ours[i], item, f"{where}[{i}]")
            if difference:
                return difference
        return None
    if isinstance(ref, list):
        if not isinstance(ours, list) or len(ours) != len(ref):
            return f"{where}: {str(ours)[:80]} vs reference list of {len(ref)}"
        for i, item in enumerate(ref):
            difference = compare(ours[i], item, f"{where}[{i}]")
            if difference:
                return difference
        return None
    if isinstance(ref, dict) and "bigint" not in ref:
        if not isinstance(ours, dict):
            return f"{where}: expected an object, got {str(ours)[:80]}"
        for key, value in ref.items():
            if key == "_typename":
                continue
            if key not in ours:
                return f"{where}: missing member {key}"
            difference = compare(ours[key], value, f"{where}.{key}")
            if difference:
                return difference
        return None
    if isinstance(ref, str) and ref in NON_FINITE:
        want = NON_FINITE[ref]
        same = isinstance(ours, float) and (math.isnan(ours) if math.isnan(want) else ours == want)
        return None if same else f"{where}: {ours} vs reference {ref}"
    if isinstance(ref, str):
        return None if ours == ref else f"{where}: {ours!r} vs reference {ref!r}"
    a = float(ours) if isinstance(ours, (bool, int, float)) else math.nan
    b = as_number(ref)
    if close(a, b, 1e-12) or (math.isnan(a) and math.isnan(b)):
        return None
    return f"{where}: {ours} vs reference {ref}"


def chars_as_string(ours):
    """The reference reads fixed-size char arrays as strings, up to the first NUL (Latin-1)."""
    if not isinstance(ours, list):
        return ours
    chars = []
    for c in ours:
        if c == 0:
            break
        chars.append(c & 0xFF)
    return bytes(chars).decode("latin-1")


def check_referenced_bits(array, typename, ref):
    """TObject::fBits of a referenced object is followed by a 2-byte process id that JSROOT does not
    skip: its numbers for such branches are shifted. Ours, re-serialised with process id 0 and read
    back as JSROOT reads them, must equal the reference's (reference_check.hpp does the same)."""
    referenced = 1 << 4
    if "TObject bits" not in typename or not isinstance(array, trigml.Jagged):
        return False
    values = array.content
    if not isinstance(values, np.ndarray) or values.dtype != np.uint32 or not (values & referenced).any():
        return False
    assert values.size == ref["stats"]["[]"]["count"]
    for e, expected in enumerate(ref["first_entries"][: len(array)]):
        raw = bytearray()
        for v in array[e].tolist():
            raw += int(v).to_bytes(4, "big")
            if v & referenced:
                raw += b"\0\0"
        items = expected["items"] if isinstance(expected, dict) else expected
        for i, want in enumerate(items):
            assert int.from_bytes(raw[4 * i:4 * i + 4], "big") == want, f"entry {e} item {i}"
    return True


def check_branch(tree, path, typename, ref):
    array = tree.array(path)
    if check_referenced_bits(array, typename, ref):
        return
    entries = len(array)
    assert entries == ref["entries_read"]
    char_string = ref["kind"] == "string"
    content, levels = innermost(array)
    char_string = char_string and isinstance(content, np.ndarray) and content.dtype != object
    stats, strings = {}, [0]
    len_sum = 0
    if isinstance(array, trigml.Jagged):
        len_sum = int(array.offsets[-1] - array.offsets[0])
    elif isinstance(array, np.ndarray) and array.dtype != object and array.ndim > 1:
        len_sum = entries * array.shape[1]
    elif isinstance(array, np.ndarray) and array.dtype == object:
        len_sum = sum(len(v) for v in array if isinstance(v, list))
    if not char_string:
        if content.dtype == object:
            for value in content:
                visit_object(stats, strings, value, "[]" * levels)
        else:
            add_numbers(stats, "[]" * (levels + content.ndim - 1), content)
    if ref.get("len_sum") is not None and not char_string:
        assert len_sum == ref["len_sum"], "element count"
    if "n_strings" in ref and not char_string:
        assert strings[0] == ref["n_strings"]
    if not char_string:
        for path_ref, s in ref["stats"].items():
            ours = stats.get(path_ref)
            if ours is None:
                assert s["count"] == 0, f"no values at path '{path_ref}'"
                continue
            assert ours.count == s["count"], path_ref
            assert close(ours.sum, as_number(s["sum"]), 1e-12), (path_ref, ours.sum, s["sum"])
            assert close(ours.wsum, as_number(s["wsum"]), 1e-12), (path_ref, ours.wsum, s["wsum"])
            if "nonfinite" in s:
                assert ours.nonfinite == s["nonfinite"]
            if s["min"] is not None:
                assert ours.min == as_number(s["min"]) and ours.max == as_number(s["max"]), path_ref
        for path_ours in stats:
            assert path_ours in ref["stats"], f"values at path '{path_ours}' that the reference does not have"
    for e, first in enumerate(ref["first_entries"][:entries]):
        ours = entry(array, e)
        if char_string:
            ours = chars_as_string(ours)
        difference = compare(ours, first, f"entry {e}")
        assert difference is None, difference


def test_the_corpus_is_there():
    if not (CORPUS_DIR / "reference").is_dir():
        pytest.skip(f"no ROOT corpus at {CORPUS_DIR} (set TRIGML_TEST_DATA)")
    assert len(reference_names()) >= 30


@pytest.mark.parametrize("name", reference_names())
def test_every_branch_matches_the_independent_reader(name):
    reference = json.loads((CORPUS_DIR / "reference" / f"{name}.json").read_text())
    f = trigml.open(str(CORPUS_DIR / "files" / f"{name}.root"))
    checked, failures = 0, []
    for tree_ref in reference["trees"]:
        tree = f[f"{tree_ref['path']};{tree_ref['cycle']}"]
        assert tree.num_entries == tree_ref["entries"]
        for other in tree_ref["other_cycles"]:
            assert f[f"{tree_ref['path']};{other['cycle']}"].num_entries == other["entries"]
        # Terminal branches in order, '#N' for repeated names, as the reference keys them.
        paths = tree.keys(full_paths=True)
        parents = {p.rsplit("/", 1)[0] for p in paths if "/" in p}
        typenames = tree.typenames(full_paths=True)
        seen = {}
        for path in paths:
            if path in parents:
                continue
            key = path.rsplit("/", 1)[-1]
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > 1:
                key += f"#{seen[key]}"
            if key in tree_ref["errors"] or key not in tree_ref["values"]:
                continue
            try:
                check_branch(tree, path, typenames[path], tree_ref["values"][key])
            except (AssertionError, trigml.Error) as e:
                failures.append(f"{tree.name} {key}: {e}")
            checked += 1
    expected = sum(1 for t in reference["trees"] for key in t["values"] if key not in t["errors"])
    assert not failures, "\n".join(failures)
    assert checked == expected, "branches with reference values that were not found in the tree"
