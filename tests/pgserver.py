"""The test suite's own PostgreSQL server: ``initdb`` + ``pg_ctl``, on a Unix socket in a temp folder.

One server per test session (``tests/conftest.py``: ``pg_server``), one fresh database per test
(``pg_url``). The server listens on no TCP port (``listen_addresses = ''``); its socket sits in a folder
only its owner can enter (mode 0700), and the one role it knows, named after the OS user running the
tests, connects with trust authentication. fsync and synchronous commit are off: the data is thrown away.

PostgreSQL refuses to run as root, so when the tests run as root the cluster belongs to an unprivileged
account (``postgres`` when it exists, as Debian's package makes it, else ``nobody``): ``initdb`` and
``pg_ctl`` run as that account (``subprocess``'s ``user``/``group``, no supplementary groups), and the temp
folder is handed to it. Root still reaches the socket, as root passes every permission check.

The server is stopped and its folder removed at the end of the session, and also when the run is
interrupted: Ctrl-C unwinds the fixture, and a small watchdog process (``python pgserver.py --watch``)
does the same if the test process dies without unwinding (SIGTERM, SIGKILL, a timeout's kill).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

PORT = 5432  # names the socket file (.s.PGSQL.5432) in our own folder; no TCP port is opened
TEMPLATE = "feeds_template"  # every test's database is a copy of this one
SETTINGS = {
    "listen_addresses": "",
    "port": str(PORT),
    "unix_socket_permissions": "0700",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
}
WHERE = (  # where find_binaries looks, for the skip or failure message
    "pg_ctl, initdb and postgres in $FEEDS_TEST_PG_BIN, else on PATH, in /usr/local/bin"
    " or in Debian's /usr/lib/postgresql/N/bin"
)


def find_binaries() -> Path | None:
    """The folder holding ``pg_ctl``, ``initdb`` and ``postgres``: the one $FEEDS_TEST_PG_BIN names (only
    that one), else on PATH, in /usr/local/bin, or Debian's newest /usr/lib/postgresql/N/bin (Debian's
    package puts none of them on PATH). None when there is none."""
    chosen = os.environ.get("FEEDS_TEST_PG_BIN")
    if chosen:
        candidates = [Path(chosen)]
    else:
        on_path = shutil.which("pg_ctl")
        candidates = [Path(on_path).parent] if on_path else []
        candidates.append(Path("/usr/local/bin"))
        debian = Path("/usr/lib/postgresql")
        versions = [p for p in debian.iterdir() if p.name.isdigit()] if debian.is_dir() else []
        candidates += [p / "bin" for p in sorted(versions, key=lambda p: int(p.name), reverse=True)]
    for folder in candidates:
        if all(os.access(folder / tool, os.X_OK) for tool in ("pg_ctl", "initdb", "postgres")):
            return folder
    return None


@dataclass(frozen=True)
class Account:
    """Who the server runs as: the current user, or (as root) an unprivileged account."""

    name: str
    uid: int
    gid: int

    @classmethod
    def for_server(cls) -> Account:
        if os.geteuid() != 0:
            me = pwd.getpwuid(os.geteuid())
            return cls(me.pw_name, me.pw_uid, me.pw_gid)
        for name in ("postgres", "nobody"):
            with contextlib.suppress(KeyError):
                entry = pwd.getpwnam(name)
                return cls(entry.pw_name, entry.pw_uid, entry.pw_gid)
        raise RuntimeError("running as root, and neither a 'postgres' nor a 'nobody' account exists")

    def run_options(self) -> dict[str, Any]:
        """``subprocess`` keywords that run a command as this account (nothing when it is us)."""
        if self.uid == os.geteuid():
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


@dataclass(frozen=True)
class PgServer:
    """A running server: where its socket is, and the role to connect as."""

    socket_dir: Path
    role: str

    def url(self, dbname: str) -> str:
        """A libpq URL for ``dbname`` over the socket, as ``store: postgresql://…`` will take it."""
        host = quote(str(self.socket_dir))
        return f"postgresql://{quote(self.role, safe='')}@/{dbname}?host={host}&port={PORT}"

    @contextlib.contextmanager
    def fresh_database(self) -> Iterator[str]:
        """A new database copied from the session's template, dropped afterwards (with any connection a
        test left open); yields its URL."""
        import psycopg

        name = f"feeds_test_{next(_numbers)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}" STRATEGY FILE_COPY')
        try:
            yield self.url(name)
        finally:
            with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_numbers = itertools.count(1)


def _conf_value(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _run(account: Account, *args: str | Path, cwd: Path) -> None:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, **account.run_options()
    )
    if done.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr or done.stdout}")


@contextlib.contextmanager
def running(binaries: Path) -> Iterator[PgServer]:
    """Start a server in a new temp folder; stop it and remove the folder when the block ends."""
    account = Account.for_server()
    role = pwd.getpwuid(os.geteuid()).pw_name
    folder = Path(tempfile.mkdtemp(prefix="feeds-pg-"))
    data, log = folder / "data", folder / "server.log"
    watchdog: subprocess.Popen[bytes] | None = None
    try:
        os.chown(folder, account.uid, account.gid)
        options = ["-D", data, "-U", role, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]
        _run(account, binaries / "initdb", *options, cwd=folder)
        settings = {**SETTINGS, "unix_socket_directories": str(folder)}
        with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# tests/pgserver.py\n")
            conf.writelines(f"{key} = {_conf_value(value)}\n" for key, value in settings.items())
        (data / "pg_hba.conf").write_text(f"local all {role} trust\n", encoding="utf-8")
        watchdog = subprocess.Popen(
            [sys.executable, __file__, "--watch", str(os.getpid()), str(binaries), str(folder)],
            start_new_session=True,  # Ctrl-C reaches pytest, which unwinds; not the watchdog
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _run(account, binaries / "pg_ctl", "start", "-w", "-t", "30", "-D", data, "-l", log, cwd=folder)
        except RuntimeError as error:
            server_log = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"{error}\n{server_log}") from None
        server = PgServer(folder, role)
        import psycopg

        with psycopg.connect(server.url("postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{TEMPLATE}" TEMPLATE template0')
        yield server
    finally:
        stop(binaries, folder)
        if watchdog is not None:
            watchdog.terminate()
            watchdog.wait()


def stop(binaries: Path, folder: Path) -> None:
    """Stop the server in ``folder`` (immediate mode: nothing in it is worth a checkpoint) and remove it."""
    data = folder / "data"
    if (data / "postmaster.pid").exists():
        account = Account.for_server()
        subprocess.run(
            [str(binaries / "pg_ctl"), "stop", "-w", "-m", "immediate", "-D", str(data)],
            cwd=folder,
            capture_output=True,
            **account.run_options(),
        )
    shutil.rmtree(folder, ignore_errors=True)


def _watch(parent: int, binaries: Path, folder: Path) -> None:
    """Wait for the test process to end (this process is then re-parented), then clean up after it."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # the fixture cleaned up itself
    while os.getppid() == parent:
        time.sleep(0.5)
    stop(binaries, folder)


if __name__ == "__main__" and sys.argv[1:2] == ["--watch"]:
    _watch(int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
