"""``gridgov rotate_field_key``: re-encrypt every encrypted field under the newest key of
``GRIDGOV_FIELD_KEY`` and recompute its keyed hash (the ``<field>_hash`` column beside it).

Run it after putting the new key first (``GRIDGOV_FIELD_KEY=<new>,<old>``); afterwards the old key can
be removed. Works in batches, one transaction per batch; safe to run again.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.core.crypto import EncryptedTextField, blind_index


def encrypted_fields():
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            names = {f.name for f in model._meta.concrete_fields}
            yield model, [(f.name, f"{f.name}_hash" if f"{f.name}_hash" in names else None) for f in fields]


def rotate(batch_size: int = 1000) -> dict[str, int]:
    counts: dict[str, int] = {}
    for model, fields in encrypted_fields():
        update = [name for pair in fields for name in pair if name]
        done = 0
        last_pk = None
        while True:
            with transaction.atomic():
                qs = model._base_manager.order_by("pk")
                if last_pk is not None:
                    qs = qs.filter(pk__gt=last_pk)
                rows = list(qs.select_for_update()[:batch_size])
                if not rows:
                    break
                for row in rows:
                    for name, hash_name in fields:
                        value = getattr(row, name)  # decrypted with whichever key made it
                        if hash_name:
                            setattr(row, hash_name, blind_index(value) if value else "")
                # saving re-encrypts under the newest key
                model._base_manager.bulk_update(rows, update)
                last_pk = rows[-1].pk
                done += len(rows)
        counts[model._meta.label] = done
    return counts


class Command(BaseCommand):
    help = "用 GRIDGOV_FIELD_KEY 中最新的密钥重新加密个人信息字段并重算检索哈希"

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, **options):
        for label, count in rotate(options["batch_size"]).items():
            self.stdout.write(_("%(label)s: %(count)s 行已重新加密") % {"label": label, "count": count})
