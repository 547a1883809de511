"""When returns are due (working day N after month end, England bank holidays skipped) and the on-time rule."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from qipp_helpers.analysis.tracker import NOT_YET_DUE, ON_TIME, timeliness
from qipp_helpers.core.due import DEFAULT_WORKING_DAY, DUE_FILE, ReturnsDue, bank_holidays, easter_sunday, month_end
from qipp_helpers.core.errors import UsageError


def test_bank_holidays_of_england_and_wales():
    assert easter_sunday(2019) == date(2019, 4, 21) and easter_sunday(2024) == date(2024, 3, 31)
    assert sorted(bank_holidays(2019)) == [
        date(2019, 1, 1), date(2019, 4, 19), date(2019, 4, 22), date(2019, 5, 6),
        date(2019, 5, 27), date(2019, 8, 26), date(2019, 12, 25), date(2019, 12, 26),
    ]  # fmt: skip
    assert {date(2020, 5, 8), date(2020, 12, 28)} <= bank_holidays(2020)  # VE day moved; Boxing Day a Saturday
    assert date(2020, 5, 4) not in bank_holidays(2020)
    assert {date(2022, 1, 3), date(2022, 6, 2), date(2022, 6, 3), date(2022, 9, 19)} <= bank_holidays(2022)


@pytest.mark.parametrize(
    ("month", "end", "due"),
    [
        (1, date(2019, 4, 30), date(2019, 5, 8)),  # early May bank holiday skipped
        (6, date(2019, 9, 30), date(2019, 10, 7)),
        (7, date(2019, 10, 31), date(2019, 11, 7)),
        (8, date(2019, 11, 30), date(2019, 12, 6)),
        (9, date(2019, 12, 31), date(2020, 1, 8)),  # New Year's Day skipped
        (11, date(2020, 2, 29), date(2020, 3, 6)),  # leap year
        (12, date(2020, 3, 31), date(2020, 4, 7)),
    ],
)
def test_due_on_working_day_five_after_month_end(month, end, due):
    assert DEFAULT_WORKING_DAY == 5
    assert month_end("2019-20", month) == end and ReturnsDue().date("2019-20", month) == due


def test_a_data_folder_sets_another_working_day(tmp_path):
    assert ReturnsDue.for_data_dir(tmp_path) == ReturnsDue(5)
    (tmp_path / DUE_FILE).write_text("7\n", encoding="utf-8")
    assert ReturnsDue.for_data_dir(tmp_path).date("2019-20", 7) == date(2019, 11, 11)
    (tmp_path / DUE_FILE).write_text("seven\n", encoding="utf-8")
    with pytest.raises(UsageError, match="first line must be the working day"):
        ReturnsDue.for_data_dir(tmp_path)
    with pytest.raises(UsageError, match="working day 1-20"):
        ReturnsDue(0)


def test_on_the_due_day_is_on_time_the_day_after_is_late():
    due = date(2019, 11, 7)
    assert timeliness("2019-11-07 23:59", due) == (ON_TIME, 0)  # any time on the due day
    assert timeliness(datetime(2019, 11, 1, 9, 0), due) == (ON_TIME, 0)
    assert timeliness("2019-11-08 00:01", due) == ("late by 1 day", 1)
    assert timeliness(date(2019, 11, 12), due) == ("late by 5 days", 5)  # calendar days, weekend included
    assert timeliness(None, due, as_of=date(2019, 11, 7)) == (NOT_YET_DUE, None)  # missing, not yet overdue
    assert timeliness(None, due) == (NOT_YET_DUE, None)
    assert timeliness("", due, as_of=date(2019, 11, 10)) == ("overdue by 3 days", 3)
