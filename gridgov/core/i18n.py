"""Messages that are written now and read later, in the reader's language.

A timeline note such as "接单已超时" is stored with the step, but a reader may use English. Such a note is a
:class:`Message`: the message id (the Simplified Chinese source text, marked with ``gettext_noop`` so it is
in the catalogue) and its parameters. It is stored twice — as plain text in the site's language (for the
audit log, exports and search) and as ``[msgid, params]`` in the row's data — and shown by
:func:`shown` in whatever language is active when it is read. Parameters that are themselves labels
(``phase.what``: 接单, 办结 …) are stored by their source text and translated when shown; someone's own
words (a reason) pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

KEY = "note_i18n"  # where a stored row keeps ``[msgid, params]`` in its ``data``


def _source(value: object) -> str:
    """A parameter as source text: a translatable label in the site's language (its message id)."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(value)


@dataclass(frozen=True)
class Message:
    msgid: str
    params: Mapping[str, str] = field(default_factory=dict)

    def render(self) -> str:
        """In the active language."""
        text = gettext(self.msgid)
        if not self.params:
            return text
        return text % {name: gettext(value) if value else value for name, value in self.params.items()}

    def __str__(self) -> str:
        return self.render()

    def source(self) -> str:
        """In the site's language (what the row keeps as plain text)."""
        with translation.override(settings.LANGUAGE_CODE):
            return self.render()

    def as_data(self) -> list:
        return [self.msgid, dict(self.params)]


def message(msgid: str, **params: object) -> Message:
    """``message(gettext_noop("%(what)s已超时"), what=phase.what)``."""
    return Message(msgid, {name: _source(value) for name, value in params.items()})


def shown(text: str, data: Mapping | None) -> str:
    """A stored note in the active language: its message when one was kept, else the text as written."""
    kept = (data or {}).get(KEY)
    if isinstance(kept, list) and len(kept) == 2 and isinstance(kept[0], str):
        try:
            return Message(kept[0], kept[1] or {}).render()
        except (KeyError, TypeError, ValueError):
            return text
    return text


def localized_name(name: str, name_en: str) -> str:
    """A reference name as a reader sees it: the English name when English is active and one is set,
    else the Chinese name (categories, service categories, focus tags)."""
    language = translation.get_language() or ""
    if name_en and language.split("-")[0] == "en":
        return name_en
    return name
