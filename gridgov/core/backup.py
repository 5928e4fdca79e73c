"""Backup and restore (备份与恢复): one zip archive with the database and every uploaded file.

The archive (format version 1) holds::

    database.sqlite3 | database.pgdump   the database: an SQLite online-backup copy, or a pg_dump custom-format
                                         dump (uncompressed inside, the zip deflates it)
    media/<path>                         every file under MEDIA_ROOT (case, visit, order and wish photos,
                                         ledger import files and their error and rejected-rows reports)
    manifest.json                        written last: format and gridgov versions, the database vendor and
                                         server version, the latest applied migration of each app, the rows of
                                         every table, file counts, and the size and SHA-256 of every member

Consistent while the server runs: the database is copied first, from one snapshot (SQLite's online
backup API in a single step, which reads one consistent state while writers go on in WAL mode; pg_dump
from a snapshot that this process exports and counts the rows in, so the manifest's counts are the dump's).
The files are copied after it. An upload is written before the row that names it commits, so every file a
row of the dump names was already on disk when the dump began and is in the archive; files uploaded
while the archive is written are extra and harmless. The one gap: a file removed after the dump (a visit
photo replaced or deleted meanwhile) is listed under ``media.vanished`` in the manifest.

Encrypted personal fields stay ciphertext in the archive; ``GRIDGOV_FIELD_KEY`` is never written to it,
so the operator keeps the key apart from the backups (docs/deploy.md).

Restore reads the manifest, refuses an unknown format, another database vendor, migrations this code
does not know, and a target database that already has tables (unless ``force``), and checks the size and
SHA-256 of every member before it writes anything. It then unpacks the files into a staging directory,
loads the database in one transaction (checking every table's row count against the manifest before it
commits), moves the files into place and runs ``migrate``. Each step that fails says what is left.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from glob import glob
from importlib import metadata
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.db.backends.postgresql.client import DatabaseClient
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.uploads import PARTIAL_PREFIX

FORMAT = "gridgov-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA = "media"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
STAGING_PREFIX = ".restore-"  # a restore's staging directory inside MEDIA_ROOT; never backed up
CHUNK = 1024 * 1024
# Already compressed: stored as they are instead of being deflated again.
COMPRESSED_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".xlsx", ".zip", ".gz", ".pdf"}
# Where PostgreSQL client programs are installed besides the PATH (Debian/Ubuntu, RHEL, macOS, source).
PG_BIN_GLOBS = (
    "/usr/lib/postgresql/*/bin",
    "/usr/pgsql-*/bin",
    "/usr/local/pgsql/bin",
    "/opt/homebrew/opt/postgresql@*/bin",
    "/usr/local/opt/postgresql@*/bin",
)
SYSTEM_SCHEMAS_SQL = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp\\_%%'"
)

Progress = Callable[[str, dict], None]


class BackupError(CommandError):
    """A backup or restore that cannot go on; the message says why and what was (not) written."""


def _notify(progress: Progress | None, phase: str, **info) -> None:
    if progress is not None:
        progress(phase, info)


def _gridgov_version() -> str:
    try:
        return metadata.version("gridgov")
    except metadata.PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _tail(path: Path, lines: int = 12) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


# ---------------------------------------------------------------- PostgreSQL client programs


@dataclass(frozen=True)
class PgTool:
    path: str
    version: str  # "15.20"
    major: int


def _pg_version_of(program: str) -> PgTool | None:
    try:
        out = subprocess.run(
            [program, "--version"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?", out)
    if not match:
        return None
    version = match.group(1) + (f".{match.group(2)}" if match.group(2) else "")
    return PgTool(path=program, version=version, major=int(match.group(1)))


def pg_tools(name: str) -> list[PgTool]:
    """Every installed ``name`` (pg_dump, pg_restore, psql) with its version: from ``GRIDGOV_PG_BIN_DIR``
    alone when it is set, otherwise the PATH and the usual installation directories."""
    if settings.PG_BIN_DIR:
        candidates = [str(Path(settings.PG_BIN_DIR) / name)]
    else:
        candidates = [p for p in [shutil.which(name)] if p]
        for pattern in PG_BIN_GLOBS:
            candidates += sorted(glob(f"{pattern}/{name}"))
    seen, tools = set(), []
    for candidate in candidates:
        real = os.path.realpath(candidate)
        if real in seen or not os.access(candidate, os.X_OK):
            continue
        seen.add(real)
        tool = _pg_version_of(candidate)
        if tool is not None:
            tools.append(tool)
    return tools


def pg_tool(name: str, *, at_least: int, prefer: int | None = None) -> PgTool:
    """The ``name`` program to use: of major version ``at_least`` or newer, ``prefer`` when installed,
    otherwise the oldest that is new enough. A clear error when none is installed or all are too old."""
    tools = pg_tools(name)
    where = settings.PG_BIN_DIR or _("PATH 及常见安装目录")
    if not tools:
        raise BackupError(
            _(
                "找不到 PostgreSQL 客户端程序 %(program)s（查找范围：%(where)s）。"
                "请安装与服务器同版本的客户端（如 postgresql-client-%(major)s），"
                "或用 GRIDGOV_PG_BIN_DIR 指明其所在目录。"
            )
            % {"program": name, "where": where, "major": prefer or at_least}
        )
    fit = [t for t in tools if t.major >= at_least]
    if not fit:
        found = ", ".join(f"{t.path} {t.version}" for t in tools)
        raise BackupError(
            _(
                "%(program)s 的版本太旧：找到 %(found)s，需要 %(major)s 或更新的主版本。"
                "请安装 postgresql-client-%(major)s，或用 GRIDGOV_PG_BIN_DIR 指明其所在目录。"
            )
            % {"program": name, "found": found, "major": at_least}
        )
    for tool in fit:
        if tool.major == prefer:
            return tool
    return min(fit, key=lambda t: (t.major, t.path))


def _libpq_env(settings_dict: dict) -> dict[str, str]:
    """The environment that points libpq programs at the same database as Django's settings (the password
    goes in the environment, never on the command line)."""
    _args, extra = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    env = dict(os.environ)
    env.update(extra or {})
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("NAME", "PGDATABASE")):
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    if settings_dict.get("OPTIONS", {}).get("options"):
        env["PGOPTIONS"] = str(settings_dict["OPTIONS"]["options"])
    env.setdefault("PGCONNECT_TIMEOUT", "15")
    return env


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _qualified(key: str) -> str:
    schema, _dot, table = key.partition(".")
    return f"{_quote_ident(schema)}.{_quote_ident(table)}"


def _pg_relations(cursor) -> list[tuple[str, str, str]]:
    """(schema, name, kind) of every table, view, sequence … outside PostgreSQL's own schemas."""
    cursor.execute(
        "SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND {SYSTEM_SCHEMAS_SQL} ORDER BY 1, 2"
    )
    return [(schema, name, kind) for schema, name, kind in cursor.fetchall()]


