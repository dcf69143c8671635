"""The engine, the autograd engine, gradient checks and data never import torch."""

import subprocess
import sys

MODULES = ["course_lib", "course_lib.engine", "course_lib.engine.functional",
           "course_lib.engine.nn", "course_lib.engine.losses", "course_lib.engine.init",
           "course_lib.engine.optim", "course_lib.engine.schedules", "course_lib.engine.train",
           "course_lib.autograd", "course_lib.gradcheck", "course_lib.data",
           "course_lib.grading"]


def test_importing_the_engine_does_not_import_torch():
    code = ("import importlib, sys\n"
            f"for m in {MODULES!r}: importlib.import_module(m)\n"
            "print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False", result.stderr
