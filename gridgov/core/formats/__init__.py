"""The site's own date formats per language (``FORMAT_MODULE_PATH``), over Django's: templates name a format
(``|date:"MONTH_DAY_FORMAT"``) instead of writing a Chinese pattern, so English readers get their own."""
