"""``export``: the gradebook as a file an LMS gradebook imports (Canvas, Moodle) or plain CSV.

Scores are what ``nbgrader export`` computes: each submission's score (automatic and written
answers' manual points) less its late penalty, never below 0; a student on the roster who
submitted nothing gets 0. The same exporters are nbgrader export plugins::

    nbgrader export --exporter=autograder.export.CanvasExport --CanvasExport.roster=roster.csv

The roster is a CSV with a header; ``student_id`` (the folder name the student submits under)
is required, the others optional: ``first_name``, ``last_name``, ``email``, ``sis_user_id``,
``sis_login_id``, ``section``, ``canvas_id``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Unicode

from autograder.course import CourseError, scripts_on_path
from autograder.grade import final_score, write_csv_rows

FORMATS = ("canvas", "moodle", "csv")
ROSTER_FIELDS = ("student_id", "first_name", "last_name", "email", "sis_user_id",
                 "sis_login_id", "section", "canvas_id")


@dataclass
class Student:
    """One roster line (fields missing from the roster are empty)."""

    student_id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    canvas_id: str = ""

    @property
    def name(self) -> str:
        return ", ".join(p for p in (self.last_name, self.first_name) if p) or self.student_id


@dataclass
class Grades:
    """Every student's final score per lab, and the labs' points and due dates."""

    labs: list[str]
    max_scores: dict[str, float]
    students: list[Student]
    score: dict[tuple[str, str], float] = field(default_factory=dict)  # (student, lab)
    raw: dict[tuple[str, str], float] = field(default_factory=dict)
    penalty: dict[tuple[str, str], float] = field(default_factory=dict)
    timestamp: dict[tuple[str, str], str] = field(default_factory=dict)
    duedate: dict[str, str] = field(default_factory=dict)


def read_roster(path: Path) -> list[Student]:
    """The roster's students, in its order.

    Raises:
        CourseError: the file is missing, has no ``student_id`` column, or repeats an id.
    """
    if not path.is_file():
        raise CourseError(f"roster {path} does not exist")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if "student_id" not in (reader.fieldnames or []):
            raise CourseError(f"roster {path}: no student_id column (columns: "
                              f"{', '.join(reader.fieldnames or [])}); expected "
                              f"{', '.join(ROSTER_FIELDS)}")
        students, seen = [], set()
        for line, row in enumerate(reader, start=2):
            sid = (row.get("student_id") or "").strip()
            if not sid:
                continue
            if sid in seen:
                raise CourseError(f"roster {path}, line {line}: student_id {sid!r} repeated")
            seen.add(sid)
            students.append(Student(**{k: (row.get(k) or "").strip() for k in ROSTER_FIELDS}))
    return students


def collect_grades(gradebook: Gradebook, roster: Sequence[Student] | None = None,
                   labs: Iterable[str] = (), students: Iterable[str] = ()) -> Grades:
    """Final scores from an open gradebook: the roster's students (then anyone graded who is
    not on it), every lab (or ``labs``)."""
    wanted_labs, wanted_students = set(labs), set(students)
    assignments = [a for a in gradebook.assignments
                   if not wanted_labs or a.name in wanted_labs]
    people = list(roster or [])
    listed = {s.student_id for s in people}
    for s in gradebook.students:
        if s.id not in listed:
            people.append(Student(s.id, s.first_name or "", s.last_name or "", s.email or ""))
    people = [p for p in people if not wanted_students or p.student_id in wanted_students]
    grades = Grades([a.name for a in assignments],
                    {a.name: float(a.max_score) for a in assignments}, people,
                    duedate={a.name: a.duedate.isoformat() if a.duedate else ""
                             for a in assignments})
    for a in assignments:
        for p in people:
            key = (p.student_id, a.name)
            try:
                sub = gradebook.find_submission(a.name, p.student_id)
            except MissingEntry:
                grades.score[key] = grades.raw[key] = grades.penalty[key] = 0.0
                grades.timestamp[key] = ""
                continue
            grades.raw[key] = float(sub.score)
            grades.penalty[key] = float(sub.late_submission_penalty or 0.0)
            grades.score[key] = final_score(sub)
            grades.timestamp[key] = sub.timestamp.isoformat() if sub.timestamp else ""
    return grades


def _points(value: float) -> str:
    return f"{value:g}"


def canvas_rows(grades: Grades) -> tuple[list[str], list[list[object]]]:
    """Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, one column
    per lab; the first row under the header gives each lab's points possible."""
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *grades.labs]
    rows: list[list[object]] = [["Points Possible", "", "", "", "",
                                 *(_points(grades.max_scores[lab]) for lab in grades.labs)]]
    for s in grades.students:
        rows.append([s.name, s.canvas_id, s.sis_user_id or s.student_id, s.sis_login_id,
                     s.section, *(_points(grades.score[(s.student_id, lab)])
                                  for lab in grades.labs)])
    return header, rows


