"""``nbgrader collect`` records when a submission really was made (autograder.collect).

The end-to-end cases run nbgrader's own ``submit`` (in each student's home, with nbgrader's
default exchange) and ``collect`` (in a copy of this course's ``nbgrader_config.py`` and
``course.toml``, which wire in :class:`autograder.collect.CheckedTimeCollect`) against a
temporary exchange; the assignment is released by hand into the exchange's outbound folder
(one tiny notebook), and nothing is autograded. Four students:

- alice submits honestly;
- bob forges his submission after submitting: ``timestamp.txt`` and the folder name say three
  days earlier;
- carol dates her ``timestamp.txt`` three days back, then edits her notebook in the inbound
  folder;
- dave submits twice, and dates his first submission (folder name and ``timestamp.txt``) a
  day in the future before the second, so that nbgrader's pick by folder name would take it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from dateutil.tz import gettz
from nbgrader.utils import parse_utc

from autograder.collect import (
    CLAIM_FILE,
    as_utc,
    format_timestamp,
    newest_ctime,
    parse_claim,
    recorded_time,
    submission_time,
)
from autograder.course import CourseSettings

REPO = Path(__file__).resolve().parents[1]
LAB = "00_warmup"
NBGRADER = [sys.executable, "-m", "nbgrader"]
UTC = dt.timezone.utc
#: The kernel stamps ctimes from a coarse clock that may lag time.time() by a tick.
CLOCK_SLACK = dt.timedelta(seconds=0.5)


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC).replace(tzinfo=None)


def stamp(when: dt.datetime) -> str:
    """A timestamp as nbgrader writes it with its default settings (UTC)."""
    return when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def notebook(marker: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"answer = {marker!r}")])


def inbound_of(exchange: Path, course_id: str, student: str) -> list[Path]:
    return sorted((exchange / course_id / "inbound").glob(f"{student}+{LAB}+*"))


def rewrite(path: Path, text: str) -> None:
    """Overwrite a file in place (same inode), as a student's editor would."""
    with open(path, "r+") as fh:
        fh.seek(0)
        fh.write(text)
        fh.truncate()


def rename_with_time(folder: Path, when: str) -> Path:
    """The inbound folder renamed to carry ``when`` (student+lab+time+random)."""
    student, lab, _, rand = folder.name.rsplit("+", 3)
    new = folder.with_name(f"{student}+{lab}+{when}+{rand}")
    folder.rename(new)
    return new


def submit_all(students: list[str], tmp: Path, exchange: Path, course_id: str) -> None:
    """``nbgrader submit`` for each student, all at once (each in a home of their own)."""
    procs = []
    for student in students:
        procs.append((student, subprocess.Popen(
            [*NBGRADER, "submit", LAB, f"--student={student}", f"--Exchange.root={exchange}",
             f"--CourseDirectory.course_id={course_id}",
             f"--Exchange.cache={tmp / 'cache' / student}"],
            cwd=tmp / "home" / student, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)))
    for student, proc in procs:
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, (student, out[-3000:])


