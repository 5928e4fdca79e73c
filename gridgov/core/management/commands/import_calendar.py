"""``gridgov import_calendar FILE``: import one year's holiday schedule (节假日安排) from a JSON file.

The file (UTF-8)::

    {"year": 2027,
     "holidays": [["2027-01-01", "元旦"], "2027-10-02", ...],
     "workdays": [["2027-09-26", "国庆节调休"], ...],
     "note": "国务院办公厅关于 2027 年部分节假日安排的通知"}

Entries are ``"YYYY-MM-DD"`` or ``[date, name]``. The import replaces every earlier override of that
year and marks the year configured (``calendar_import_year``, as the system). A bad file is refused
whole, naming the field and row; nothing is written. See docs/calendar.md.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.core.calendar import calendar_import_year
from gridgov.core.errors import DomainError

KNOWN_KEYS = {"year", "holidays", "workdays", "note"}


class Command(BaseCommand):
    help = "从 JSON 文件导入某一年的节假日和调休安排（国务院办公厅公布的放假安排）"

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("JSON 文件路径"))

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise CommandError(_("%(path)s: 文件不存在") % {"path": path}) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(_("%(path)s: 无法读取（%(exc)s）") % {"path": path, "exc": exc}) from None
        except json.JSONDecodeError as exc:
            raise CommandError(
                _("%(path)s: 不是有效的 JSON（第 %(lineno)s 行第 %(colno)s 列：%(msg)s）")
                % {"path": path, "lineno": exc.lineno, "colno": exc.colno, "msg": exc.msg}
            ) from None
        if not isinstance(data, dict):
            raise CommandError(
                _('%(path)s: 顶层应为对象 {"year": …, "holidays": […], "workdays": […]}') % {"path": path}
            )
        unknown = sorted(set(data) - KNOWN_KEYS)
        if unknown:
            raise CommandError(
                _("%(path)s: 不认识的字段 %(unknown)s（可用：year, holidays, workdays, note）")
                % {"path": path, "unknown": ", ".join(unknown)}
            )
        if "year" not in data:
            raise CommandError(_("%(path)s: year: 缺少年份") % {"path": path})
        for key in ("holidays", "workdays"):
            if key not in data:
                raise CommandError(
                    _("%(path)s: %(key)s: 缺少该列表（没有时写 []）") % {"path": path, "key": key}
                )
        try:
            configured = calendar_import_year(
                by=None,
                year=data["year"],
                holidays=data["holidays"],
                workdays=data["workdays"],
                note=data.get("note", ""),
            )
        except DomainError as exc:
            where = exc.field or "file"
            if "row" in exc.extra:
                where = f"{where}[{exc.extra['row']}]"
            raise CommandError(f"{path}: {where}: {exc.message}") from None
        holidays = len(data["holidays"])
        workdays = len(data["workdays"])
        self.stdout.write(
            _("已导入 %(year)s 年：节假日 %(holidays)s 天，调休上班 %(workdays)s 天")
            % {"year": configured.year, "holidays": holidays, "workdays": workdays}
        )