def _migration_state(cursor, table: str) -> dict[str, str]:
    cursor.execute(f"SELECT app, max(name) FROM {table} GROUP BY app ORDER BY app")
    return {app: name for app, name in cursor.fetchall()}


# ---------------------------------------------------------------- writing an archive


def _zipinfo(name: str, *, compress: bool, mtime: float | None = None) -> zipfile.ZipInfo:
    moment = datetime.fromtimestamp(mtime) if mtime is not None else datetime.now()
    info = zipfile.ZipInfo(name, date_time=max(moment.timetuple()[:6], (1980, 1, 1, 0, 0, 0)))
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o600 << 16
    return info


def _add_stream(
    zf: zipfile.ZipFile, members: dict, name: str, source, *, compress: bool, mtime=None, large=True
) -> int:
    """Copy ``source`` into the member ``name`` and record the size and SHA-256 of exactly what was stored."""
    digest, size = hashlib.sha256(), 0
    with zf.open(_zipinfo(name, compress=compress, mtime=mtime), "w", force_zip64=large) as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    members[name] = {"bytes": size, "sha256": digest.hexdigest()}
    return size


def _sqlite_path(settings_dict: dict) -> Path:
    name = str(settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file::memory:"):
        raise BackupError(_("SQLite 数据库在内存中，无法备份或恢复（请使用数据库文件）"))
    return Path(name).absolute()


def _sqlite_inventory(path: Path) -> tuple[dict[str, int], dict[str, str]]:
    """Rows per table and the latest migration per app of the SQLite file at ``path``."""
    db = sqlite3.connect(path)
    try:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                "ORDER BY name"
            )
        ]
        if "django_migrations" not in tables:
            raise BackupError(_("数据库中还没有 gridgov 的数据表（请先运行 gridgov migrate），无可备份"))
        rows = {t: db.execute(f"SELECT count(*) FROM {_quote_ident(t)}").fetchone()[0] for t in tables}
        return rows, _migration_state(db.cursor(), "django_migrations")
    finally:
        db.close()


