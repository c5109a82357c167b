"""Waking a sleeping daemon when another process changes what is due.

The daemon sleeps until its next due time or its heartbeat (`[daemon] poll`), whichever comes
first. A post added, edited, approved or retried by the command line or the web page changes
that time, so the shell wakes the daemon once the change is committed:

- on PostgreSQL with `NOTIFY postsched_wakeup`, sent inside the transaction that wrote, so it
  is delivered when, and only when, that transaction commits; the daemon LISTENs on a
  connection of its own;
- on SQLite with an empty datagram on a UNIX socket: each daemon binds one, named after its
  process id, in a folder beside the database file (`postsched.db-wake/`), and the shell sends
  one to every socket there after the commit. The folder is where whoever may write the
  database may write (SQLite's -wal and -shm files live there too); file permissions guard it,
  no port is opened, and two daemons on one file each get their own wake-up.

`install` hooks this into an engine of the shell (scheduler/app.py), so the command line and the
web page both send it without posts/ knowing. A wake-up carries nothing: the daemon reads the
next due time again. One that is lost (no daemon, a full socket buffer, a dropped connection)
costs at most a heartbeat's delay, never a post.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

from posts.language import gettext as _

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

log = logging.getLogger("postsched.daemon")
CHANNEL = "postsched_wakeup"
_WROTE = "postsched_wrote"  # on a pooled connection's info: this transaction wrote
_WAKE = "postsched_wake"  # committed a write: wake the daemons when the connection is returned
_WRITES = ("INSERT", "UPDATE", "DELETE")


def wake_folder(database: str) -> Path:
    """The folder of the daemons' sockets beside a SQLite database file."""
    path = Path(database)
    return path.with_name(path.name + "-wake")


def sqlite_file(engine: Engine) -> str | None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return str(Path(database).resolve())


def install(engine: Engine) -> None:
    """Wake the daemons on this database after each committed transaction that wrote."""
    from sqlalchemy import event

    if engine.dialect.name == "postgresql":
        event.listen(engine, "before_cursor_execute", _note_write)
        event.listen(engine, "rollback", _forget)
        event.listen(engine, "commit", _notify_in_transaction)
        return
    database = sqlite_file(engine)
    if database is None:
        return
    folder = wake_folder(database)

    def send_after_commit(_dbapi: object, record: Any) -> None:
        if record.info.pop(_WAKE, False):
            send(folder)

    event.listen(engine, "before_cursor_execute", _note_write)
    event.listen(engine, "rollback", _forget)
    event.listen(engine, "commit", _mark_committed)
    # The connection goes back to the pool after its COMMIT: the daemon then reads the change.
    event.listen(engine.pool, "checkin", send_after_commit)


def _note_write(connection: Connection, _cursor: object, statement: str, *_args: object) -> None:
    if statement.lstrip()[:6].upper() in _WRITES:
        connection.info[_WROTE] = True


def _forget(connection: Connection) -> None:
    connection.info.pop(_WROTE, None)


def _mark_committed(connection: Connection) -> None:
    if connection.info.pop(_WROTE, False):
        connection.info[_WAKE] = True


def _notify_in_transaction(connection: Connection) -> None:
    if connection.info.pop(_WROTE, False):
        cursor = connection.connection.cursor()
        try:
            cursor.execute(f"NOTIFY {CHANNEL}")  # untranslated: SQL
        finally:
            cursor.close()


def send(folder: Path) -> None:
    """One empty datagram to each daemon's socket in `folder`; a socket left by a daemon that
    is gone is removed. Never raises: the heartbeat covers a wake-up that is lost."""
    try:
        names = [entry.name for entry in folder.iterdir()]
    except OSError:
        return  # no daemon has run here
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock, _short(folder) as short:
        sock.setblocking(False)
        for name in names:
            try:
                sock.sendto(b"", f"{short}/{name}")
            except (ConnectionRefusedError, FileNotFoundError):
                with contextlib.suppress(OSError):
                    (folder / name).unlink()
            except OSError:
                pass  # a full buffer: that daemon is awake already; or not ours to write


