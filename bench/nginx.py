"""A throwaway nginx serving a folder on 127.0.0.1: its own prefix, config and pid file, stopped after.

The config is the least a static site needs: ``root`` the folder,
``index.html`` for directories, no access log, ``sendfile``, long keep-alive,
``worker_processes`` as asked. Run as root it says ``user root;`` so the
workers can read a folder made by root in a private temporary directory.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from bench.processes import Service, stop_group

HOST = "127.0.0.1"
READY_TIMEOUT_SECONDS = 15.0
STOP_TIMEOUT_SECONDS = 10.0
MIME_TYPES = Path("/etc/nginx/mime.types")

CONFIG = """\
{user}worker_processes {workers};
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include {mime_types};
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    server {{
        listen {host}:{port};
        root {root};
        index index.html;
        location / {{ try_files $uri $uri/ =404; }}
    }}
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        msg = "nginx is not installed (Debian package nginx)"
        raise RuntimeError(msg)
    return found


class StaticNginx(Service):
    """nginx serving ``root`` on ``127.0.0.1:port``; use as a context manager."""

    def __init__(self, root: Path, port: int, *, workers: int = 2) -> None:
        self.root, self.port, self.workers = root.resolve(), port, workers
        self.prefix = Path(tempfile.mkdtemp(prefix="tipline-bench-nginx-"))
        self.config = self.prefix / "nginx.conf"
        self.process: subprocess.Popen[bytes] | None = None

    def write_config(self) -> None:
        (self.prefix / "tmp").mkdir()
        mime = MIME_TYPES if MIME_TYPES.exists() else self.prefix / "mime.types"
        if not mime.exists():
            mime.write_text("types { text/html html; application/xml xml; text/css css; image/png png; }\n")
        self.config.write_text(
            CONFIG.format(
                user="user root;\n" if os.geteuid() == 0 else "",
                workers=self.workers,
                prefix=self.prefix,
                mime_types=mime,
                host=HOST,
                port=self.port,
                root=self.root,
            )
        )

    def __enter__(self) -> StaticNginx:
        try:
            self.write_config()
            command = [nginx_binary(), "-p", str(self.prefix), "-c", str(self.config)]
            check = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
            if check.returncode != 0:
                msg = f"nginx refused the config:\n{check.stderr}"
                raise RuntimeError(msg)
            with (self.prefix / "stderr.log").open("wb") as output:
                self.process = subprocess.Popen(
                    command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
                )
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                msg = f"nginx exited with {self.process.returncode}: {self.error_log()}"
                raise RuntimeError(msg)
            connection = http.client.HTTPConnection(HOST, self.port, timeout=2)
            try:
                connection.request("GET", "/")
                connection.getresponse().read()
            except OSError:
                time.sleep(0.1)
                continue
            finally:
                connection.close()
            return
        msg = f"nginx did not answer within {READY_TIMEOUT_SECONDS:.0f} s: {self.error_log()}"
        raise RuntimeError(msg)

    def error_log(self) -> str:
        text = ""
        for name in ("stderr.log", "error.log"):
            try:
                text += (self.prefix / name).read_text(errors="replace")
            except OSError:
                continue
        return text[-2000:]

    @property
    def pid(self) -> int:
        if self.process is None:
            msg = "nginx is not running"
            raise RuntimeError(msg)
        return self.process.pid

    def stop(self) -> None:
        """Stop the master (and so its workers) by its process group, then remove the prefix."""
        process, self.process = self.process, None
        stop_group(process, signal.SIGQUIT, STOP_TIMEOUT_SECONDS)  # SIGQUIT: workers finish, then exit
        shutil.rmtree(self.prefix, ignore_errors=True)