def _dump_sqlite(conn, zf: zipfile.ZipFile, members: dict, work_dir: Path, progress=None) -> dict:
    source_path = _sqlite_path(conn.settings_dict)
    if not source_path.is_file():
        raise BackupError(_("数据库文件不存在：%(path)s") % {"path": source_path})
    with tempfile.TemporaryDirectory(dir=work_dir, prefix=".gridgov-backup-") as tmp:
        copy = Path(tmp) / DATABASE_MEMBERS["sqlite"]
        source = sqlite3.connect(source_path, timeout=60)
        try:
            target = sqlite3.connect(copy)
            try:
                # One step (pages=-1): one read transaction, so one consistent state; in WAL mode the
                # server's writers go on meanwhile. Never a file copy, which can catch a half-written page.
                source.backup(target)
                target.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            finally:
                target.close()
        finally:
            source.close()
        table_rows, migrations = _sqlite_inventory(copy)
        _notify(progress, "snapshot", tables=len(table_rows), rows=sum(table_rows.values()))
        with open(copy, "rb") as f:
            size = _add_stream(zf, members, DATABASE_MEMBERS["sqlite"], f, compress=True)
    return {
        "vendor": "sqlite",
        "member": DATABASE_MEMBERS["sqlite"],
        "server_version": sqlite3.sqlite_version,
        "dump_tool": {"name": "sqlite3.Connection.backup", "version": sqlite3.sqlite_version, "major": 3},
        "bytes": size,
        "tables": len(table_rows),
        "rows": sum(table_rows.values()),
        "table_rows": table_rows,
        "migrations": migrations,
    }


def _dump_postgresql(conn, zf: zipfile.ZipFile, members: dict, work_dir: Path, progress=None) -> dict:
    import psycopg

    holder = conn.copy()  # its own connection: the snapshot's transaction stays open while pg_dump runs
    try:
        holder.ensure_connection()
        raw = holder.connection
        server_major = raw.info.server_version // 10000
        tool = pg_tool("pg_dump", at_least=server_major, prefer=server_major)
        raw.autocommit = False
        raw.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        raw.read_only = True
        with raw.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
            tables = [f"{s}.{n}" for s, n, kind in _pg_relations(cursor) if kind == "r"]
            if not any(t.endswith(".django_migrations") for t in tables):
                raise BackupError(_("数据库中还没有 gridgov 的数据表（请先运行 gridgov migrate），无可备份"))
            table_rows = {}
            for table in tables:
                cursor.execute(f"SELECT count(*) FROM {_qualified(table)}")
                table_rows[table] = cursor.fetchone()[0]
            migrations = _migration_state(cursor, "django_migrations")
            _notify(progress, "snapshot", tables=len(table_rows), rows=sum(table_rows.values()))
            # pg_dump reads the very snapshot the rows were counted in, whatever was committed since.
            with tempfile.TemporaryFile(dir=work_dir) as errors:
                process = subprocess.Popen(
                    [
                        tool.path,
                        "--format=custom",
                        "--compress=0",
                        f"--snapshot={snapshot}",
                        "--no-password",
                    ],
                    stdout=subprocess.PIPE,
                    stderr=errors,
                    env=_libpq_env(conn.settings_dict),
                )
                try:
                    size = _add_stream(
                        zf, members, DATABASE_MEMBERS["postgresql"], process.stdout, compress=True
                    )
                finally:
                    process.stdout.close()
                    returncode = process.wait()
                if returncode != 0:
                    errors.seek(0)
                    message = errors.read().decode("utf-8", "replace").strip()
                    raise BackupError(
                        _("pg_dump 失败（退出码 %(code)s）：%(error)s")
                        % {"code": returncode, "error": message}
                    )
        raw.rollback()
    finally:
        holder.close()
    return {
        "vendor": "postgresql",
        "member": DATABASE_MEMBERS["postgresql"],
        "server_version": server_version,
        "dump_tool": {"name": "pg_dump", "version": tool.version, "major": tool.major},
        "bytes": size,
        "tables": len(table_rows),
        "rows": sum(table_rows.values()),
        "table_rows": table_rows,
        "migrations": migrations,
    }


def media_files(root: Path) -> Iterator[tuple[Path, str]]:
    """(absolute path, path relative to ``root`` with ``/``) of every regular file under ``root``."""
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(STAGING_PREFIX))
        for filename in sorted(filenames):
            if filename.startswith(PARTIAL_PREFIX):
                continue  # an upload being written: it is linked to its name only once complete
            full = Path(dirpath) / filename
            if full.is_symlink() or not full.is_file():
                continue  # uploads are regular files; a link could point anywhere
            yield full, full.relative_to(root).as_posix()


