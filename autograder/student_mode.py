"""``student-mode``: the nbgrader extensions a student sees in JupyterLab.

Students keep the *Validate* button (lab plugin ``@jupyter/nbgrader:validate-assignment`` and
server extension ``nbgrader.server_extensions.validate_assignment``). The instructor tools
(formgrader, create-assignment) and the exchange-based assignment and course lists (there is
no exchange on Binder or a laptop) are disabled, and the lab plugins locked so that they
cannot be switched back on from JupyterLab's plugin manager. An ``nbgrader_config.py`` in the
same configuration folder gives the Validate button the per-cell time limit used for grading.
The same function serves Binder's ``postBuild`` and ``make lab``; ``--undo`` restores
nbgrader's defaults.
"""

from __future__ import annotations

from pathlib import Path

from autograder.course import DEFAULT_TIMEOUT

#: JupyterLab plugins of nbgrader 0.9 that students do not get.
LAB_PLUGINS_OFF = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:course-list",
)
#: Jupyter Server extensions of nbgrader 0.9 that students do not get.
SERVER_EXTENSIONS_OFF = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
)
#: What students keep.
KEPT = ("@jupyter/nbgrader:validate-assignment", "nbgrader.server_extensions.validate_assignment")

LEVELS = ("sys_prefix", "user")
#: First line of the nbgrader_config.py that student mode writes (and may remove again).
CONFIG_HEADER = "# Written by `python -m autograder student-mode`; `--undo` removes it."


def config_dir(level: str) -> Path:
    """The Jupyter configuration folder of ``level``."""
    from jupyter_core.paths import ENV_CONFIG_PATH, jupyter_config_dir

    return Path(ENV_CONFIG_PATH[0] if level == "sys_prefix" else jupyter_config_dir())


def _write_validate_config(level: str, undo: bool) -> str:
    """The Validate button's per-cell time limit = the grading one, via nbgrader_config.py.

    The button's server extension reads ``nbgrader_config.py`` from the Jupyter config
    folders; a file there that student mode did not write is left alone.
    """
    path = config_dir(level) / "nbgrader_config.py"
    ours = path.is_file() and path.read_text().startswith(CONFIG_HEADER)
    if undo:
        if ours:
            path.unlink()
            return f"removed {path}"
        return f"left {path} alone" if path.exists() else "no nbgrader_config.py to remove"
    if path.exists() and not ours:
        return f"left {path} alone (not written by student-mode): set c.Execute.timeout there"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"{CONFIG_HEADER}\n"
        "# The Validate button runs each cell with the time limit used for grading.\n"
        "# nbgrader honours Execute.timeout, not ExecutePreprocessor.timeout.\n"
        "c = get_config()  # noqa: F821\n"
        f"c.Execute.timeout = {DEFAULT_TIMEOUT}\n"
    )
    return f"wrote {path} (Validate button: {DEFAULT_TIMEOUT} s per cell)"


def apply_student_mode(level: str = "sys_prefix", undo: bool = False) -> list[str]:
    """Disable and lock the instructor plugins at ``level`` (``undo``: enable, unlock).

    Writes the same settings as ``jupyter labextension disable|lock --level=LEVEL`` and
    ``jupyter server extension disable --sys-prefix|--user``, with JupyterLab's and Jupyter
    Server's own configuration writers, but unconditionally at ``level`` (those commands skip
    a plugin that another level already disables, which would leave this level unset).

    Args:
        level: ``"sys_prefix"`` (this Python environment: the venv, or Binder's conda env)
            or ``"user"`` (``$JUPYTER_CONFIG_DIR``, ``~/.jupyter`` by default).
        undo: restore nbgrader's defaults (everything enabled, nothing locked).
    Returns:
        what was done, one line each.
    """
    from jupyter_server.extension.serverextension import toggle_server_extension_python
    from jupyterlab_server.config import get_static_page_config, write_page_config

    if level not in LEVELS:
        raise ValueError(f"apply_student_mode: level must be one of {LEVELS}, got {level!r}")
    page_config = get_static_page_config(level=level)
    for key in ("disabledExtensions", "lockedExtensions"):
        settings = page_config.setdefault(key, {})
        settings.update(dict.fromkeys(LAB_PLUGINS_OFF, not undo))
    write_page_config(page_config, level=level)
    for extension in SERVER_EXTENSIONS_OFF:
        toggle_server_extension_python(
            extension, enabled=undo, user=level == "user", sys_prefix=level == "sys_prefix"
        )
    verb = "enabled" if undo else "disabled and locked"
    return [
        f"{verb} {', '.join(LAB_PLUGINS_OFF)}",
        f"{'enabled' if undo else 'disabled'} {', '.join(SERVER_EXTENSIONS_OFF)}",
        f"kept {', '.join(KEPT)}",
        _write_validate_config(level, undo),
    ]
