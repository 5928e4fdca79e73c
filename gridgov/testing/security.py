"""Checks the suite applies to every page it sees (the root ``conftest.py`` wires them in).

- Every response the Django test client receives carries a Content-Security-Policy; an HTML page carries
  the one of the settings and holds nothing that policy would block: no inline script, inline event
  handler, ``javascript:`` URL, ``<style>`` element or ``style`` attribute.
- Every page a browser test opens reports no policy violation (``securitypolicyviolation`` events and
  Chromium's console errors), so what the policy blocks at run time fails the test too.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpResponseBase

from gridgov.core.middleware import render_policy

# A start tag and its attributes; quoted values are consumed whole, so text inside a value never counts.
_TAG = re.compile(
    r"""<([a-zA-Z][^\s/>]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*/?>"""
)
_ATTR = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")
_MAYBE_CODE = re.compile(r"\bon|style|javascript", re.IGNORECASE)
_URL_ATTRS = {"href", "src", "action", "formaction"}
# <script> elements the browser does not run: data blocks such as json_script's.
_DATA_TYPES = {"application/json", "application/ld+json"}


def _attributes(source: str) -> dict[str, str]:
    return {name.lower(): value.strip("\"'").strip() for name, value in _ATTR.findall(source)}


def inline_code(html: str) -> list[str]:
    """What in ``html`` a policy without 'unsafe-inline' would block (one line each)."""
    found = []
    for match in _TAG.finditer(html):
        tag, source = match.group(1).lower(), match.group(2)
        if tag == "style":
            found.append("<style> element")
        # Most tags cannot hold inline code; only those that might have their attributes read.
        if tag != "script" and not _MAYBE_CODE.search(source):
            continue
        attrs = {name.lower(): value.strip("\"'").strip() for name, value in _ATTR.findall(source)}
        if tag == "script" and "src" not in attrs and attrs.get("type", "").lower() not in _DATA_TYPES:
            found.append("inline <script>")
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"{name}= on <{tag}>")
            elif name == "style":
                found.append(f"style= on <{tag}>")
            elif name in _URL_ATTRS and value.lower().startswith("javascript:"):
                found.append(f"javascript: URL in {name}= on <{tag}>")
    return found


def response_problems(response: HttpResponseBase, path: str) -> list[str]:
    """Every response has a policy without 'unsafe-…' sources (uploaded files get a stricter one of their
    own, ``default-src 'none'; sandbox``); every HTML page has the site's policy and no inline code."""
    policy = response.get("Content-Security-Policy")
    if policy is None:
        return [f"{path}: no Content-Security-Policy"]
    problems = []
    if "'unsafe-" in policy:
        problems.append(f"{path}: Content-Security-Policy allows {policy!r}")
    if response.get("Content-Type", "").startswith("text/html"):
        if policy != render_policy(settings.CONTENT_SECURITY_POLICY):
            problems.append(f"{path}: Content-Security-Policy is {policy!r}")
        if not response.streaming:
            html = response.content.decode(getattr(response, "charset", None) or "utf-8", "replace")
            problems += [f"{path}: {what}" for what in inline_code(html)]
    return problems


# Runs in every page of a watched browser context before the page's own scripts.
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.__gridgovPolicyViolation(
    event.violatedDirective + " blocked " + (event.blockedURI || "inline code") + " (" +
      (event.sourceFile || location.href) + ":" + event.lineNumber + ")"
  );
});
"""


def watch_browsers(monkeypatch, problems: list[str]) -> None:
    """Make every context Playwright opens (in this test) report policy violations into ``problems``."""
    from playwright.sync_api import Browser

    def watch(context) -> None:
        context.expose_binding("__gridgovPolicyViolation", lambda _source, text: problems.append(text))
        context.add_init_script(script=_REPORT_VIOLATIONS)

        def console(message) -> None:
            if message.type == "error" and "Content Security Policy" in message.text:
                problems.append(f"{message.text} ({message.location.get('url', '')})")

        context.on("console", console)

    new_context = Browser.new_context
    new_page = Browser.new_page

    def watched_context(self, *args, **kwargs):
        context = new_context(self, *args, **kwargs)
        watch(context)
        return context

    def watched_page(self, *args, **kwargs):
        page = new_page(self, *args, **kwargs)
        watch(page.context)
        return page

    monkeypatch.setattr(Browser, "new_context", watched_context)
    monkeypatch.setattr(Browser, "new_page", watched_page)