def _copy_media(root: Path, zf: zipfile.ZipFile, members: dict) -> dict:
    files, total, vanished = 0, 0, []
    for full, rel in media_files(root):
        try:
            f = open(full, "rb")  # noqa: SIM115 (closed below; opening is what may fail)
        except FileNotFoundError:
            vanished.append(rel)  # removed since the walk listed it
            continue
        with f:
            stat = os.fstat(f.fileno())
            total += _add_stream(
                zf,
                members,
                f"{MEDIA}/{rel}",
                f,
                compress=full.suffix.lower() not in COMPRESSED_SUFFIXES,
                mtime=stat.st_mtime,
                large=stat.st_size > 1024**3,
            )
        files += 1
    return {"files": files, "bytes": total, "vanished": vanished}


def backup_create(
    path: str | Path, *, using: str = "default", overwrite: bool = False, progress: Progress | None = None
) -> dict:
    """Write the archive to ``path`` (via a temporary name, renamed when complete; mode 0600) and return
    the figures printed by ``gridgov backup``."""
    started = time.monotonic()
    path = Path(path).absolute()
    conn = connections[using]
    if conn.vendor not in DATABASE_MEMBERS:
        raise BackupError(
            _("不支持的数据库：%(vendor)s（仅支持 SQLite 和 PostgreSQL）") % {"vendor": conn.vendor}
        )
    media_root = Path(settings.MEDIA_ROOT).absolute()
    if path.is_dir():
        raise BackupError(_("%(path)s 是一个目录，请给出备份文件名") % {"path": path})
    if path.exists() and not overwrite:
        raise BackupError(_("文件 %(path)s 已存在（要覆盖请加 --overwrite）") % {"path": path})
    if _inside(path, media_root):
        raise BackupError(
            _("备份文件不能放在上传文件目录 %(media)s 之内：%(path)s") % {"media": media_root, "path": path}
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    members: dict[str, dict] = {}
    try:
        with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as raw:
            with zipfile.ZipFile(raw, "w", allowZip64=True) as zf:
                _notify(progress, "database", vendor=conn.vendor)
                dump = _dump_sqlite if conn.vendor == "sqlite" else _dump_postgresql
                database = dump(conn, zf, members, path.parent, progress)
                table_rows = database["table_rows"]
                _notify(progress, "files", tables=len(table_rows), rows=sum(table_rows.values()))
                media = _copy_media(media_root, zf, members)
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "gridgov_version": _gridgov_version(),
                    "created_at": timezone.localtime().isoformat(timespec="seconds"),
                    "order": "database first, then files",
                    "database": {k: v for k, v in database.items() if k != "migrations"},
                    "migrations": database["migrations"],
                    "media": media,
                    "members": members,
                }
                zf.writestr(
                    _zipinfo(MANIFEST, compress=True), json.dumps(manifest, ensure_ascii=False, indent=1)
                )
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return {
        "backup": str(path),
        "vendor": conn.vendor,
        "tables": len(table_rows),
        "rows": sum(table_rows.values()),
        "database_bytes": database["bytes"],
        "files": media["files"],
        "file_bytes": media["bytes"],
        "vanished_files": len(media["vanished"]),
        "archive_bytes": path.stat().st_size,
        "seconds": round(time.monotonic() - started, 2),
    }


# ---------------------------------------------------------------- reading an archive


def _damaged(what: str) -> BackupError:
    return BackupError(_("备份文件的清单（manifest.json）有误：%(what)s；未写入任何内容") % {"what": what})


def _read_manifest(zf: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(zf.read(MANIFEST).decode("utf-8"))
    except KeyError:
        raise BackupError(_("这不是 gridgov 备份文件（缺少 manifest.json）；未写入任何内容")) from None
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, OSError) as exc:
        raise _damaged(str(exc)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(
            _("这不是 gridgov 备份文件（format 不是 %(format)s）；未写入任何内容") % {"format": FORMAT}
        )
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise BackupError(
            _("备份格式版本 %(version)s 不受支持（本版本可恢复格式版本 %(supported)s）；未写入任何内容")
            % {"version": version, "supported": FORMAT_VERSION}
        )
    database, members = manifest.get("database"), manifest.get("members")
    if not isinstance(database, dict) or database.get("vendor") not in DATABASE_MEMBERS:
        raise _damaged("database.vendor")
    if database.get("member") != DATABASE_MEMBERS[database["vendor"]]:
        raise _damaged("database.member")
    rows = database.get("table_rows")
    if not isinstance(rows, dict) or not all(isinstance(n, int) and n >= 0 for n in rows.values()):
        raise _damaged("database.table_rows")
    if not isinstance(database.get("dump_tool"), dict) or not isinstance(
        database["dump_tool"].get("major"), int
    ):
        raise _damaged("database.dump_tool")
    migrations = manifest.get("migrations")
    if not isinstance(migrations, dict) or not all(isinstance(v, str) for v in migrations.values()):
        raise _damaged("migrations")
    if not isinstance(members, dict) or database["member"] not in members:
        raise _damaged("members")
    for name, entry in members.items():
        ok = (
            isinstance(entry, dict)
            and isinstance(entry.get("bytes"), int)
            and entry["bytes"] >= 0
            and isinstance(entry.get("sha256"), str)
            and re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])
        )
        if not ok:
            raise _damaged(f"members[{name}]")
        if name != database["member"]:
            _media_rel(name)
    return manifest


