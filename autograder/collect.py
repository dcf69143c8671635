"""``nbgrader collect`` that does not take a submission's word for when it was made.

In nbgrader's file-system exchange the student's own ``nbgrader submit`` writes the
submission's time twice: into the inbound folder's name
(``<student>+<assignment>+<timestamp>+<random>``) and into ``timestamp.txt`` inside it. Both
are the student's to write: anyone who can submit can also create or edit an inbound folder
by hand, with an on-time timestamp on late work. nbgrader's collect picks the newest
submission by the folder name and copies ``timestamp.txt`` into
``submitted/<student>/<assignment>/``, where autograde (and ``python -m autograder grade``)
compute lateness from it.

:class:`CheckedTimeCollect` checks the claim against the one time a student cannot set
backwards: the inode change time (ctime) of the submission's files and folders, which the
kernel sets on every write, rename, chmod or link. An honest submit writes its files right
after it takes its timestamp, so the newest ctime lies just after the claim (the time the
copy took); a submission made, edited or renamed later has a newer ctime, and one dated in
the future an older one. The rule (:func:`recorded_time`)::

    recorded = claim          when |claim - newest ctime| <= tolerance (5 s by default)
    recorded = newest ctime   otherwise (or when there is no readable claim)

The recorded time decides which inbound submission of a student is collected (and, with
``--before-duedate``, which ones count as on time), and is written to the collected
``timestamp.txt`` in nbgrader's format, in UTC (a claim written in the exchange's own zone,
``... CEST``, is read in that zone, which nbgrader's ``parse_utc`` gets wrong). When it
differs from the claim by more than a second, collect logs a warning naming the student and
both times, and keeps the student's claim, verbatim, in ``timestamp_claimed.txt`` beside it
(nbgrader's autograde and generate_feedback copy such extra files along;
``python -m autograder grade`` reads only ``timestamp.txt``).

Configuration (``nbgrader_config.py``, wired by :mod:`autograder.native`)::

    c.ExchangeFactory.collect = "autograder.collect.CheckedTimeCollect"
    c.CheckedTimeCollect.timestamp_tolerance = 5.0   # seconds a submit may take
    c.CheckedTimeCollect.check_ctime = False         # nbgrader's behaviour (e.g. after
                                                     # restoring the exchange from a backup)
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
from dataclasses import dataclass

from dateutil.parser import parse as parse_date
from dateutil.tz import enfold, gettz
from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import parse_utc
from traitlets import Bool, Float

#: What nbgrader writes by default (``Exchange.timestamp_format`` in ``Exchange.timezone``
#: UTC); its ``parse_utc`` and ours read it back to the microsecond.
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"
#: The file the submission's time is kept in, and the one the student's claim is kept in.
TIMESTAMP_FILE = "timestamp.txt"
CLAIM_FILE = "timestamp_claimed.txt"
#: Seconds between the claim and the files' newest ctime an honest submit can take.
DEFAULT_TOLERANCE = 5.0
#: A recorded time further than this from the claim is reported (warning, claim file).
REPORT_SECONDS = 1.0
#: Most bytes of a student's timestamp.txt read (nbgrader writes one short line).
MAX_CLAIM_BYTES = 1024
#: Most files and folders of one submission whose ctimes are read.
MAX_SCAN_ENTRIES = 100_000
_EPOCH = dt.datetime(1970, 1, 1)


def as_utc(when: dt.datetime) -> dt.datetime:
    """``when`` as a naive UTC datetime, nbgrader's convention (naive input is UTC already).

    Args:
        when: an aware datetime (any zone) or a naive one in UTC.
    Returns:
        the same instant, naive, in UTC.
    """
    if when.tzinfo is not None and when.utcoffset() is not None:
        return (when - when.utcoffset()).replace(tzinfo=None)
    return when.replace(tzinfo=None)


def format_timestamp(when: dt.datetime) -> str:
    """``when`` in nbgrader's timestamp format, in UTC (``2027-01-18 23:59:00.000000 UTC``)."""
    return as_utc(when).strftime(TIMESTAMP_FORMAT)


