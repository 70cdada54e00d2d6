"""The SQLite file: engine, pragmas, transactions and schema upgrades."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from runner.models import Base

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
RESERVE_BYTES = 1 << 20
"""Space held beside the database, given up when the disk fills so that the
host can still record how its jobs ended."""


class DatabaseError(Exception):
    """The database cannot be used as it is; the message says why."""


def _create_schema(connection: Connection) -> None:
    Base.metadata.create_all(connection)


UPGRADES: list[Callable[[Connection], None]] = [_create_schema]
"""Step N brings a database from version N to N + 1; append, never edit."""

SCHEMA_VERSION = len(UPGRADES)


class Database:
    """One SQLite file, opened in WAL mode; every write begins IMMEDIATE."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._open(path)
        except exc.DatabaseError as error:
            raise DatabaseError(
                f"{path} cannot be opened ({_reason(error)}); runner leaves it "
                "as it is: move it aside to start with an empty queue"
            ) from None

    def _open(self, path: Path) -> None:
        _create_private_file(path)
        _make_reserve(reserve_path(path))
        self.engine = _make_engine(path)
        self._writer = self.engine.execution_options(begin="IMMEDIATE")
        self._read_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(self._writer, expire_on_commit=False)
        self._bookkeeping = _make_engine(path, synchronous="NORMAL")
        self._bookkeeping_sessions = sessionmaker(
            self._bookkeeping.execution_options(begin="IMMEDIATE"),
            expire_on_commit=False,
        )
        self._write_lock = threading.Lock()
        upgrade(self.engine, path)

    @contextmanager
    def write(self, durable: bool = True) -> Iterator[Session]:
        """A session in a `BEGIN IMMEDIATE` transaction, committed on success.

        A durable commit is on disk when it returns (synchronous=FULL). One
        that is not may be lost to a power cut, never to a crash of the
        process (synchronous=NORMAL): good enough for the host's bookkeeping,
        which the keepers' run records let it rebuild; never for a submission.
        """
        sessions = self._write_sessions if durable else self._bookkeeping_sessions
        with (
            self._failures(),
            self._write_lock,
            sessions() as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading one consistent snapshot."""
        with self._failures(), self._read_sessions() as session:
            yield session

    @contextmanager
    def _failures(self) -> Iterator[None]:
        """SQLite's own failures (disk full, I/O error, damage) as one line."""
        try:
            yield
        except exc.DatabaseError as error:
            if not _is_sqlite_failure(error):
                raise
            if "full" in _reason(error):
                _release_reserve(reserve_path(self.path))
            raise DatabaseError(f"database {self.path}: {_reason(error)}") from error

    def close(self) -> None:
        self.engine.dispose()
        self._bookkeeping.dispose()


def reserve_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.reserve")


def _make_reserve(path: Path) -> None:
    """Hold RESERVE_BYTES on the database's disk, if there is room for them."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError:
        return
    try:
        os.posix_fallocate(fd, 0, RESERVE_BYTES)
    except OSError:
        logger.warning("database: no room for the %d-byte reserve", RESERVE_BYTES)
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def _release_reserve(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
        logger.warning("database: the disk is full; released the reserve %s", path)


def _is_sqlite_failure(error: exc.DatabaseError) -> bool:
    """True for the file's troubles, False for a statement's own mistakes."""
    return isinstance(error, exc.OperationalError) or type(error.orig) is (
        sqlite3.DatabaseError
    )


def _reason(error: exc.DatabaseError) -> str:
    """SQLite's message alone, without the statement SQLAlchemy appends."""
    return str(error.orig).splitlines()[0] if error.orig else str(error)


def _create_private_file(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as error:
        raise DatabaseError(f"{path} cannot be opened: {error.strerror}") from None
    os.close(fd)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)


def _make_engine(path: Path, synchronous: str = "FULL") -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def upgrade(engine: Engine, path: Path) -> None:
    """Bring the schema to SCHEMA_VERSION, after a backup copy of an old one."""
    with engine.connect() as connection:
        version = connection.exec_driver_sql("PRAGMA user_version").scalar_one()
        if version > SCHEMA_VERSION:
            raise DatabaseError(
                f"{path} was written by a newer runner (schema {version}; "
                f"this runner knows up to {SCHEMA_VERSION}): upgrade runner"
            )
        if version == SCHEMA_VERSION:
            return
        if version > 0:
            _backup(connection, path, version)
        _run_steps(engine, version)


def _run_steps(engine: Engine, version: int) -> None:
    writer = engine.execution_options(begin="IMMEDIATE")
    with writer.connect() as connection, connection.begin():
        current = connection.exec_driver_sql("PRAGMA user_version").scalar_one()
        for step in range(current, SCHEMA_VERSION):
            logger.info("database: upgrading schema %d -> %d", step, step + 1)
            UPGRADES[step](connection)
        connection.exec_driver_sql(f"PRAGMA user_version={SCHEMA_VERSION}")


def _backup(connection: Connection, path: Path, version: int) -> None:
    target = path.with_name(f"{path.name}.v{version}.bak")
    logger.info("database: backing up schema %d to %s", version, target)
    source = connection.connection.dbapi_connection
    assert isinstance(source, sqlite3.Connection)
    with sqlite3.connect(target) as copy:
        source.backup(copy)
    os.chmod(target, 0o600)


def check_integrity(database: Database) -> str:
    """SQLite's own verdict on the file: "ok" when it is sound."""
    with database.engine.connect() as connection:
        return str(connection.exec_driver_sql("PRAGMA integrity_check").scalar_one())
