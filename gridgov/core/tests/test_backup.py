"""``gridgov backup`` and ``gridgov restore`` on the database of the run (SQLite, or PostgreSQL when
``GRIDGOV_DATABASE_URL`` names one), with real files, real pg_dump/pg_restore/psql and no mocks.

How the two databases are reached, the simplest robust way we found:

- The data is made with the real actions (a case with photos, a ledger household whose head has an ID
  number and a phone) in the test database, committed (``transaction=True``), and ``backup`` runs in this
  process on that database, as ``gridgov backup`` would.
- ``restore`` runs as the operator runs it: ``python -m gridgov.cli restore`` in a child process whose
  ``GRIDGOV_DATABASE_URL`` names a second, empty database (SQLite: a new file under ``tmp_path``;
  PostgreSQL: a database created here on the same server and dropped afterwards) and whose
  ``GRIDGOV_MEDIA_ROOT`` is a new directory. That keeps pytest-django's connections untouched.
- The restored database is then read with a plain sqlite3/psycopg connection, and the encrypted columns
  are decrypted with the same functions the encrypted fields use (``core.crypto``).
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from gridgov.cases.models import Case, Category
from gridgov.cases.tests.conftest import report
from gridgov.cases.tests.test_intake_api import png_bytes
from gridgov.core.backup import DATABASE_MEMBERS, MANIFEST, BackupError, backup_create, pg_tool
from gridgov.core.crypto import blind_index, decrypt
from gridgov.core.models import Upload
from gridgov.ledger.models import Resident
from gridgov.testing.factories import make_ledger, make_tree

db_committed = pytest.mark.django_db(transaction=True)


# ---------------------------------------------------------------- the second database


@dataclass
class Target:
    """The empty database and media directory a backup is restored into."""

    vendor: str
    url: str
    media: Path
    sqlite_path: Path | None = None
    pg: dict | None = None

    def query(self, sql: str) -> list[tuple]:
        if self.vendor == "sqlite":
            db = sqlite3.connect(self.sqlite_path)
            try:
                return db.execute(sql).fetchall()
            finally:
                db.close()
        import psycopg

        with psycopg.connect(**self.pg) as db:
            return db.execute(sql).fetchall()

    def tables(self) -> list[str]:
        if self.vendor == "sqlite":
            if not self.sqlite_path.exists():
                return []
            return [r[0] for r in self.query("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return [r[0] for r in self.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]

    def files(self) -> dict[str, bytes]:
        return media_bytes(self.media)


def _pg_params(settings_dict: dict, name: str) -> dict:
    params = {"dbname": name, "user": settings_dict["USER"], "host": settings_dict["HOST"] or "localhost"}
    if settings_dict.get("PORT"):
        params["port"] = int(settings_dict["PORT"])
    if settings_dict.get("PASSWORD"):
        params["password"] = settings_dict["PASSWORD"]
    return params


@pytest.fixture
def target(tmp_path):
    if connection.vendor == "sqlite":
        path = tmp_path / "restored" / "gridgov.sqlite3"
        yield Target("sqlite", f"sqlite:///{path}", tmp_path / "restored-media", sqlite_path=path)
        return
    import psycopg

    s = connection.settings_dict
    name = f"{s['NAME']}_restored"[:63]
    admin = _pg_params(s, "postgres")
    with psycopg.connect(**admin, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')
    auth = quote(s["USER"]) + (f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else "")
    url = f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s.get('PORT') or 5432}/{name}"
    try:
        yield Target("postgresql", url, tmp_path / "restored-media", pg=_pg_params(s, name))
    finally:
        with psycopg.connect(**admin, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def restore(target: Target, archive: Path, *args: str) -> subprocess.CompletedProcess:
    """``gridgov restore`` in its own process, pointed at ``target`` (same field key as this process)."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="gridgov.settings",
        GRIDGOV_DATABASE_URL=target.url,
        GRIDGOV_MEDIA_ROOT=str(target.media),
        GRIDGOV_VAR_DIR=str(target.media.parent / "restored-var"),
        GRIDGOV_FIELD_KEY=settings.FIELD_KEY,
    )
    return subprocess.run(
        [sys.executable, "-m", "gridgov.cli", "restore", str(archive), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


# ---------------------------------------------------------------- data


def media_bytes(root: Path) -> dict[str, bytes]:
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def photo(name: str = "scene.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


@pytest.fixture
def world(settings, tmp_path):
    """The test district, a category, a case with two photos and one without, and a ledger household
    whose head has an ID number and a phone (both encrypted at rest)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    tree = make_tree()
    category = Category.objects.create(code="litter", name="垃圾堆放")  # default limits
    w = SimpleNamespace(tree=tree, category=category)
    w.case = report(w, photos=[photo("a.png"), photo("b.png")]).case
    w.plain_case = report(w, description="楼道灯坏了").case
    _building, _household, w.head, w.spouse = make_ledger(tree.admin)
    return w


def archive_manifest(archive: Path) -> dict:
    with zipfile.ZipFile(archive) as zf:
        return json.loads(zf.read(MANIFEST))


def rewrite(archive: Path, out: Path, change, rename: dict[str, str] | None = None) -> Path:
    """A copy of ``archive`` in which ``change(name, data)`` may replace each member's bytes and ``rename``
    its name."""
    rename = rename or {}
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = change(info.filename, src.read(info.filename))
            dst.writestr(rename.get(info.filename, info.filename), data)
    return out


def back_up(tmp_path: Path, name: str = "backup.zip") -> tuple[Path, dict]:
    archive = tmp_path / name
    out = io.StringIO()
    call_command("backup", str(archive), stdout=out, verbosity=0)
    return archive, json.loads(out.getvalue())


# ---------------------------------------------------------------- tests


@db_committed
def test_backup_restores_into_an_empty_database_with_every_case_resident_and_photo(world, target, tmp_path):
    archive, figures = back_up(tmp_path)
    uploaded = media_bytes(Path(settings.MEDIA_ROOT))  # the two photos (and whatever is derived from them)
    assert figures["vendor"] == connection.vendor and figures["files"] == len(uploaded) >= 2
    assert figures["archive_bytes"] == archive.stat().st_size > 0
    assert archive.stat().st_mode & 0o777 == 0o600  # the archive holds personal data

    done = restore(target, archive)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["vendor"] == connection.vendor and result["files"] == len(uploaded)
    assert result["rows"] == figures["rows"] and result["tables"] == figures["tables"]

    # every case, by reference number
    assert {r[0] for r in target.query("SELECT ref FROM cases_case")} == set(
        Case.objects.values_list("ref", flat=True)
    )
    # every resident, and the encrypted columns still decrypt to the original values and still match
    restored = {
        name: (id_number, phone, id_hash)
        for name, id_number, phone, id_hash in target.query(
            "SELECT name, id_number, phone, id_number_hash FROM ledger_resident"
        )
    }
    assert set(restored) == set(Resident.objects.values_list("name", flat=True)) == {"王建国", "李秀英"}
    id_number, phone, id_hash = restored["王建国"]
    assert id_number != world.head.id_number  # ciphertext at rest …
    assert decrypt(id_number) == world.head.id_number and decrypt(phone) == "13912345678"  # … readable
    assert id_hash == blind_index(world.head.id_number)
    assert decrypt(restored["李秀英"][0]) == world.spouse.id_number
    # every photo, with the same bytes, where its row says
    assert target.files() == uploaded
    paths = {r[0] for r in target.query("SELECT path FROM core_upload WHERE owner = 'cases.case'")}
    assert paths == set(Upload.objects.filter(owner="cases.case").values_list("path", flat=True))
    assert len(paths) == 2
    assert paths <= set(uploaded)
    # the migration state is the source's, and the restored database is complete enough to migrate
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        source_migrations = sorted(tuple(row) for row in cursor.fetchall())
    assert sorted(target.query("SELECT app, name FROM django_migrations")) == source_migrations


@db_committed
def test_archive_lists_every_member_and_holds_no_field_key_or_plain_personal_data(world, tmp_path):
    archive, _figures = back_up(tmp_path)
    manifest = archive_manifest(archive)
    assert manifest["format"] == "gridgov-backup" and manifest["format_version"] == 1
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["migrations"]["cases"] and manifest["migrations"]["ledger"]
    assert manifest["media"]["files"] == len(media_bytes(Path(settings.MEDIA_ROOT))) >= 2
    assert manifest["media"]["vanished"] == []
    key = settings.FIELD_KEY.encode()
    with zipfile.ZipFile(archive) as zf:
        assert set(zf.namelist()) == set(manifest["members"]) | {MANIFEST}
        db = zf.read(manifest["database"]["member"])
        assert key not in zf.read(MANIFEST)
        for name in zf.namelist():
            assert key not in zf.read(name), name
    assert "王建国".encode() in db  # plain text columns are there to be found …
    assert world.head.id_number.encode() not in db  # … the ID number and the phone are not
    assert b"13912345678" not in db


@db_committed
def test_restore_into_a_database_with_tables_is_refused_unless_forced(world, target, tmp_path):
    archive, _figures = back_up(tmp_path)
    assert restore(target, archive).returncode == 0
    target_cases = target.query("SELECT count(*) FROM cases_case")

    again = restore(target, archive)
    assert again.returncode == 1
    assert "不是空的" in again.stderr and "--force" in again.stderr
    assert target.query("SELECT count(*) FROM cases_case") == target_cases

    # --force replaces what is there (a table the backup does not have disappears) in one go
    if target.vendor == "sqlite":
        db = sqlite3.connect(target.sqlite_path)
        db.execute("CREATE TABLE leftover (x integer)")
        db.commit()
        db.close()
    else:
        import psycopg

        with psycopg.connect(**target.pg) as db:
            db.execute("CREATE TABLE leftover (x integer)")
    forced = restore(target, archive, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "leftover" not in target.tables() and "cases_case" in target.tables()
    assert target.query("SELECT count(*) FROM cases_case") == target_cases


@db_committed
@pytest.mark.parametrize("member", ["photo", "database"])
def test_a_tampered_archive_is_refused_before_anything_is_written(world, target, tmp_path, member):
    archive, _figures = back_up(tmp_path)
    manifest = archive_manifest(archive)
    victim = (
        manifest["database"]["member"]
        if member == "database"
        else next(n for n in manifest["members"] if n.startswith("media/"))
    )

    def flip_one_byte(name: str, data: bytes) -> bytes:
        if name != victim:
            return data
        middle = len(data) // 2
        return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]

    tampered = rewrite(archive, tmp_path / "tampered.zip", flip_one_byte)
    refused = restore(target, tampered)
    assert refused.returncode == 1
    assert victim in refused.stderr and "SHA-256" in refused.stderr and "未写入任何内容" in refused.stderr
    assert target.tables() == [] and target.files() == {}


@db_committed
def test_a_manifest_that_disagrees_with_the_dump_leaves_the_target_empty(world, target, tmp_path):
    """The database is loaded in one transaction that checks every table's rows before it commits."""
    archive, _figures = back_up(tmp_path)

    def wrong_count(name: str, data: bytes) -> bytes:
        if name != MANIFEST:
            return data
        manifest = json.loads(data)
        rows = manifest["database"]["table_rows"]
        table = next(t for t in rows if t.endswith("cases_case"))
        rows[table] += 1
        return json.dumps(manifest).encode()

    refused = restore(target, rewrite(archive, tmp_path / "wrong.zip", wrong_count))
    assert refused.returncode == 1
    assert "cases_case" in refused.stderr and "未改动" in refused.stderr
    assert target.tables() == [] and target.files() == {}


@db_committed
def test_a_backup_of_another_database_vendor_is_refused(world, target, tmp_path):
    archive, _figures = back_up(tmp_path)
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    ours, theirs = DATABASE_MEMBERS[connection.vendor], DATABASE_MEMBERS[other]

    def other_vendor(name: str, data: bytes) -> bytes:
        if name != MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["database"].update(vendor=other, member=theirs)
        manifest["members"][theirs] = manifest["members"].pop(ours)
        return json.dumps(manifest).encode()

    refused = restore(target, rewrite(archive, tmp_path / "other.zip", other_vendor, {ours: theirs}))
    assert refused.returncode == 1
    assert f"备份来自 {other} 数据库" in refused.stderr
    assert target.tables() == [] and target.files() == {}


@db_committed
def test_a_backup_taken_while_cases_are_reported_is_restorable(world, target, tmp_path):
    """A writer reports cases with photos in another thread for the whole backup. The backup's progress
    hook waits for more of its commits while the database is being dumped and again between the dump and
    the file copy, so writes certainly happen during the backup. The restore then checks every table's rows
    against the manifest (counted in the dump's snapshot), every restored case has its photos, and the
    photos of cases reported after the dump are in the archive as harmless extras."""
    committed = threading.Condition()
    made: list[str] = []
    stop = threading.Event()
    failure: list[BaseException] = []

    def writer() -> None:
        try:
            while not stop.is_set():
                ref = report(world, photos=[photo()]).case.ref
                with committed:
                    made.append(ref)
                    committed.notify_all()
        except BaseException as exc:  # noqa: BLE001 (reported by the test below)
            failure.append(exc)
            with committed:
                committed.notify_all()
        finally:
            connection.close()

    def wait_for_more(count: int = 2) -> None:
        with committed:
            goal = len(made) + count
            assert committed.wait_for(lambda: len(made) >= goal or failure, timeout=60)
        assert not failure, failure

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        wait_for_more()
        before = len(made)
        backup_create(tmp_path / "busy.zip", progress=lambda phase, info: wait_for_more())
    finally:
        stop.set()
        thread.join(60)
    assert not failure, failure

    done = restore(target, tmp_path / "busy.zip")
    assert done.returncode == 0, done.stderr
    refs = {r[0] for r in target.query("SELECT ref FROM cases_case")}
    assert set(made[:before]) <= refs and refs <= set(Case.objects.values_list("ref", flat=True))
    restored_files, source_files = target.files(), media_bytes(Path(settings.MEDIA_ROOT))
    paths = [r[0] for r in target.query("SELECT path FROM core_upload WHERE owner = 'cases.case'")]
    assert len(paths) == len(refs)  # one photo per writer's case; the world's cases have two and none
    for path in paths:
        assert restored_files[path] == source_files[path]
    # files of cases committed after the dump came along (copied after it) without their rows
    assert len(restored_files) > len(paths)
    assert all(source_files[rel] == data for rel, data in restored_files.items())


@db_committed
def test_an_older_backup_is_brought_forward_by_migrate(world, target, tmp_path):
    """A backup made before the latest migrations of an app is restored and then migrated. ``notify``'s
    later migrations change only choices, so taking them back here for the backup leaves the schema
    alone; ``migrate`` puts them back before the next test."""
    later = sorted(
        n for a, n in MigrationLoader(None).disk_migrations if a == "notify" and n > "0001_initial"
    )
    call_command("migrate", "notify", "0001_initial", verbosity=0)
    try:
        archive, _figures = back_up(tmp_path)
    finally:
        call_command("migrate", verbosity=0)
    assert archive_manifest(archive)["migrations"]["notify"] == "0001_initial"

    done = restore(target, archive)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["migrations_applied"] == len(later) >= 1
    applied = {r[0] for r in target.query("SELECT name FROM django_migrations WHERE app = 'notify'")}
    assert applied == {"0001_initial", *later}
    assert {r[0] for r in target.query("SELECT ref FROM cases_case")} == {
        world.case.ref,
        world.plain_case.ref,
    }


@db_committed
def test_backup_refuses_to_overwrite_or_to_write_inside_the_media_directory(world, tmp_path):
    archive, _figures = back_up(tmp_path)
    with pytest.raises(BackupError, match="已存在"):
        backup_create(archive)
    assert backup_create(archive, overwrite=True)["archive_bytes"] == archive.stat().st_size
    with pytest.raises(BackupError, match="不能放在上传文件目录"):
        backup_create(Path(settings.MEDIA_ROOT) / "inside.zip")
    assert not (Path(settings.MEDIA_ROOT) / "inside.zip").exists()


def test_pg_dump_is_found_and_a_too_old_or_missing_one_is_a_clear_error(settings, tmp_path):
    found = pg_tool("pg_dump", at_least=9)
    assert found.major >= 9 and Path(found.path).is_file()
    with pytest.raises(BackupError, match=r"版本太旧.*需要 99"):
        pg_tool("pg_dump", at_least=99)
    settings.PG_BIN_DIR = str(tmp_path)  # a directory without the client programs
    with pytest.raises(BackupError, match=r"找不到 PostgreSQL 客户端程序 pg_dump.*GRIDGOV_PG_BIN_DIR"):
        pg_tool("pg_dump", at_least=9)
