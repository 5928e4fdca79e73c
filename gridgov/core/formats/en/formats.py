"""English: the month and day as "Dec 4"."""

MONTH_DAY_FORMAT = "M j"
