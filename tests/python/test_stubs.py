"""help() and editors show the module: every public name has a docstring, and the stubs
(python/trigml/__init__.pyi) declare every public function and method with the parameter names the
compiled module takes (pybind11 writes them into the docstring's first line)."""

import ast
import inspect
import re

import trigml
from conftest import SOURCE_DIR


def stub_signatures():
    """name -> parameter names, for the stubs' functions and 'Class.method's."""
    tree = ast.parse((SOURCE_DIR / "python" / "trigml" / "__init__.pyi").read_text())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out[node.name] = [a.arg for a in node.args.args]
        elif isinstance(node, ast.ClassDef):
            out[node.name] = None
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    out[f"{node.name}.{item.name}"] = [a.arg for a in item.args.args if a.arg != "self"]
    return out


def compiled_parameters(function):
    """The parameter names of a pybind11 function, from its signature line ('name(a: int, b: str) -> x')."""
    first = function.__doc__.splitlines()[0]
    inside = first[first.index("(") + 1:first.rindex(") ->")]
    names = re.findall(r"(?:^|, )(\*{0,2}\w+)(?=: |$|, )", inside)
    return [n for n in names if n != "self"]


def test_every_public_name_has_a_docstring_and_a_stub():
    stubs = stub_signatures()
    for name in trigml.__all__:
        if name in ("__version__", "has_training"):
            continue
        value = getattr(trigml, name)
        assert name in stubs, f"{name} has no stub"
        assert value.__doc__ and len(value.__doc__.strip()) > 20, f"{name} has no docstring"
        if inspect.isclass(value):
            for member, attribute in vars(value).items():
                if member.startswith("_") or not callable(attribute):
                    continue
                assert f"{name}.{member}" in stubs, f"{name}.{member} has no stub"
                assert compiled_parameters(attribute) == stubs[f"{name}.{member}"], f"{name}.{member}"
        else:
            assert compiled_parameters(value) == stubs[name], name