def _media_rel(name: str) -> str:
    """The path under MEDIA_ROOT of the member ``name``; refuses anything that could land outside it."""
    parts = PurePosixPath(name).parts
    if (
        len(parts) < 2
        or parts[0] != MEDIA
        or name.startswith("/")
        or "\x00" in name
        or any(p in ("", ".", "..") or p.startswith(STAGING_PREFIX) for p in parts[1:])
    ):
        raise BackupError(_("备份文件中有不允许的成员名：%(name)s；未写入任何内容") % {"name": name})
    return "/".join(parts[1:])


def _check_member_names(zf: zipfile.ZipFile, manifest: dict) -> None:
    names = zf.namelist()
    if len(names) != len(set(names)):
        raise BackupError(_("备份文件中有重名的成员；未写入任何内容"))
    listed, present = set(manifest["members"]), set(names) - {MANIFEST}
    if present - listed:
        name = min(present - listed)
        raise BackupError(_("备份文件中有清单未列出的成员：%(name)s；未写入任何内容") % {"name": name})
    if listed - present:
        name = min(listed - present)
        raise BackupError(_("备份文件缺少成员：%(name)s；未写入任何内容") % {"name": name})


def _check_migrations_known(migrations: dict[str, str]) -> None:
    """A backup made by a newer gridgov (a migration this code does not have) cannot be brought forward."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    for app, name in sorted(migrations.items()):
        if (app, name) not in known:
            raise BackupError(
                _(
                    "备份中的数据库已应用迁移 %(app)s.%(name)s，本版本 gridgov 没有这个迁移："
                    "备份来自更新（或不同）的版本，请用那个版本恢复；未写入任何内容"
                )
                % {"app": app, "name": name}
            )


def _read_member(zf: zipfile.ZipFile, name: str, expected: dict, sink=None) -> None:
    """Read ``name`` to the end, passing each chunk to ``sink``; refuse it unless its size and SHA-256 are
    those of the manifest."""
    digest, size = hashlib.sha256(), 0
    unreadable = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError)
    try:
        member = zf.open(name)
    except unreadable as exc:
        raise BackupError(
            _("备份文件已损坏：成员 %(name)s 无法读出（%(error)s）") % {"name": name, "error": exc}
        ) from None
    with member:
        while True:
            try:
                chunk = member.read(CHUNK)  # the zip's own CRC is checked at the end, too
            except unreadable as exc:
                raise BackupError(
                    _("备份文件已损坏：成员 %(name)s 无法读出（%(error)s）") % {"name": name, "error": exc}
                ) from None
            if not chunk:
                break
            size += len(chunk)
            if size > expected["bytes"]:
                break
            digest.update(chunk)
            if sink is not None:
                sink(chunk)
    if size != expected["bytes"] or digest.hexdigest() != expected["sha256"]:
        raise BackupError(
            _("备份文件已损坏或被改动：成员 %(name)s 的大小或 SHA-256 与清单不符") % {"name": name}
        )


def verify_archive(zf: zipfile.ZipFile, manifest: dict) -> None:
    for name, expected in manifest["members"].items():
        try:
            _read_member(zf, name, expected)
        except BackupError as exc:
            raise BackupError(_("%(error)s；未写入任何内容") % {"error": exc}) from None


def _media_conflicts(manifest: dict, media_root: Path) -> list[str]:
    """Files the archive would put where a different file already is."""
    conflicts = []
    for name, expected in manifest["members"].items():
        if name == manifest["database"]["member"]:
            continue
        target = media_root / _media_rel(name)
        if not target.exists():
            continue
        same = target.is_file() and target.stat().st_size == expected["bytes"]
        if same:
            with open(target, "rb") as f:
                same = hashlib.file_digest(f, "sha256").hexdigest() == expected["sha256"]
        if not same:
            conflicts.append(_media_rel(name))
    return conflicts


# ---------------------------------------------------------------- restore targets


class SqliteTarget:
    vendor = "sqlite"

    def __init__(self, conn):
        self.conn = conn
        self.path = _sqlite_path(conn.settings_dict)

    def describe(self) -> str:
        return str(self.path)

    def existing_tables(self) -> list[str]:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return []
        try:
            db = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True)
            try:
                return [
                    r[0]
                    for r in db.execute(
                        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
                    )
                ]
            finally:
                db.close()
        except sqlite3.DatabaseError as exc:
            return [f"({exc})"]  # not an SQLite database: not empty either

    def prepare(self, manifest: dict, force: bool) -> None:
        """Nothing to prepare: SQLite needs no programs."""

    @staticmethod
    def _check(source: sqlite3.Connection, table_rows: dict[str, int]) -> None:
        """The copy to be restored is a sound SQLite database with the manifest's rows in every table."""
        try:
            sound = source.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            counts = {}
            for table in table_rows:
                counts[table] = source.execute(f"SELECT count(*) FROM {_quote_ident(table)}").fetchone()[0]
        except sqlite3.Error:
            sound = False
        if not sound:
            raise BackupError(_("备份中的 SQLite 数据库未通过完整性检查；目标数据库未改动"))
        for table, expected in table_rows.items():
            if counts[table] != expected:
                raise BackupError(
                    _("表 %(table)s 有 %(found)s 行，清单记载 %(expected)s 行；目标数据库未改动")
                    % {"table": table, "found": counts[table], "expected": expected}
                )

    def load(self, zf: zipfile.ZipFile, manifest: dict, force: bool) -> None:  # noqa: ARG002
        member = manifest["database"]["member"]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.path.parent, prefix=".gridgov-restore-") as tmp:
            staged = Path(tmp) / member
            with open(staged, "wb") as out:
                _read_member(zf, member, manifest["members"][member], out.write)
            source = sqlite3.connect(staged)
            try:
                self._check(source, manifest["database"]["table_rows"])
                created = not self.path.exists()
                try:
                    target = sqlite3.connect(self.path, timeout=60)
                    try:
                        # One step into the target: one write transaction, so all of it or nothing.
                        source.backup(target)
                    finally:
                        target.close()
                except sqlite3.Error as exc:
                    if created:
                        for suffix in ("", "-wal", "-shm", "-journal"):
                            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
                    raise BackupError(
                        _("写入数据库 %(path)s 失败（%(error)s）；目标数据库未改动")
                        % {"path": self.path, "error": exc}
                    ) from None
            finally:
                source.close()


