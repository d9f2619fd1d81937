"""Builds trigml._core with the project's CMake build and places it in the wheel.

The build directory is $TRIGML_BUILD_DIR, else ./build when it is configured already (so an
install after `scripts/build` compiles nothing new), else ./build-python, configured here with
the same options as scripts/build (the optional dependencies that are missing are left out).
"""

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build import build
from setuptools.command.build_ext import build_ext

SOURCE = Path(__file__).resolve().parent


class Build(build):
    """setuptools' own staging (build/lib..., build/bdist...) kept out of the CMake build directory."""

    def initialize_options(self):
        super().initialize_options()
        self.build_base = str(SOURCE / "build-python" / "setuptools")


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = os.environ.get("TRIGML_BUILD_DIR")
        if build_dir:
            build_dir = Path(build_dir)
        elif (SOURCE / "build" / "CMakeCache.txt").exists():
            build_dir = SOURCE / "build"
        else:
            build_dir = SOURCE / "build-python"
        if not (build_dir / "CMakeCache.txt").exists():
            subprocess.run(["cmake", "-S", str(SOURCE), "-B", str(build_dir), "-G", "Ninja",
                            "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DTRIGML_BENCH=OFF", "-DTRIGML_WITH_PYTHON=ON"],
                           check=True)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "trigml_python", "-j", jobs], check=True)
        built = sorted((build_dir / "python" / "trigml").glob("_core*.so"))
        if not built:
            raise RuntimeError(f"the CMake build made no trigml/_core module in {build_dir}/python/trigml "
                               "(is TRIGML_WITH_PYTHON on, and pybind11-dev installed?)")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built[-1], target)


setup(ext_modules=[CMakeExtension("trigml._core")], cmdclass={"build": Build, "build_ext": CMakeBuild})