def moodle_rows(grades: Grades) -> tuple[list[str], list[list[object]]]:
    """Moodle's grade import (CSV): identifying columns to map on import (ID number, email,
    username), then one grade column per lab."""
    header = ["ID number", "Email address", "Username", "First name", "Last name",
              *grades.labs]
    rows = [[s.sis_user_id or s.student_id, s.email, s.sis_login_id or s.student_id,
             s.first_name, s.last_name,
             *(_points(grades.score[(s.student_id, lab)]) for lab in grades.labs)]
            for s in grades.students]
    return header, rows


def csv_rows(grades: Grades) -> tuple[list[str], list[list[object]]]:
    """One row per student and lab, with nbgrader export's columns and the roster's ids."""
    header = ["assignment", "duedate", "timestamp", "student_id", "sis_user_id", "last_name",
              "first_name", "email", "raw_score", "late_submission_penalty", "score",
              "max_score"]
    rows = []
    for lab in grades.labs:
        for s in grades.students:
            key = (s.student_id, lab)
            rows.append([lab, grades.duedate[lab], grades.timestamp[key], s.student_id,
                         s.sis_user_id, s.last_name, s.first_name, s.email,
                         _points(grades.raw[key]), _points(grades.penalty[key]),
                         _points(grades.score[key]), _points(grades.max_scores[lab])])
    return header, rows


BUILDERS = {"canvas": canvas_rows, "moodle": moodle_rows, "csv": csv_rows}


def export_grades(db_url: str, course_id: str, fmt: str, dest: Path,
                  roster: Path | None = None, labs: Iterable[str] = (),
                  students: Iterable[str] = ()) -> int:
    """Write the gradebook's final scores to ``dest`` in ``fmt``.

    Returns:
        the number of students exported.
    """
    if fmt not in BUILDERS:
        raise CourseError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    people = read_roster(roster) if roster else None
    scripts_on_path()
    with Gradebook(db_url, course_id) as gb:
        grades = collect_grades(gb, people, labs, students)
    header, rows = BUILDERS[fmt](grades)
    dest.parent.mkdir(parents=True, exist_ok=True)
    write_csv_rows(dest, header, rows)
    return len(grades.students)


class _LmsExport(ExportPlugin):
    """An nbgrader export plugin writing one of :data:`FORMATS`."""

    fmt = "csv"
    roster = Unicode("", help="roster CSV (student_id, names, email, SIS ids, section)").tag(
        config=True)

    def export(self, gradebook: Gradebook) -> None:
        people = read_roster(Path(self.roster)) if self.roster else None
        grades = collect_grades(gradebook, people, self.assignment, self.student)
        header, rows = BUILDERS[self.fmt](grades)
        write_csv_rows(Path(self.to or f"grades-{self.fmt}.csv"), header, rows)


class CanvasExport(_LmsExport):
    """``nbgrader export --exporter=autograder.export.CanvasExport``: Canvas gradebook CSV."""

    fmt = "canvas"


class MoodleExport(_LmsExport):
    """``nbgrader export --exporter=autograder.export.MoodleExport``: Moodle grade import."""

    fmt = "moodle"


class CsvExport(_LmsExport):
    """``nbgrader export --exporter=autograder.export.CsvExport``: nbgrader's columns plus the
    roster's ids."""

    fmt = "csv"
