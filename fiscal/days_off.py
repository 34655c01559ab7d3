"""Working days in Thailand: weekends, Thai public holidays (the `holidays` package) and agency-added days off.

Approval escalation counts working days with this calendar, and digests are not sent on
days off. Agency days (a provincial holiday, an extra day the cabinet grants at short
notice) come from the database; this module only answers questions about dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import holidays

from fiscal.thai_dates import BANGKOK


class DaysOff:
    """Which dates are days off: Saturday and Sunday, Thailand's public holidays, and the agency's own."""

    def __init__(self, agency_days: Mapping[dt.date, str] | Iterable[dt.date] = ()) -> None:
        days = agency_days if isinstance(agency_days, Mapping) else dict.fromkeys(agency_days, "")
        self.agency: dict[dt.date, str] = dict(days)
        # Years are filled in lazily as dates are asked about. Civil servants also have the
        # government-only days off (the Royal Ploughing Ceremony) that private employers do not.
        self._public = holidays.Thailand(language="th", categories=(holidays.PUBLIC, holidays.GOVERNMENT))

    def holiday_name(self, day: dt.date) -> str | None:
        """The name of the holiday on `day` (the agency's first), or None on a weekday that is not one."""
        if day in self.agency:
            return self.agency[day]
        return self._public.get(day)

    def is_day_off(self, day: dt.date) -> bool:
        """Whether nobody is expected at work on `day`."""
        return day.weekday() >= 5 or day in self.agency or day in self._public

    def working_days_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Whole working days after `start`'s day up to and including `end`'s day, in Bangkok time."""
        first, last = start.astimezone(BANGKOK).date(), end.astimezone(BANGKOK).date()
        days, day = 0, first
        while day < last:
            day += dt.timedelta(days=1)
            if not self.is_day_off(day):
                days += 1
        return days


    def next_public_holidays(self, since: dt.date, count: int) -> list[tuple[dt.date, str]]:
        """The next `count` Thai public holidays from `since` on that fall on a weekday (substitution days included).

        One on a Saturday or Sunday changes nothing, and its substitution day is listed instead.
        """
        for year in (since.year, since.year + 1):
            _ = dt.date(year, 1, 1) in self._public  # fills in the year's holidays
        days = sorted((day, name) for day, name in self._public.items() if day >= since and day.weekday() < 5)
        return days[:count]
