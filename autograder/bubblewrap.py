"""The sandbox a grading kernel runs in: bubblewrap, resource limits, a process cap.

A kernel is started as ``python -m autograder.bubblewrap LIMITS -- bwrap ARGS -- KERNEL``.
This module's ``main`` (kept free of heavy imports: it runs once per kernel) sets the resource
limits, puts itself in a fresh pids cgroup when it can, and becomes ``bwrap``, which starts the
kernel with:

* its own user, PID, IPC, UTS, cgroup and network namespaces (no network at all; a new user
  namespace may not be created inside), every capability dropped, a new session;
* ``--die-with-parent``: when the grader dies, bubblewrap and the kernel die, and the end of
  the PID namespace ends every process the kernel started;
* a file system that is read-only except one private working folder (its ``HOME`` and current
  folder, which holds only the notebook): the system's ``/usr``, a few files of ``/etc``,
  Python's installation and the virtual environment; the course's ``course_lib`` with the
  lab's answer key taken out (see :mod:`autograder.answer_key`) mounted over the real one; a
  private ``/tmp`` and ``/dev/shm``. The course source, the submissions, the output folder,
  the gradebooks, the repository checkout and other students' folders are not there;
* an environment made from scratch (nothing of the grader's environment leaks in).

Limits: address space (``RLIMIT_AS``), the size of a file it writes, no core files, and the
number of processes: a pids cgroup when the grader may create one (root, cgroup v1 or v2),
else ``RLIMIT_NPROC`` (which the kernel ignores for root: see the README's threat model).
What its files may hold in all (the scratch limit): the private ``/tmp`` and ``/dev/shm`` are
file systems in memory of that size each (bubblewrap 0.8.0 and newer; an older one gives them
half the machine's memory), and the working folder is one too when the grader may mount it
(root), else a folder on the grader's disk. Without these caps one kernel's files could take
the memory or the disk every other kernel and the grader need.
"""

from __future__ import annotations

import functools
import os
import sys

#: The kernel's user and group id inside its user namespace.
SANDBOX_UID = 1000
#: The cgroup (under the pids controller) that holds one child cgroup per grading kernel.
CGROUP_PARENT = "course_lib-grading"
_PIDS_ROOTS = ("/sys/fs/cgroup/pids", "/sys/fs/cgroup")


def _etc_files() -> list[str]:
    """Files of /etc a kernel needs (dynamic linker, fonts, time zone), when present."""
    wanted = ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/fonts",
              "/etc/localtime", "/etc/alternatives", "/etc/matplotlibrc", "/etc/mime.types"]
    return [p for p in wanted if os.path.exists(p)]


def _system_mounts() -> list[str]:
    """``/usr`` and the top-level folders that link into it (or are real folders)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    return args


def python_roots() -> list[str]:
    """Folders of this Python: its installation and, in a virtual environment, the venv."""
    roots = []
    for path in (sys.base_prefix, sys.prefix, sys.base_exec_prefix, sys.exec_prefix):
        path = os.path.realpath(path)
        if path not in roots and not path.startswith("/usr/"):
            roots.append(path)
    return roots


def bwrap_args(
    work: str,
    overlays: dict[str, str],
    env: dict[str, str],
    scratch: int = 0,
) -> list[str]:
    """The ``bwrap`` command line (without the command).

    Args:
        work: the private working folder (read-write, ``HOME`` and current folder).
        overlays: ``{path in the sandbox: folder on the host}`` mounted read-only over what is
            there (the redacted ``course_lib`` over the real one).
        env: the kernel's whole environment.
        scratch: bytes each of the private ``/tmp`` and ``/dev/shm`` may hold (0: no cap;
            ignored by a bubblewrap older than 0.8.0, see :func:`tmpfs_size_supported`).
    """
    args = ["bwrap", "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-net",
            "--unshare-uts", "--unshare-cgroup-try", "--disable-userns",
            "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--hostname", "grading"]
    args += _system_mounts()
    for path in _etc_files():
        args += ["--ro-bind", path, path]
    # the private /tmp first: Python, the overlays or the working folder may live under /tmp
    # on the host (a checkout in /tmp), and a later mount would hide them
    size = ["--size", str(scratch)] if scratch > 0 and tmpfs_size_supported() else []
    args += ["--proc", "/proc", "--dev", "/dev", *size, "--tmpfs", "/tmp", *size, "--tmpfs",
             "/dev/shm"]
    for root in python_roots():
        args += ["--ro-bind", root, root]
    for target, source in overlays.items():
        args += ["--ro-bind", source, target]
    args += ["--bind", work, work, "--remount-ro", "/", "--chdir", work, "--clearenv"]
    for key, value in sorted(env.items()):
        args += ["--setenv", key, value]
    return args


@functools.lru_cache(maxsize=1)
def tmpfs_size_supported() -> bool:
    """Whether this machine's bubblewrap can cap the size of a file system in memory
    (``--size``, bubblewrap 0.8.0 and newer). Checked once."""
    import subprocess

    try:
        done = subprocess.run(["bwrap", "--help"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "--size" in done.stdout + done.stderr


#: mount(2) and umount2(2) flags: no set-user-id programs, no device files; detach lazily.
_MS_NOSUID, _MS_NODEV, _MNT_DETACH = 2, 4, 2


def mount_scratch(folder: str, size: int) -> bool:
    """Mount a file system in memory of ``size`` bytes (mode 0700) on the empty ``folder``,
    where this process may (root on Linux): a kernel's working folder then holds at most
    ``size`` bytes, and takes nothing of the grader's disk. Returns whether it did (False:
    not root, no right to mount here, or ``size`` is 0); :func:`unmount_scratch` undoes it."""
    if size <= 0 or not sys.platform.startswith("linux") or os.geteuid() != 0:
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    return libc.mount(b"tmpfs", os.fsencode(folder), b"tmpfs",
                      ctypes.c_ulong(_MS_NOSUID | _MS_NODEV),
                      f"size={size},mode=0700".encode()) == 0


def unmount_scratch(folder: str) -> None:
    """Unmount what :func:`mount_scratch` mounted on ``folder`` (its files are gone)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).umount2(os.fsencode(folder), _MNT_DETACH)


