"""`pip install --no-build-isolation .` into a fresh virtual environment (seeing Debian's numpy
through --system-site-packages) works offline, and the installed module imports and reads. The
install reuses the CMake build directory CTest runs in ($TRIGML_BUILD_DIR), so it compiles
nothing that is up to date. Labelled slow."""

import os
import subprocess
import sys
from pathlib import Path

from conftest import SOURCE_DIR


def test_pip_install_into_a_fresh_venv_works_offline(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # No package index: pip must find everything it needs on this machine.
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    install = subprocess.run([str(venv / "bin" / "pip"), "install", "--no-build-isolation", str(SOURCE_DIR)],
                             env=env, capture_output=True, text=True)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    check = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import trigml, numpy; print(trigml.__file__); "
         "j = trigml.Jagged(numpy.array([0, 2]), numpy.array([1.0, 2.0])); print(j.to_list())"],
        env=env, cwd=tmp_path, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    installed, values = check.stdout.splitlines()
    assert Path(installed).is_relative_to(venv), installed
    assert values == "[[1.0, 2.0]]"