def parse_claim(text: str, zone: str = "") -> dt.datetime | None:
    """A timestamp as nbgrader writes it, as a naive UTC datetime; None when unreadable.

    nbgrader writes ``datetime.now(gettz(Exchange.timezone)).strftime("%Y-%m-%d
    %H:%M:%S.%f %Z")``: with a zone other than UTC, ``%Z`` is an abbreviation (``CEST``,
    ``EDT``, ``IST``) that its own ``parse_utc`` cannot look up and silently reads as UTC,
    hours off. Given the exchange's ``zone``, an abbreviation that zone uses at that local
    time is read in that zone; anything else is read by ``parse_utc``.

    Args:
        text: the timestamp (``2027-01-18 23:59:00.000000 UTC``, ``... CEST``, ISO 8601).
        zone: ``Exchange.timezone`` (an IANA name such as ``Europe/Berlin``); '' for none.
    Returns:
        the instant, naive UTC; None for empty or unparsable text.
    """
    text = text.strip()
    if not text:
        return None
    parts = text.split(" ")
    local_zone = gettz(zone) if zone else None
    if local_zone is not None and len(parts) == 3:
        try:
            local = parse_date(" ".join(parts[:2]))
        except (ValueError, OverflowError):
            local = None
        if local is not None and local.tzinfo is None:
            for fold in (0, 1):  # the hour a clock goes back happens twice
                aware = enfold(local.replace(tzinfo=local_zone), fold)
                if aware.tzname() == parts[2]:
                    return as_utc(aware)
    try:
        return as_utc(parse_utc(text))
    except (ValueError, OverflowError, TypeError, AttributeError):
        return None


def _ctime_ns(path: str) -> int:
    """Newest ctime of ``path`` itself and, when it is a link, of what it points to."""
    newest = os.lstat(path).st_ctime_ns
    try:
        newest = max(newest, os.stat(path).st_ctime_ns)
    except OSError:  # a dangling link
        pass
    return newest


