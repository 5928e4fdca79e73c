"""``gridgov import_calendar FILE``: import one year's holiday schedule (节假日安排) from a JSON file.

The file (UTF-8)::

    {"year": 2027,
     "holidays": [["2027-01-01", "元旦"], "2027-10-02", ...],
     "workdays": [["2027-09-26", "国庆节调休"], ...],
     "note": "国务院办公厅关于 2027 年部分节假日安排的通知"}

Entries are ``"YYYY-MM-DD"`` or ``[date, name]``. The import replaces every earlier override of that
year and marks the year configured (``calendar_import_year``, as the system). A bad file is refused
whole, naming every field, entry and line at fault; nothing is written. The same action
(:func:`gridgov.core.calendar_file.calendar_import_file`) serves the import page ``/calendar/import/``.
See docs/calendar.md.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.core.calendar_file import CalendarFileError, calendar_import_file
from gridgov.core.models import CalendarDay


class Command(BaseCommand):
    @property
    def help(self):
        return _("从 JSON 文件导入某一年的节假日和调休安排（国务院办公厅公布的放假安排）")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("JSON 文件路径"))

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise CommandError(_("%(path)s: 文件不存在") % {"path": path}) from None
        except OSError as exc:
            raise CommandError(_("%(path)s: 无法读取（%(exc)s）") % {"path": path, "exc": exc}) from None
        try:
            configured = calendar_import_file(by=None, content=content)
        except CalendarFileError as exc:
            lines = [
                f"{path}:{p.line}: {p.where}: {p.message}" if p.line else f"{path}: {p.where}: {p.message}"
                for p in exc.problems
            ]
            raise CommandError("\n".join(lines)) from None
        self.stdout.write(
            _("已导入 %(year)s 年：节假日 %(holidays)s 天，调休上班 %(workdays)s 天")
            % {
                "year": configured.year,
                "holidays": configured_days(configured.year, workday=False),
                "workdays": configured_days(configured.year, workday=True),
            }
        )


def configured_days(year: int, *, workday: bool) -> int:
    return CalendarDay.objects.filter(date__year=year, is_workday=workday).count()
