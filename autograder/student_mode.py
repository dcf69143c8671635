"""``student-mode``: the nbgrader extensions a student sees in JupyterLab.

Students keep the *Validate* button (lab plugin ``@jupyter/nbgrader:validate-assignment`` and
server extension ``nbgrader.server_extensions.validate_assignment``). The instructor tools
(formgrader, create-assignment) are disabled, and their lab plugins locked so that they
cannot be switched back on from JupyterLab's plugin manager. The exchange-based Assignment
List and course list stay wherever nbgrader's exchange folder exists (a JupyterHub course:
students fetch, submit and fetch feedback there); on Binder or a laptop, with no exchange,
they are disabled too. An ``nbgrader_config.py`` in the
same configuration folder gives the Validate button the per-cell time limit used for grading.
The same function serves Binder's ``postBuild`` and ``make lab``; ``--undo`` restores
nbgrader's defaults.
"""

from __future__ import annotations

from pathlib import Path

from autograder.course import DEFAULT_TIMEOUT

#: JupyterLab plugins of nbgrader 0.9 that students never get (the instructor tools).
INSTRUCTOR_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment")
#: JupyterLab plugins that need nbgrader's exchange (off where there is none).
EXCHANGE_PLUGINS = ("@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:course-list")
LAB_PLUGINS_OFF = INSTRUCTOR_PLUGINS + EXCHANGE_PLUGINS
#: Jupyter Server extensions of nbgrader 0.9, the same split.
INSTRUCTOR_EXTENSIONS = ("nbgrader.server_extensions.formgrader",)
EXCHANGE_EXTENSIONS = ("nbgrader.server_extensions.assignment_list",
                       "nbgrader.server_extensions.course_list")
SERVER_EXTENSIONS_OFF = INSTRUCTOR_EXTENSIONS + EXCHANGE_EXTENSIONS
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


def exchange_root() -> Path | None:
    """nbgrader's exchange folder as configured here (the ``nbgrader_config.py`` files of the
    Jupyter configuration path, e.g. a JupyterHub's ``/etc/jupyter``), when it exists."""
    from jupyter_core.paths import jupyter_config_path
    from nbgrader.exchange.default.exchange import Exchange
    from traitlets.config import Config
    from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader

    config = Config()
    for folder in reversed(jupyter_config_path()):  # the first folder has the last word
        try:
            config.merge(PyFileConfigLoader("nbgrader_config.py", path=folder).load_config())
        except ConfigFileNotFound:
            continue
    root = Path(Exchange(config=config).root)
    return root if root.is_dir() else None


def apply_student_mode(level: str = "sys_prefix", undo: bool = False) -> list[str]:
    """Disable and lock the instructor plugins at ``level`` (``undo``: enable, unlock); the
    Assignment List too where no exchange exists (:func:`exchange_root`).

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
    exchange = None if undo else exchange_root()
    plugins_off = INSTRUCTOR_PLUGINS + (() if exchange else EXCHANGE_PLUGINS)
    extensions_off = INSTRUCTOR_EXTENSIONS + (() if exchange else EXCHANGE_EXTENSIONS)
    page_config = get_static_page_config(level=level)
    for key in ("disabledExtensions", "lockedExtensions"):
        settings = page_config.setdefault(key, {})
        settings.update(dict.fromkeys(LAB_PLUGINS_OFF, False))
        settings.update(dict.fromkeys(plugins_off, not undo))
    write_page_config(page_config, level=level)
    for extension in SERVER_EXTENSIONS_OFF:
        toggle_server_extension_python(
            extension, enabled=undo or extension not in extensions_off,
            user=level == "user", sys_prefix=level == "sys_prefix",
        )
    verb = "enabled" if undo else "disabled and locked"
    kept = KEPT + ((*EXCHANGE_PLUGINS, *EXCHANGE_EXTENSIONS) if exchange else ())
    lines = [
        f"{verb} {', '.join(LAB_PLUGINS_OFF if undo else plugins_off)}",
        f"{'enabled' if undo else 'disabled'} "
        f"{', '.join(SERVER_EXTENSIONS_OFF if undo else extensions_off)}",
        f"kept {', '.join(kept)}",
    ]
    if exchange:
        lines.append(f"nbgrader exchange at {exchange}: the Assignment List stays")
    return [*lines, _write_validate_config(level, undo)]