def newest_ctime(folder: str | os.PathLike[str],
                 max_entries: int = MAX_SCAN_ENTRIES) -> dt.datetime:
    """The newest inode change time of ``folder`` and of everything in it.

    Links are followed (collect's copy follows them too, so a link's target is part of what
    is collected; ``nbgrader submit`` itself never leaves a link), each folder once. Entries
    that cannot be listed still count by their own ctime. A submission with more than
    ``max_entries`` entries (a link to ``/``) cannot be vouched for: it counts as changed now.

    Args:
        folder: one inbound submission.
        max_entries: most files and folders looked at.
    Returns:
        the newest ctime, a naive UTC datetime (microseconds).
    """
    folder = os.fspath(folder)
    newest = _ctime_ns(folder)
    seen: set[tuple[int, int]] = set()
    entries = 0
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        entries += len(dirnames) + len(filenames)
        if entries > max_entries:
            return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        try:
            st = os.stat(dirpath)
        except OSError:
            dirnames[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen:  # a link loop, or a folder linked twice
            dirnames[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        for name in (*dirnames, *filenames):
            try:
                newest = max(newest, _ctime_ns(os.path.join(dirpath, name)))
            except OSError:  # gone while we looked
                pass
    return _EPOCH + dt.timedelta(microseconds=newest // 1000)


def recorded_time(claimed: dt.datetime | None, changed: dt.datetime,
                  tolerance: float = DEFAULT_TOLERANCE) -> dt.datetime:
    """The submission time to record, from the student's claim and the files' newest ctime.

    An honest ``nbgrader submit`` takes its timestamp, then writes the files: their newest
    ctime lies after the claim by the time the copy took (and the kernel's file clock may lag
    the claim's by a few milliseconds). Within ``tolerance`` of the ctime, in either
    direction, the claim stands, so an honest student is never late for the copy's sake.
    Further away it does not: claims dated earlier (a forgery, an edit after submitting) and
    claims dated later (a forged "newer" submission, a clock running ahead) are replaced by
    the ctime, which nobody but the kernel sets and which is never earlier than the last
    change to the submission.

    Args:
        claimed: the student's timestamp (aware, or naive UTC); None when there is none.
        changed: the newest ctime of the submission (aware, or naive UTC).
        tolerance: seconds the claim may differ from ``changed`` and still stand.
    Returns:
        the time to record, naive UTC.
    """
    changed = as_utc(changed)
    if claimed is None:
        return changed
    claimed = as_utc(claimed)
    if abs((claimed - changed).total_seconds()) <= tolerance:
        return claimed
    return changed


@dataclass(frozen=True)
class SubmissionTime:
    """One inbound submission's times."""

    claim_text: str  # the student's claim, verbatim (timestamp.txt, else the folder name's)
    claimed: dt.datetime | None  # the claim, parsed (naive UTC); None when unreadable
    changed: dt.datetime  # newest ctime of the submission's files and folders (naive UTC)
    recorded: dt.datetime  # what collect records (:func:`recorded_time`)

    @property
    def disputed(self) -> bool:
        """True when the recorded time is more than a second away from the claim."""
        return (self.claimed is None
                or abs((self.recorded - self.claimed).total_seconds()) > REPORT_SECONDS)


def read_claim(folder: str | os.PathLike[str]) -> str:
    """The text of the submission's ``timestamp.txt``: '' when absent or not a regular file.

    Reads at most :data:`MAX_CLAIM_BYTES`; never opens a pipe or a device.
    """
    path = os.path.join(os.fspath(folder), TIMESTAMP_FILE)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return ""
        with open(path, "rb") as fh:
            return fh.read(MAX_CLAIM_BYTES).decode("utf-8", errors="replace").strip()
    except OSError:
        return ""


def submission_time(folder: str | os.PathLike[str], tolerance: float = DEFAULT_TOLERANCE,
                    zone: str = "") -> SubmissionTime:
    """Claimed, changed and recorded time of one inbound submission folder.

    Args:
        folder: ``<inbound>/<student>+<assignment>+<timestamp>[+<random>]``.
        tolerance: see :func:`recorded_time`.
        zone: the exchange's ``Exchange.timezone`` (see :func:`parse_claim`).
    Returns:
        the claim (``timestamp.txt``, or the folder name's timestamp when that file is
        missing or unreadable), the newest ctime and the time to record.
    """
    claim_text = read_claim(folder)
    claimed = parse_claim(claim_text, zone)
    if claimed is None:
        parts = os.path.basename(os.path.normpath(os.fspath(folder))).rsplit("+", 3)
        if len(parts) >= 3 and parse_claim(parts[2], zone) is not None:
            claim_text, claimed = parts[2], parse_claim(parts[2], zone)
    changed = newest_ctime(folder)
    return SubmissionTime(claim_text, claimed, changed,
                          recorded_time(claimed, changed, tolerance))


def _printable(text: str, limit: int = 200) -> str:
    """Student-written text made safe for a terminal (escapes shown, length capped)."""
    text = text[:limit]
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def _remove(path: str) -> None:
    """Remove whatever is at ``path`` (a file, a link, a folder), if anything."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)


def _replace_file(path: str, text: str) -> None:
    """Write ``text`` to ``path``, first removing whatever a submission put there."""
    _remove(path)
    with open(path, "w") as fh:
        fh.write(text)


class CheckedTimeCollect(ExchangeCollect):
    """nbgrader's default collect, with each submission's time checked against its ctime.

    Every inbound submission's record carries the recorded time (:func:`recorded_time`)
    instead of its folder name's, so nbgrader's own choice of the newest submission,
    ``--before-duedate`` and ``--update`` all go by it; the collected copy's
    ``timestamp.txt`` holds it.
    """

    timestamp_tolerance = Float(
        DEFAULT_TOLERANCE,
        help="Seconds a submission's claimed timestamp may differ from the newest ctime of "
             "its files and still be recorded (the time an honest submit's copy takes).",
    ).tag(config=True)

    check_ctime = Bool(
        True,
        help="Check claimed timestamps against the files' ctime. Turn off only where ctimes "
             "are meaningless (an exchange restored from a backup or moved with its files).",
    ).tag(config=True)

    def _path_to_record(self, path: str) -> dict:
        """nbgrader's record of one inbound folder, its timestamp the recorded time."""
        if not self.check_ctime:
            return super()._path_to_record(path)
        filename = os.path.split(path)[1]
        parts = filename.rsplit("+", 3)  # as nbgrader splits it (usernames may hold '+')
        if len(parts) < 3:
            self.fail(f"Invalid filename: {filename}")
        when = submission_time(path, self.timestamp_tolerance, self.timezone)
        if when.disputed:
            self.log.info("%s: claims %s, last changed %s", _printable(filename),
                          _printable(when.claim_text) or "no timestamp",
                          format_timestamp(when.changed))
        return {"username": parts[0], "filename": filename, "timestamp": when.recorded,
                "submission_time": when}

    def do_copy(self, src: str, dest: str, log: object = None) -> None:
        """Copy one submission, then write the recorded time into its ``timestamp.txt``.

        The ctimes are read again after the copy, so an edit made while collect ran counts.
        """
        super().do_copy(src, dest, log)
        if not self.check_ctime:
            return
        when = submission_time(src, self.timestamp_tolerance, self.timezone)
        _replace_file(os.path.join(dest, TIMESTAMP_FILE), format_timestamp(when.recorded))
        claim_path = os.path.join(dest, CLAIM_FILE)
        if when.disputed:
            _replace_file(claim_path, when.claim_text)
            student = os.path.basename(os.path.normpath(src)).rsplit("+", 3)[0]
            self.log.warning(
                "Submission time of %s for %s: the student claims %s, but the submission's "
                "files last changed at %s; recorded %s (claim kept in %s)",
                _printable(student), self.coursedir.assignment_id,
                _printable(when.claim_text) or "no timestamp",
                format_timestamp(when.changed), format_timestamp(when.recorded), CLAIM_FILE)
        else:  # a file of that name the student shipped is no claim of ours
            _remove(claim_path)