def write_home(tmp: Path, student: str, marker: str, extra: dict[str, str] | None = None):
    folder = tmp / "home" / student / LAB
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook(marker), folder / f"{LAB}.ipynb")
    for name, text in (extra or {}).items():
        (folder / name).write_text(text)


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """Submit, tamper, collect; returns the folders, what was forged, and collect's log."""
    tmp = tmp_path_factory.mktemp("collect")
    root, exchange = tmp / "course", tmp / "exchange"
    root.mkdir()
    for name in ("nbgrader_config.py", "course.toml"):
        shutil.copyfile(REPO / name, root / name)
    course_id = CourseSettings.read(root / "course.toml").course_id
    # what `nbgrader release_assignment` leaves in the exchange, without generating the lab
    outbound = exchange / course_id / "outbound" / LAB
    outbound.mkdir(parents=True)
    nbformat.write(notebook("released"), outbound / f"{LAB}.ipynb")
    (exchange / course_id / "inbound").mkdir()
    exchange.chmod(0o777)
    (exchange / course_id / "inbound").chmod(0o733)

    # alice ships a file named like ours, with an old date in it: it must not pass as ours
    write_home(tmp, "alice", "alice", {CLAIM_FILE: "2000-01-01 00:00:00.000000 UTC"})
    for student in ("bob", "carol", "dave"):
        write_home(tmp, student, f"{student} first")
    submit_all(["alice", "bob", "carol", "dave"], tmp, exchange, course_id)
    facts = {"alice_claim": (inbound_of(exchange, course_id, "alice")[0]
                             / "timestamp.txt").read_text()}

    # bob: after submitting, his files and folder name say three days earlier
    facts["bob_forged_at"] = utcnow()
    facts["bob_claim"] = stamp(facts["bob_forged_at"] - dt.timedelta(days=3))
    bob = rename_with_time(inbound_of(exchange, course_id, "bob")[0], facts["bob_claim"])
    rewrite(bob / "timestamp.txt", facts["bob_claim"])

    # carol: dates her claim back, then edits her notebook in the inbound folder
    carol = inbound_of(exchange, course_id, "carol")[0]
    facts["carol_claim"] = stamp(utcnow() - dt.timedelta(days=3))
    rewrite(carol / "timestamp.txt", facts["carol_claim"])
    rewrite(carol / f"{LAB}.ipynb", json.dumps(notebook("carol edited")))
    ctime_ns = os.stat(carol / f"{LAB}.ipynb").st_ctime_ns
    facts["carol_edit_ctime"] = dt.datetime(1970, 1, 1) + dt.timedelta(
        microseconds=ctime_ns // 1000)

    # dave: his first submission now claims to be from tomorrow; then he submits again
    first = inbound_of(exchange, course_id, "dave")[0]
    facts["dave_future"] = stamp(utcnow() + dt.timedelta(days=1))
    first = rename_with_time(first, facts["dave_future"])
    rewrite(first / "timestamp.txt", facts["dave_future"])
    write_home(tmp, "dave", "dave second")
    submit_all(["dave"], tmp, exchange, course_id)
    second = next(p for p in inbound_of(exchange, course_id, "dave") if p != first)
    facts["dave_first"], facts["dave_second"] = first, second
    facts["dave_second_claim"] = (second / "timestamp.txt").read_text()

    done = subprocess.run([*NBGRADER, "collect", LAB, f"--Exchange.root={exchange}"],
                          cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    facts["collected_by"] = utcnow()
    return {"submitted": root / "submitted", "log": done.stdout + done.stderr, **facts}


def collected_time(collected, student: str) -> dt.datetime:
    return parse_utc((collected["submitted"] / student / LAB / "timestamp.txt").read_text())


def collected_answer(collected, student: str) -> str:
    nb = nbformat.read(collected["submitted"] / student / LAB / f"{LAB}.ipynb", as_version=4)
    return nb.cells[0].source


def warnings_about(collected, student: str) -> list[str]:
    return [line for line in collected["log"].splitlines()
            if "WARNING" in line and f"Submission time of {student} " in line]


# ------------------------------------------------------------------ end to end


def test_an_honest_submission_keeps_the_students_timestamp_exactly(collected):
    path = collected["submitted"] / "alice" / LAB / "timestamp.txt"
    assert path.read_text() == collected["alice_claim"]
    assert collected_time(collected, "alice") == parse_utc(collected["alice_claim"])
    assert warnings_about(collected, "alice") == []
    assert collected_answer(collected, "alice") == "answer = 'alice'"


def test_a_students_own_timestamp_claimed_file_is_not_collected_as_a_claim(collected):
    assert not (collected["submitted"] / "alice" / LAB / CLAIM_FILE).exists()


def test_a_forged_earlier_timestamp_is_replaced_by_the_time_of_the_forgery(collected):
    recorded = collected_time(collected, "bob")
    assert collected["bob_forged_at"] - CLOCK_SLACK <= recorded <= collected["collected_by"]
    assert recorded - parse_utc(collected["bob_claim"]) > dt.timedelta(days=2, hours=23)
    # the claim is kept beside it, verbatim, and the instructor is told
    assert (collected["submitted"] / "bob" / LAB / CLAIM_FILE).read_text() \
        == collected["bob_claim"]
    (warning,) = warnings_about(collected, "bob")
    assert collected["bob_claim"] in warning
    assert f"recorded {format_timestamp(recorded)}" in warning


def test_an_edit_after_submitting_is_recorded_at_the_edits_ctime(collected):
    assert collected_time(collected, "carol") == collected["carol_edit_ctime"]
    assert collected_answer(collected, "carol") == "answer = 'carol edited'"
    assert (collected["submitted"] / "carol" / LAB / CLAIM_FILE).read_text() \
        == collected["carol_claim"]
    (warning,) = warnings_about(collected, "carol")
    assert collected["carol_claim"] in warning


def test_the_submission_really_made_last_is_collected_not_the_one_named_newest(collected):
    first, second = collected["dave_first"], collected["dave_second"]
    # by folder name (nbgrader's own pick) the first would win
    assert parse_utc(first.name.rsplit("+", 3)[2]) > parse_utc(second.name.rsplit("+", 3)[2])
    assert collected_answer(collected, "dave") == "answer = 'dave second'"
    assert collected_time(collected, "dave") == parse_utc(collected["dave_second_claim"])
    assert not (collected["submitted"] / "dave" / LAB / CLAIM_FILE).exists()
    assert warnings_about(collected, "dave") == []


# ------------------------------------------------------------------ the pure rule


def test_recorded_time_keeps_a_claim_within_the_tolerance_of_the_newest_ctime():
    changed = dt.datetime(2027, 1, 18, 23, 59, 0, 40_000)
    copy_started = dt.datetime(2027, 1, 18, 23, 58, 59, 990_000)  # 50 ms before: the copy
    assert recorded_time(copy_started, changed) == copy_started
    skewed = changed + dt.timedelta(milliseconds=5)  # a claim's clock a tick ahead
    assert recorded_time(skewed, changed) == skewed
    assert recorded_time(changed - dt.timedelta(seconds=5), changed, tolerance=5.0) \
        == changed - dt.timedelta(seconds=5)


def test_recorded_time_takes_the_ctime_for_early_future_or_missing_claims():
    changed = dt.datetime(2027, 1, 19, 10, 0, 0)
    assert recorded_time(changed - dt.timedelta(days=3), changed) == changed
    assert recorded_time(changed - dt.timedelta(seconds=5.001), changed, 5.0) == changed
    assert recorded_time(changed + dt.timedelta(days=1), changed) == changed
    assert recorded_time(None, changed) == changed
    assert recorded_time(changed - dt.timedelta(seconds=30), changed, tolerance=0.0) == changed


def test_recorded_time_compares_instants_across_time_zones():
    berlin = gettz("Europe/Berlin")
    changed = dt.datetime(2027, 1, 18, 22, 59, 1)  # naive: UTC
    claim_berlin = dt.datetime(2027, 1, 18, 23, 59, 0, tzinfo=berlin)  # 22:59:00 UTC
    assert recorded_time(claim_berlin, changed) == dt.datetime(2027, 1, 18, 22, 59, 0)
    # the same wall-clock time read as UTC would be an hour later: no longer within 5 s
    assert recorded_time(claim_berlin.replace(tzinfo=None), changed) == changed
    changed_aware = dt.datetime(2027, 1, 19, 3, 59, 1, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    assert recorded_time(claim_berlin, changed_aware) == dt.datetime(2027, 1, 18, 22, 59, 0)
    assert as_utc(claim_berlin).tzinfo is None


def test_parse_claim_reads_nbgrader_timestamps_in_utc_and_in_the_exchanges_zone():
    assert parse_claim("2027-01-18 23:59:00.123456 UTC") \
        == dt.datetime(2027, 1, 18, 23, 59, 0, 123456)
    # what nbgrader's submit writes with Exchange.timezone = Europe/Berlin, in summer
    summer = dt.datetime(2026, 7, 15, 12, 0, tzinfo=gettz("Europe/Berlin"))
    text = summer.strftime("%Y-%m-%d %H:%M:%S.%f %Z")
    assert text.endswith("CEST")
    assert parse_claim(text, "Europe/Berlin") == dt.datetime(2026, 7, 15, 10, 0)
    # nbgrader's own parse_utc cannot look "CEST" up and reads it as UTC, two hours off
    assert parse_utc(text) == dt.datetime(2026, 7, 15, 12, 0)
    # the hour the clocks go back: CEST then CET
    assert parse_claim("2026-10-25 02:30:00.000000 CEST", "Europe/Berlin") \
        == dt.datetime(2026, 10, 25, 0, 30)
    assert parse_claim("2026-10-25 02:30:00.000000 CET", "Europe/Berlin") \
        == dt.datetime(2026, 10, 25, 1, 30)
    assert parse_claim("2027-01-18 23:59:00 EST", "Europe/Berlin") \
        == dt.datetime(2027, 1, 19, 4, 59)
    assert parse_claim("") is None
    assert parse_claim("yesterday, honestly") is None


def test_format_timestamp_round_trips_through_nbgraders_parser():
    when = dt.datetime(2027, 1, 18, 23, 59, 0, 7, tzinfo=gettz("America/New_York"))
    text = format_timestamp(when)
    assert text == "2027-01-19 04:59:00.000007 UTC"
    assert parse_utc(text) == as_utc(when)


def test_newest_ctime_counts_every_entry_and_what_a_link_points_to(tmp_path):
    sub = tmp_path / "alice+lab+2027-01-01 00:00:00.000000 UTC+r"
    (sub / "deep").mkdir(parents=True)
    (sub / "deep" / "a.txt").write_text("a")
    outside = tmp_path / "outside.txt"
    outside.write_text("before")
    (sub / "link.txt").symlink_to(outside)
    (sub / "loop").symlink_to(sub)  # a link loop ends the walk, not the test
    before = newest_ctime(sub)
    outside.write_text("edited after submitting")  # collect's copy follows the link
    after = newest_ctime(sub)
    expected = dt.datetime(1970, 1, 1) + dt.timedelta(
        microseconds=os.stat(outside).st_ctime_ns // 1000)
    assert after == expected >= before


def test_newest_ctime_of_a_submission_too_big_to_check_is_now(tmp_path):
    for name in "abc":
        (tmp_path / name).write_text(name)
    before = utcnow()
    assert newest_ctime(tmp_path) <= before  # three entries: read
    assert before <= newest_ctime(tmp_path, max_entries=2) <= utcnow()  # two at most: now


def test_submission_time_falls_back_to_the_folder_name_when_timestamp_txt_is_unreadable(
        tmp_path):
    name_time = stamp(utcnow())
    sub = tmp_path / f"bob+lab+{name_time}+r"
    sub.mkdir()
    (sub / "timestamp.txt").write_text("not a time")
    when = submission_time(sub)
    assert when.claim_text == name_time
    assert when.recorded == parse_utc(name_time) and not when.disputed
    (sub / "timestamp.txt").unlink()
    (sub / "timestamp.txt").mkdir()  # not a file: no claim from it either
    assert submission_time(sub).claim_text == name_time
    nameless = tmp_path / "bob+lab+garbage+r"
    nameless.mkdir()
    when = submission_time(nameless)
    assert when.claimed is None and when.disputed and when.recorded == when.changed