@contextlib.contextmanager
def _short(folder: Path) -> Any:
    """A path to `folder` short enough for a socket address (108 bytes on Linux): the folder
    itself, or /proc/self/fd/N of a descriptor opened on it."""
    if len(str(folder)) < 90 or not Path("/proc/self/fd").is_dir():
        yield str(folder)
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        yield f"/proc/self/fd/{fd}"
    finally:
        os.close(fd)


class Listener:
    """What the daemon sleeps on: wake-ups from other processes, and `interrupt` (a signal)."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)

    def interrupt(self) -> None:
        """End the current or next wait at once; safe in a signal handler."""
        with contextlib.suppress(OSError):
            os.write(self._write, b"!")

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds; True if woken before it (something may have changed)."""
        sources = [self._read, *self._sources()]
        ready, _, _ = select.select(sources, [], [], max(timeout, 0.0))
        if self._read in ready:
            with contextlib.suppress(OSError):
                os.read(self._read, 512)
        woken = bool(ready)
        return self._drain([r for r in ready if r != self._read]) or woken

    def close(self) -> None:
        os.close(self._read)
        os.close(self._write)

    def _sources(self) -> list[int]:
        return []

    def _drain(self, ready: list[int]) -> bool:
        return False


class SocketListener(Listener):
    """SQLite: a UNIX datagram socket of this process in the folder beside the database."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        folder.mkdir(exist_ok=True)
        self.path = folder / str(os.getpid())
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # left by an earlier process with this id
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        with _short(folder) as short:
            self.sock.bind(f"{short}/{self.path.name}")

    def _sources(self) -> list[int]:
        return [self.sock.fileno()]

    def _drain(self, ready: list[int]) -> bool:
        with contextlib.suppress(OSError):
            while True:
                self.sock.recv(16)
        return bool(ready)

    def close(self) -> None:
        self.sock.close()
        with contextlib.suppress(OSError):
            self.path.unlink()
        super().close()


class NotifyListener(Listener):
    """PostgreSQL: a connection of its own, LISTENing. When it is lost, the next wait opens
    another and reports a wake-up, since what was sent meanwhile is lost."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.args, self.kwargs = engine.dialect.create_connect_args(engine.url)
        self.connection: Any = None
        self._connect()

    def _connect(self) -> bool:
        import psycopg

        try:
            self.connection = psycopg.connect(*self.args, **{**self.kwargs, "autocommit": True})
            self.connection.execute(f"LISTEN {CHANNEL}")  # untranslated: SQL
        except psycopg.Error as exc:
            log.warning(
                _("cannot LISTEN for wake-ups ({reason}): the next heartbeat tries again").format(
                    reason=str(exc).strip().splitlines()[0] if str(exc).strip() else exc
                )
            )
            self._drop()
            return False
        return True

    def _drop(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):
                self.connection.close()
        self.connection = None

    def wait(self, timeout: float) -> bool:
        if self.connection is None and self._connect():
            return True
        return super().wait(timeout)

    def _sources(self) -> list[int]:
        return [self.connection.fileno()] if self.connection is not None else []

    def _drain(self, ready: list[int]) -> bool:
        if not ready:
            return False
        import psycopg

        try:
            for _notify in self.connection.notifies(timeout=0):
                pass
        except psycopg.Error:
            self._drop()
        return True

    def close(self) -> None:
        self._drop()
        super().close()


def listen(engine: Engine) -> Listener:
    """The daemon's listener for this database, listening before it returns (so a change
    committed after the daemon's next read of the due time wakes it)."""
    if engine.dialect.name == "postgresql":
        return NotifyListener(engine)
    database = sqlite_file(engine)
    if database is None:
        return Listener()
    try:
        return SocketListener(wake_folder(database))
    except OSError as exc:
        log.warning(
            _(
                "no wake-up socket beside {database} ({reason}): the daemon wakes at its heartbeat "
                "only"
            ).format(database=database, reason=exc)
        )
        return Listener()
