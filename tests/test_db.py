"""The SQLite file: pragmas, transactions, schema version, permissions."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from runner.db import SCHEMA_VERSION, Database, DatabaseError, check_integrity
from runner.models import ResourceAllocation
from runner.repositories import JobRepository
from runner.spec import JobSpec
from runner.submission import submit
from tests.rows import add_job


def _pragma(db: Database, name: str) -> object:
    with db.engine.connect() as connection:
        return connection.exec_driver_sql(f"PRAGMA {name}").scalar_one()


def test_the_database_is_in_wal_mode(db: Database) -> None:
    assert _pragma(db, "journal_mode") == "wal"
    with sqlite3.connect(db.path) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_every_connection_syncs_fully_and_enforces_foreign_keys(db: Database) -> None:
    assert _pragma(db, "synchronous") == 2
    assert _pragma(db, "foreign_keys") == 1
    assert int(_pragma(db, "busy_timeout")) >= 1000  # type: ignore[call-overload]


def test_a_row_pointing_at_a_missing_job_is_refused(db: Database) -> None:
    with pytest.raises(IntegrityError), db.write() as session:
        session.add(ResourceAllocation(job_id=999, cpus=1, node_name="n"))
        session.flush()


def test_the_schema_version_is_recorded_in_user_version(db: Database) -> None:
    assert SCHEMA_VERSION >= 1
    assert _pragma(db, "user_version") == SCHEMA_VERSION


def test_reopening_a_current_database_keeps_its_rows(db: Database) -> None:
    job_id = add_job(db)
    db.close()

    again = Database(db.path)
    with again.read() as session:
        assert [job.id for job in JobRepository.list(session)] == [job_id]
    again.close()


def test_a_database_from_a_newer_runner_is_refused_with_a_clear_message(
    tmp_path: Path,
) -> None:
    path = tmp_path / "runner.db"
    Database(path).close()
    with sqlite3.connect(path) as plain:
        plain.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")

    with pytest.raises(DatabaseError) as refused:
        Database(path)

    message = str(refused.value)
    assert "newer" in message and str(path) in message
    assert "\n" not in message


def test_the_database_file_is_private_to_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "runner.db"
    db = Database(path)
    add_job(db)
    for file in (path, path.with_name("runner.db-wal")):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    db.close()


def test_an_existing_readable_file_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "runner.db"
    path.touch(mode=0o644)
    path.chmod(0o644)

    Database(path).close()

    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_write_transaction_holds_the_write_lock_from_its_first_read(
    db: Database,
) -> None:
    with db.write() as session:
        JobRepository.list(session)
        other = sqlite3.connect(db.path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


def test_a_failed_write_transaction_leaves_nothing_behind(db: Database) -> None:
    spec = JobSpec(argv=["true"], cwd="/")
    with pytest.raises(RuntimeError), db.write() as session:
        submit(session, spec, db.path.parent)
        raise RuntimeError("the caller gives up")

    with db.read() as session:
        assert JobRepository.list(session) == []


def test_integrity_check_says_ok_on_a_sound_file(db: Database) -> None:
    add_job(db)
    assert check_integrity(db) == "ok"