class PostgresTarget:
    vendor = "postgresql"

    def __init__(self, conn):
        self.conn = conn
        self.restore_tool: PgTool | None = None
        self.psql: PgTool | None = None
        self.relations: list[tuple[str, str, str]] = []

    def describe(self) -> str:
        s = self.conn.settings_dict
        return f"{s.get('NAME')}@{s.get('HOST') or 'localhost'}:{s.get('PORT') or 5432}"

    def existing_tables(self) -> list[str]:
        from django.db.utils import OperationalError

        try:
            with self.conn.cursor() as cursor:
                self.relations = _pg_relations(cursor)
            self.server_major = self.conn.pg_version // 10000
        except OperationalError as exc:
            raise BackupError(
                _("无法连接目标数据库 %(database)s（%(error)s）；请先建好空数据库（createdb）")
                % {"database": self.describe(), "error": str(exc).strip()}
            ) from None
        finally:
            self.conn.close()
        tables = [f"{s}.{n}" for s, n, kind in self.relations if kind != "S"]
        return tables or [f"{s}.{n}" for s, n, _kind in self.relations]  # sequences alone: not empty either

    def prepare(self, manifest: dict, force: bool) -> None:  # noqa: ARG002
        dumped = manifest["database"]["dump_tool"]["major"]
        self.restore_tool = pg_tool("pg_restore", at_least=dumped, prefer=self.server_major)
        # psql runs what pg_restore writes: the one beside it understands it (\restrict and the like).
        beside = Path(self.restore_tool.path).with_name("psql")
        self.psql = _pg_version_of(str(beside)) if os.access(beside, os.X_OK) else None
        if self.psql is None:
            self.psql = pg_tool("psql", at_least=self.restore_tool.major, prefer=self.restore_tool.major)

    def _prelude(self, force: bool) -> bytes:
        lines = ["SET client_min_messages = warning;"]
        if force:
            # Empty the target inside the same transaction as the load, so a failed load keeps it.
            for schema in sorted({s for s, _n, _k in self.relations if s != "public"}):
                lines.append(f"DROP SCHEMA IF EXISTS {_quote_ident(schema)} CASCADE;")
            drop = {"v": "VIEW", "m": "MATERIALIZED VIEW", "r": "TABLE", "p": "TABLE", "f": "FOREIGN TABLE"}
            for kind in ("v", "m", "r", "p", "f", "S"):
                for schema, name, k in self.relations:
                    if schema == "public" and k == kind:
                        what = drop.get(kind, "SEQUENCE")
                        lines.append(f"DROP {what} IF EXISTS {_qualified(f'{schema}.{name}')} CASCADE;")
        return ("\n".join(lines) + "\n").encode()

    @staticmethod
    def _verify_rows(table_rows: dict[str, int]) -> bytes:
        """A block that aborts the transaction unless every table has the manifest's number of rows."""
        checks = []
        for table, expected in sorted(table_rows.items()):
            literal = "'" + table.replace("'", "''") + "'"
            checks.append(
                f"SELECT count(*) INTO n FROM {_qualified(table)}; IF n <> {int(expected)} THEN "
                f"RAISE EXCEPTION 'gridgov restore: table % has % rows, the manifest says {int(expected)}', "
                f"{literal}, n; END IF;"
            )
        body = "\n".join(checks)
        return f"DO $gridgov_verify$ DECLARE n bigint; BEGIN\n{body}\nEND $gridgov_verify$;\n".encode()

    def load(self, zf: zipfile.ZipFile, manifest: dict, force: bool) -> None:
        """pg_restore turns the dump into SQL, psql runs it in one transaction that commits only when
        pg_restore succeeded, the member's SHA-256 matched again and every table's row count is right."""
        member = manifest["database"]["member"]
        env = _libpq_env(self.conn.settings_dict)
        with tempfile.TemporaryDirectory(prefix="gridgov-restore-") as tmp:
            restore_errors, psql_errors = Path(tmp) / "pg_restore.err", Path(tmp) / "psql.err"
            with open(restore_errors, "wb") as rerr, open(psql_errors, "wb") as perr:
                psql = subprocess.Popen(
                    [self.psql.path, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--no-password", "-f", "-"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=perr,
                    env=env,
                )
                restore = subprocess.Popen(
                    [self.restore_tool.path, "--no-owner", "--no-privileges", "-f", "-"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=rerr,
                    env=env,
                )
                fed: list[BaseException | None] = [None]

                def feed() -> None:
                    try:
                        _read_member(zf, member, manifest["members"][member], restore.stdin.write)
                    except (BackupError, OSError) as exc:
                        fed[0] = exc
                    finally:
                        with contextlib.suppress(OSError):
                            restore.stdin.close()

                feeder = threading.Thread(target=feed, name="gridgov-restore-feed", daemon=True)
                committed = False
                try:
                    psql.stdin.write(b"BEGIN;\n" + self._prelude(force))
                    feeder.start()
                    while chunk := restore.stdout.read(CHUNK):
                        psql.stdin.write(chunk)
                    restore.wait()
                    feeder.join()
                    if restore.returncode == 0 and fed[0] is None:
                        psql.stdin.write(b"\n" + self._verify_rows(manifest["database"]["table_rows"]))
                        psql.stdin.write(b"COMMIT;\n")
                        committed = True
                    else:
                        psql.stdin.write(b"ROLLBACK;\n")
                except BrokenPipeError:
                    committed = False  # psql stopped at an error: its transaction is rolled back
                finally:
                    try:
                        psql.stdin.close()
                    except BrokenPipeError:
                        committed = False
                    restore.stdout.close()  # unblocks pg_restore (and so the feeder) if psql stopped early
                    if restore.poll() is None:
                        restore.kill()
                    restore.wait()
                    if feeder.ident is not None:
                        feeder.join()
                    psql.wait()
            if psql.returncode != 0:
                raise BackupError(
                    _("载入数据库失败（psql 退出码 %(code)s）：%(error)s；事务已回滚，目标数据库未改动")
                    % {"code": psql.returncode, "error": _tail(psql_errors)}
                )
            if restore.returncode != 0:
                raise BackupError(
                    _("pg_restore 失败（退出码 %(code)s）：%(error)s；目标数据库未改动")
                    % {"code": restore.returncode, "error": _tail(restore_errors)}
                )
            if fed[0] is not None:
                raise BackupError(_("%(error)s；目标数据库未改动") % {"error": fed[0]})
            if not committed:
                raise BackupError(_("载入数据库未完成；事务已回滚，目标数据库未改动"))


# ---------------------------------------------------------------- restore


def _stage_media(zf: zipfile.ZipFile, manifest: dict, media_root: Path) -> tuple[Path, list[str]]:
    staging = media_root / f"{STAGING_PREFIX}{uuid.uuid4().hex}"
    rels = []
    try:
        for name, expected in manifest["members"].items():
            if name == manifest["database"]["member"]:
                continue
            rel = _media_rel(name)
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as out:
                _read_member(zf, name, expected, out.write)
            rels.append(rel)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging, rels


def backup_restore(
    path: str | Path, *, using: str = "default", force: bool = False, progress: Progress | None = None
) -> dict:
    """Restore the archive at ``path`` into the database of ``using`` and MEDIA_ROOT; return the figures
    printed by ``gridgov restore``."""
    started = time.monotonic()
    path = Path(path).absolute()
    conn = connections[using]
    if not path.is_file():
        raise BackupError(_("备份文件不存在：%(path)s") % {"path": path})
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError(
            _("%(path)s 不是 gridgov 备份文件（%(error)s）；未写入任何内容") % {"path": path, "error": exc}
        ) from None
    with zf:
        manifest = _read_manifest(zf)
        vendor = manifest["database"]["vendor"]
        if vendor != conn.vendor:
            raise BackupError(
                _(
                    "备份来自 %(backup)s 数据库，目标是 %(target)s 数据库：只能恢复到同一种数据库；"
                    "未写入任何内容"
                )
                % {"backup": vendor, "target": conn.vendor}
            )
        _check_member_names(zf, manifest)
        _check_migrations_known(manifest["migrations"])
        target = SqliteTarget(conn) if vendor == "sqlite" else PostgresTarget(conn)
        existing = target.existing_tables()
        if existing and not force:
            shown = ", ".join(existing[:5]) + (", ..." if len(existing) > 5 else "")
            raise BackupError(
                _(
                    "目标数据库 %(database)s 不是空的（已有 %(count)s 张表：%(tables)s）。"
                    "恢复只写入空数据库；确要清空并替换它，请加 --force。未写入任何内容"
                )
                % {"database": target.describe(), "count": len(existing), "tables": shown}
            )
        media_root = Path(settings.MEDIA_ROOT).absolute()
        conflicts = [] if force else _media_conflicts(manifest, media_root)
        if conflicts:
            raise BackupError(
                _(
                    "上传文件目录 %(media)s 中已有 %(count)s 个同名但内容不同的文件（如 %(example)s）；"
                    "确要覆盖，请加 --force。未写入任何内容"
                )
                % {"media": media_root, "count": len(conflicts), "example": conflicts[0]}
            )
        target.prepare(manifest, force)
        _notify(progress, "verify", members=len(manifest["members"]))
        verify_archive(zf, manifest)

        _notify(progress, "files", files=manifest["media"].get("files", 0))
        staging, rels = _stage_media(zf, manifest, media_root)
        _notify(progress, "database", vendor=vendor)
        try:
            target.load(zf, manifest, force)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    placed = 0
    try:
        for rel in rels:
            destination = media_root / rel
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, destination)
            placed += 1
        shutil.rmtree(staging, ignore_errors=True)
    except OSError as exc:
        raise BackupError(
            _(
                "数据库已恢复，但上传文件只放回了 %(placed)s / %(total)s 个（%(error)s）；"
                "其余文件在 %(staging)s。排除原因后请加 --force 重新恢复"
            )
            % {"placed": placed, "total": len(rels), "error": exc, "staging": staging}
        ) from None

    _notify(progress, "migrate")
    conn.close()
    before = len(MigrationRecorder(conn).applied_migrations())
    try:
        call_command("migrate", database=using, interactive=False, verbosity=0, stdout=io.StringIO())
    except Exception as exc:
        raise BackupError(
            _("数据库和上传文件已恢复，但 migrate 失败（%(error)s）；数据库停在备份时的迁移状态")
            % {"error": exc}
        ) from None
    applied = len(MigrationRecorder(conn).applied_migrations()) - before
    table_rows = manifest["database"]["table_rows"]
    return {
        "restored": str(path),
        "vendor": vendor,
        "tables": len(table_rows),
        "rows": sum(table_rows.values()),
        "files": len(rels),
        "file_bytes": sum(
            e["bytes"] for n, e in manifest["members"].items() if n != manifest["database"]["member"]
        ),
        "migrations_applied": applied,
        "seconds": round(time.monotonic() - started, 2),
    }
