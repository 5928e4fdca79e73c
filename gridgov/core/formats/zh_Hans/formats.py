"""Simplified Chinese: the month and day as the pages have always shown them (two-digit month and day)."""

MONTH_DAY_FORMAT = "m月d日"  # data: a date format pattern