#: The variables that set BLAS/OpenMP thread counts.
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def kernel_env(work: str, threads: str | None = None) -> dict[str, str]:
    """The environment of a grading kernel: nothing from the grader but thread counts
    (``threads`` each, else the grader's own)."""
    env = {
        "HOME": work,
        "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin",
                                 "/bin"]),
        "LANG": "C.UTF-8",
        "IPYTHONDIR": os.path.join(work, ".ipython"),
        "MPLCONFIGDIR": os.path.join(work, ".matplotlib"),
        "PYTHONNOUSERSITE": "1",
        "COURSE_LIB_OFFLINE": "1",  # no network in the sandbox: labs use the embedded data
        "COURSE_LIB_GRADING": "1",  # demos may do less work (course_lib.grading.in_grading_kernel)
        "TMPDIR": "/tmp",
    }
    for var in (*THREAD_VARS, "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        value = (threads if var in THREAD_VARS else None) or os.environ.get(var)
        if value:
            env[var] = value
    return env


_PROBLEM: list[str | None] = []


def sandbox_problem() -> str | None:
    """Why no bubblewrap sandbox can run here (None when one can). Checked once."""
    if _PROBLEM:
        return _PROBLEM[0]
    import shutil
    import subprocess

    problem = None
    if not sys.platform.startswith("linux"):
        problem = f"bubblewrap needs Linux (this is {sys.platform})"
    elif shutil.which("bwrap") is None:
        problem = ("bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap; "
                   "Fedora: dnf install bubblewrap)")
    else:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="sandbox-check-") as work:
            cmd = [*bwrap_args(work, {}, {"PATH": "/usr/bin:/bin"}), "--", sys.executable,
                   "-c", "import os, numpy; print(os.getuid())"]
            try:
                done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            except (OSError, subprocess.TimeoutExpired) as err:
                done, problem = None, f"bubblewrap could not start ({err})"
        if done is not None:
            if done.returncode != 0 or done.stdout.strip() != str(SANDBOX_UID):
                reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
                problem = (f"bubblewrap cannot create a sandbox here ({reason}); user "
                           "namespaces may be disabled (sysctl kernel.unprivileged_userns_clone"
                           " or user.max_user_namespaces)")
    _PROBLEM.append(problem)
    return problem


def launcher(memory: int, fsize: int, nproc: int, cgroup: str) -> list[str]:
    """The command that sets the limits and then executes what follows ``--``."""
    return [sys.executable, "-m", "autograder.bubblewrap", "--memory", str(memory),
            "--fsize", str(fsize), "--nproc", str(nproc), "--cgroup", cgroup]


def pids_cgroup(name: str) -> str | None:
    """Create ``<pids root>/course_lib-grading/<name>`` and return its path (None if we may not)."""
    for root in _PIDS_ROOTS:
        controllers = os.path.join(root, "cgroup.controllers")
        if root == "/sys/fs/cgroup" and (not os.path.exists(controllers)
                                         or "pids" not in open(controllers).read().split()):
            continue
        parent = os.path.join(root, CGROUP_PARENT)
        try:
            os.makedirs(parent, exist_ok=True)
            if root == "/sys/fs/cgroup":  # cgroup v2: enable pids for the children
                with open(os.path.join(parent, "cgroup.subtree_control"), "w") as fh:
                    fh.write("+pids")
            path = os.path.join(parent, name)
            os.makedirs(path, exist_ok=True)
            return path
        except OSError:
            continue
    return None


def remove_cgroup(path: str | None) -> None:
    """Remove a kernel's cgroup once its processes are gone (best effort)."""
    if path:
        try:
            os.rmdir(path)
        except OSError:
            pass


def main(argv: list[str]) -> None:
    """Set the limits, join the pids cgroup, then become the command after ``--``."""
    import resource

    split = argv.index("--")
    opts, cmd = argv[:split], argv[split + 1:]
    values = dict(zip(opts[::2], opts[1::2], strict=False))
    memory, fsize, nproc = (int(values.get(k, 0)) for k in ("--memory", "--fsize", "--nproc"))
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    if fsize > 0:
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if nproc > 0:
        path = pids_cgroup(values["--cgroup"]) if values.get("--cgroup") else None
        if path is not None:
            with open(os.path.join(path, "pids.max"), "w") as fh:
                fh.write(str(nproc))
            with open(os.path.join(path, "cgroup.procs"), "w") as fh:
                fh.write(str(os.getpid()))
        else:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main(sys.argv[1:])
