"""A released lab's first code cell installs course_lib where it is missing (Colab, a bare
Jupyter), from the location the instructor set once, and says what it did."""

from __future__ import annotations

import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest

from autograder.course import CourseSettings
from autograder.release_steps import INSTALL_CELL_ID, install_cell

REPO = Path(__file__).resolve().parents[1]
LABS = sorted(p.name for p in (REPO / "labs").iterdir() if (p / f"{p.name}.ipynb").is_file())


@pytest.mark.parametrize("lab", LABS)
def test_every_released_lab_starts_with_the_install_cell_for_the_configured_location(lab):
    nb = nbformat.read(REPO / "labs" / lab / f"{lab}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].get("id") == INSTALL_CELL_ID
    location = CourseSettings.read(REPO / "course.toml").install_from
    assert f"COURSE_LIB_SOURCE = {location!r}" in code[0].source
    assert "import course_lib" in code[1].source  # the setup cell comes right after it


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory) -> Path:
    """A new virtual environment with pip and this one's dependencies, but no course_lib.

    The dependencies are seen through a ``.pth`` line naming this environment's
    site-packages (Python reads no ``.pth`` files there, so the editable course_lib of this
    checkout stays invisible); only the wheel the cell installs can bring course_lib.
    """
    env = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, timeout=300)
    python = env / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig."
                              "get_paths()['purelib'])"], capture_output=True, text=True,
                             check=True).stdout.strip()
    ours = [p for p in (sysconfig.get_paths()["purelib"], *site.getsitepackages())
            if Path(p, "numpy").is_dir()]
    Path(purelib, "course_deps.pth").write_text(ours[0] + "\n")
    probe = subprocess.run([str(python), "-c", "import numpy, importlib.util; "
                            "print(importlib.util.find_spec('course_lib'))"],
                           capture_output=True, text=True, check=True, cwd=env)
    assert probe.stdout.strip() == "None", "course_lib must be missing in the fresh venv"
    return python


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "-w", str(out), str(REPO)], check=True, timeout=600)
    return next(out.glob("course_lib-*.whl"))


def test_the_install_cell_says_what_to_do_when_pip_fails(fresh_python, tmp_path):
    # runs before the install below, while the fresh venv has no course_lib
    cell = install_cell(str(tmp_path / "no-such-wheel.whl"))
    script = tmp_path / "first_cell.py"
    script.write_text(cell.source)
    done = subprocess.run([str(fresh_python), str(script)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode != 0
    assert "pip could not install course_lib from" in done.stderr
    assert "Ask your instructor for the right location" in done.stderr


def test_the_install_cell_installs_course_lib_from_a_local_wheel(fresh_python, wheel, tmp_path):
    cell = install_cell(str(wheel))
    script = tmp_path / "first_cell.py"
    script.write_text(cell.source)
    done = subprocess.run([str(fresh_python), str(script)], capture_output=True, text=True,
                          timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"course_lib is not installed here: installing it from {wheel}" in done.stdout
    assert "course_lib installed." in done.stdout
    check = subprocess.run([str(fresh_python), "-c", "import course_lib, course_lib.grading; "
                            "print(course_lib.__file__)"], capture_output=True, text=True,
                           cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert str(REPO) not in check.stdout  # the wheel's copy, not this checkout
    again = subprocess.run([str(fresh_python), str(script)], capture_output=True, text=True,
                           cwd=tmp_path)
    assert "course_lib is installed: nothing to do." in again.stdout
