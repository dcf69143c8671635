"""course.toml, the late-penalty policy and the LMS exports, without grading anything."""

from __future__ import annotations

import datetime as dt

import pytest
from nbgrader.api import Gradebook

from autograder.course import CourseError, CourseSettings, scripts_on_path
from autograder.export import export_grades, read_roster
from autograder.late import PenaltyPerDay, late_penalty


def test_settings_read_course_id_due_dates_in_utc_and_the_late_policy(tmp_path):
    path = tmp_path / "course.toml"
    path.write_text('[course]\nid = "dl-2027"\ninstall_from = "/srv/wheels/course_lib.whl"\n'
                    '[due]\n"00_warmup" = "2027-01-18T23:59:00+01:00"\n'
                    '"01_backprop" = "2027-01-25T12:00:00"\n'
                    '[late]\nper_day = 0.2\nzero_after_days = 3\n')
    s = CourseSettings.read(path)
    assert s.course_id == "dl-2027"
    assert s.install_from == "/srv/wheels/course_lib.whl"
    assert s.due["00_warmup"] == dt.datetime(2027, 1, 18, 22, 59)  # +01:00 -> UTC
    assert s.due["01_backprop"] == dt.datetime(2027, 1, 25, 12, 0)  # no zone: UTC
    assert (s.late_per_day, s.late_zero_after_days) == (0.2, 3.0)


def test_a_bad_due_date_names_the_lab_and_the_format(tmp_path):
    path = tmp_path / "course.toml"
    path.write_text('[due]\n"03_optimizers" = "next friday"\n')
    with pytest.raises(CourseError, match=r"due date of 03_optimizers is not ISO 8601"):
        CourseSettings.read(path)


def test_no_settings_file_means_the_default_course_and_no_due_dates(tmp_path):
    s = CourseSettings.read(tmp_path / "course.toml")
    assert s.course_id == "course_lib" and dict(s.due) == {} and s.late_per_day == 0.0


@pytest.mark.parametrize(("seconds_late", "penalty"), [
    (0, 0.0), (-5, 0.0), (1, 2.0), (86400, 2.0), (86401, 4.0), (4 * 86400, 8.0),
    (7 * 86400, 14.0), (7 * 86400 + 1, 20.0),
])
def test_late_penalty_per_started_day_then_zero(seconds_late, penalty):
    assert late_penalty(20.0, seconds_late, per_day=0.1, zero_after_days=7) == penalty


def test_the_nbgrader_plugin_applies_the_same_policy():
    plugin = PenaltyPerDay(per_day=0.25, zero_after_days=0)
    assert plugin.late_submission_penalty("bob", 8.0, 2 * 86400 + 10) == 6.0
    assert plugin.late_submission_penalty("bob", 8.0, 30 * 86400) == 8.0  # capped at the score


def test_a_roster_without_student_id_or_with_a_repeated_id_is_refused(tmp_path):
    bad = tmp_path / "roster.csv"
    bad.write_text("name,email\nAda,ada@uni.example\n")
    with pytest.raises(CourseError, match="no student_id column"):
        read_roster(bad)
    bad.write_text("student_id,email\nada,a@x\nada,b@x\n")
    with pytest.raises(CourseError, match="line 3: student_id 'ada' repeated"):
        read_roster(bad)


def test_exports_include_manual_scores_and_late_penalties(tmp_path):
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    scripts_on_path()  # nbgrader stamps a new gradebook with the alembic script
    with Gradebook(url, "course_lib") as gb:
        gb.add_assignment("01_backprop", duedate=dt.datetime(2027, 1, 25, 23, 59))
        from nbgrader.api import GradeCell, Notebook

        nb = Notebook(name="01_backprop", assignment=gb.find_assignment("01_backprop"))
        gb.db.add(nb)
        gb.db.add(GradeCell(name="test_auto", max_score=8, notebook=nb, cell_type="code"))
        gb.db.add(GradeCell(name="written", max_score=2, notebook=nb, cell_type="markdown"))
        gb.db.commit()
        for student in ("ada", "bob"):
            gb.add_student(student)
        sub = gb.add_submission("01_backprop", "ada",
                                timestamp=dt.datetime(2027, 1, 26, 10, 0))  # 10 h late
        notebook = sub.notebooks[0]
        for grade in notebook.grades:
            if grade.name == "test_auto":
                grade.auto_score = 8
            else:
                grade.manual_score = 1.5  # the instructor's score for the written answer
        notebook.late_submission_penalty = 0.95
        gb.db.commit()
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,first_name,last_name,email,sis_user_id\n"
                      "ada,Ada,Lovelace,ada@uni.example,S1\nbob,Bob,B,bob@uni.example,S2\n")
    export_grades(url, "course_lib", "canvas", tmp_path / "canvas.csv", roster)
    lines = (tmp_path / "canvas.csv").read_text().splitlines()
    assert lines[0] == "Student,ID,SIS User ID,SIS Login ID,Section,01_backprop"
    assert lines[1] == "Points Possible,,,,,10"
    assert lines[2] == '"Lovelace, Ada",,S1,,,8.55'  # 8 + 1.5 - 0.95
    assert lines[3] == '"B, Bob",,S2,,,0'  # no submission
    export_grades(url, "course_lib", "csv", tmp_path / "plain.csv", roster)
    row = (tmp_path / "plain.csv").read_text().splitlines()[1].split(",")
    assert row[:4] == ["01_backprop", "2027-01-25T23:59:00", "2027-01-26T10:00:00", "ada"]
    assert row[-4:] == ["9.5", "0.95", "8.55", "10"]
