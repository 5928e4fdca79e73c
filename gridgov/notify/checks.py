"""System checks of the notification channels' settings (``gridgov check``; docs/notifications.md)."""

from __future__ import annotations

import base64
import binascii

from django.conf import settings
from django.core.checks import Error, Warning, register

from gridgov.notify import preferences


@register()
def channel_settings(app_configs=None, **kwargs) -> list:  # noqa: ARG001
    problems = []
    for channel, url, secret_name in (
        ("sms", settings.SMS_GATEWAY_URL, "SMS_GATEWAY_SECRET"),
        ("wechat", settings.WECHAT_GATEWAY_URL, "WECHAT_GATEWAY_SECRET"),
    ):
        if not url:
            continue
        secrets = (getattr(settings, secret_name) or "").replace(",", " ").split()
        if not secrets:
            problems.append(
                Error(
                    f"GRIDGOV_{channel.upper()}_GATEWAY_URL is set without GRIDGOV_{secret_name}: messages "
                    "would not be signed, so none is sent.",
                    id="notify.E001",
                )
            )
        for secret in secrets:
            try:
                base64.b64decode(secret.removeprefix("whsec_"), validate=True)
            except (binascii.Error, ValueError):
                problems.append(
                    Error(f"GRIDGOV_{secret_name} must be whsec_ followed by base64.", id="notify.E002")
                )
    if settings.EMAIL_USE_TLS and settings.EMAIL_USE_SSL:
        problems.append(
            Error("GRIDGOV_EMAIL_USE_TLS and GRIDGOV_EMAIL_USE_SSL exclude each other.", id="notify.E003")
        )
    try:
        preferences.parse_window(settings.RESIDENT_SMS_QUIET_HOURS)
    except ValueError as exc:
        problems.append(Error(f"GRIDGOV_RESIDENT_SMS_QUIET_HOURS: {exc}", id="notify.E004"))
    if preferences.offered() and not settings.SITE_URL:
        problems.append(
            Warning(
                "GRIDGOV_SITE_URL is not set: emails and SMS will carry no link to the site.",
                id="notify.W001",
            )
        )
    return problems
