"""In-process measurements for the intake benchmark, run in a child process.

``python -m bench.intake_probe kdf|stages|service ...`` prints one JSON object.
A separate process keeps Django, libsodium's big allocations and the app's
settings out of the load generator, and runs while the server is stopped,
so nothing else competes for the cores.

- ``kdf``: one Argon2id derivation (``tipline.crypto.kdf.derive``) at a cost,
  alone (its CPU time, median), and the rate of ``--parallel`` derivations
  side by side.
- ``stages``: the file path of a submission on one file, stage by stage, with
  the app's own functions (upload spooling, ``cleaning.cleaned_copy``,
  ``stream.encrypt_chunks``, ``blobstore.LocalBlobStore.write``).
- ``service``: stored-row check, then ``register.services.create_report`` called
  directly, without and with the file (the HTTP-free cost of a submission).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _cpu_now() -> float:
    """CPU seconds of this thread plus every child process reaped so far (the mat2 command) plus
    the children the warm mat2 helper forked (they are its children, so it reports their CPU)."""
    from tipline.register import cleaning  # noqa: PLC0415 - Django is set up by then

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.thread_time() + children.ru_utime + children.ru_stime + cleaning._warm.child_cpu_seconds


def _timings(repeat: int, run: Callable[[], object], *, warmup: int = 1, samples: bool = False) -> dict[str, Any]:
    """Median, min and max wall time, and median CPU time, of ``repeat`` calls after a warm-up
    (and every call's CPU time when ``samples`` is set)."""
    for _ in range(warmup):
        run()
    times: list[float] = []
    cpu: list[float] = []
    for _ in range(repeat):
        began, cpu_began = time.perf_counter(), _cpu_now()
        run()
        times.append(time.perf_counter() - began)
        cpu.append(_cpu_now() - cpu_began)
    summary: dict[str, Any] = {
        "median_ms": round(statistics.median(times) * 1000, 2),
        "min_ms": round(min(times) * 1000, 2),
        "max_ms": round(max(times) * 1000, 2),
        "cpu_median_ms": round(statistics.median(cpu) * 1000, 2),
        "runs": repeat,
    }
    if samples:
        summary["cpu_samples_ms"] = [round(value * 1000, 2) for value in cpu]
    return summary


# ---------------------------------------------------------------- kdf


def measure_kdf(cost_text: str, repeat: int, parallel: int) -> dict[str, Any]:
    from tipline.crypto import kdf  # noqa: PLC0415 - pure Python, no Django

    cost = kdf.KdfCost.parse(cost_text)
    salt = b"tipline-bench-16"
    secret = b"1234567812345678"

    def one() -> None:
        kdf.derive(secret, salt, cost, size=64)

    serial = _timings(repeat, one, samples=True)
    per_thread = max(2, repeat // 2)

    def loop() -> None:
        for _ in range(per_thread):
            one()

    threads = [threading.Thread(target=loop) for _ in range(parallel)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    # The derivation is single-threaded and CPU-bound: its CPU time is what it takes on an
    # idle core, and unlike wall time it is not stretched when other processes share the core.
    return {
        "cost": str(cost),
        "seconds": round(serial["cpu_median_ms"] / 1000, 4),
        "wall_median_seconds": round(serial["median_ms"] / 1000, 4),
        "serial": serial,
        "parallel_workers": parallel,
        "parallel_per_s": round(parallel * per_thread / elapsed, 3),
    }


# ---------------------------------------------------------------- Django-backed probes


def _django() -> None:
    import django  # noqa: PLC0415 - only the Django-backed probes need it

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tipline.settings")
    django.setup()


def _spooled_copy(source: Path) -> Path:
    """Copy ``source`` as the upload handler spools an upload: into TIPLINE_CLEAN_DIR."""
    from django.conf import settings  # noqa: PLC0415

    fd, name = tempfile.mkstemp(dir=settings.TIPLINE_CLEAN_DIR, prefix="tipline-bench-up-")
    with os.fdopen(fd, "wb") as target, source.open("rb") as handle:
        shutil.copyfileobj(handle, target, 64 * 1024)
    return Path(name)


def measure_stages(path: Path, name: str, repeat: int) -> dict[str, Any]:
    _django()
    from django.conf import settings  # noqa: PLC0415

    from tipline import blobstore  # noqa: PLC0415
    from tipline.crypto import boxes, stream  # noqa: PLC0415
    from tipline.register import cleaning  # noqa: PLC0415

    key = boxes.new_key()
    store_dir = Path(tempfile.mkdtemp(prefix="bench-blobs-", dir=settings.DATA_DIR))
    store = blobstore.LocalBlobStore(store_dir)
    result: dict[str, Any] = {"file_bytes": path.stat().st_size, "name": name}
    with cleaning.cleaned_copy(path, name) as outcome:
        if outcome.path is None:
            msg = f"mat2 did not clean {name}: the benchmark needs a type it cleans"
            raise RuntimeError(msg)
        result["cleaned_bytes"] = outcome.path.stat().st_size
        cleaned = outcome.path.read_bytes()
    clean_source = Path(tempfile.mkdtemp(dir=settings.TIPLINE_CLEAN_DIR)) / f"cleaned{path.suffix}"
    clean_source.write_bytes(cleaned)
    encrypted: list[bytes] = []

    def spool() -> None:
        _spooled_copy(path).unlink()

    def clean() -> None:
        with cleaning.cleaned_copy(path, name) as outcome:
            assert outcome.path is not None

    def encrypt() -> None:
        with clean_source.open("rb") as handle:
            encrypted[:] = list(stream.encrypt_chunks(key, stream.read_chunks(handle)))

    def store_write() -> None:
        store.write(blobstore.new_blob_name(), encrypted)

    def encrypt_and_store() -> None:
        with clean_source.open("rb") as handle:
            chunks = stream.encrypt_chunks(key, stream.read_chunks(handle))
            store.write(blobstore.new_blob_name(), chunks)

    try:
        result["upload_spool"] = _timings(repeat, spool)
        result["metadata_removal"] = _timings(repeat, clean)
        result["encryption"] = _timings(repeat, encrypt)
        result["storage"] = _timings(repeat, store_write)
        result["encrypt_and_store"] = _timings(repeat, encrypt_and_store)
    finally:
        shutil.rmtree(store_dir, ignore_errors=True)
        shutil.rmtree(clean_source.parent, ignore_errors=True)
    result["mat2_in_clean_dir"] = str(settings.TIPLINE_CLEAN_DIR)
    return result


def stored_rows() -> dict[str, int]:
    from tipline.register.models import (  # noqa: PLC0415
        Attachment,
        Report,
        ReportLink,
    )

    return {
        "reports": Report.objects.count(),
        "linked_as_sent_twice": ReportLink.objects.filter(kind=ReportLink.Kind.SENT_TWICE).count(),
        "attachments_sent": Attachment.objects.filter(state=Attachment.State.SENT).count(),
        "attachments_held": Attachment.objects.filter(state=Attachment.State.HELD).count(),
    }


def measure_service(answers: dict[str, Any], path: Path, name: str, repeat: int) -> dict[str, Any]:
    _django()
    from django.conf import settings  # noqa: PLC0415

    from tipline.register import services  # noqa: PLC0415
    from tipline.register.models import Channel  # noqa: PLC0415

    result: dict[str, Any] = {"stored_before": stored_rows()}
    channel = Channel.objects.get(slug="report")
    questionnaire = channel.current_questionnaire()
    if questionnaire is None:
        msg = "the demo channel has no questionnaire"
        raise RuntimeError(msg)
    cost = settings.TIPLINE_KDF_COST

    def receipt_only() -> None:
        services.receipt_secrets(receipt="1234567812345678")

    def without_file() -> None:
        services.create_report(channel=channel, questionnaire=questionnaire, answers=answers)

    def with_file() -> None:
        spooled = _spooled_copy(path)
        try:
            incoming = services.IncomingFile(path=spooled, name=name, size=spooled.stat().st_size)
            services.create_report(channel=channel, questionnaire=questionnaire, answers=answers, files=[incoming])
        finally:
            spooled.unlink()

    result["kdf_cost"] = str(cost)
    result["receipt_derivation"] = _timings(repeat, receipt_only)
    result["submit_without_file"] = _timings(repeat, without_file)
    result["submit_with_file"] = _timings(repeat, with_file)
    result["wsgi"] = measure_requests(answers, path, name, repeat)
    return result


class _Wsgi:
    """Call the app's WSGI callable in this process, as granian does, with a cookie jar."""

    def __init__(self) -> None:
        from django.core.wsgi import get_wsgi_application  # noqa: PLC0415

        from bench.webclient import CookieJar  # noqa: PLC0415

        self.application = get_wsgi_application()
        self.jar = CookieJar()

    def __call__(self, method: str, path: str, body: bytes = b"", content_type: str = "") -> tuple[int, bytes]:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_COOKIE": self.jar.header(),
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": content_type,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        seen: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
            seen["status"], seen["headers"] = int(status.split(maxsplit=1)[0]), headers

        iterable = self.application(environ, start_response)  # type: ignore[arg-type]
        try:
            content = b"".join(iterable)
        finally:
            getattr(iterable, "close", lambda: None)()
        self.jar.update(v for k, v in seen["headers"] if k.lower() == "set-cookie")
        return int(seen["status"]), content


class _Attribution:
    """Wall and CPU time spent inside chosen app functions during one call.

    The wrappers live only in this probe process; the app is not changed.
    """

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def wrap(self, owner: Any, attribute: str, label: str) -> None:
        original = getattr(owner, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            began, cpu_began = time.perf_counter(), _cpu_now()
            try:
                return original(*args, **kwargs)
            finally:
                self.wall[label] = self.wall.get(label, 0.0) + time.perf_counter() - began
                self.cpu[label] = self.cpu.get(label, 0.0) + _cpu_now() - cpu_began

        setattr(owner, attribute, timed)

    def measure(self, repeat: int, run: Callable[[], object]) -> dict[str, Any]:
        """Medians over ``repeat`` calls (after one warm-up) of the whole call and of each part."""
        run()
        samples: list[dict[str, float]] = []
        for _ in range(repeat):
            self.wall.clear()
            self.cpu.clear()
            began, cpu_began = time.perf_counter(), _cpu_now()
            run()
            sample = {"total_ms": time.perf_counter() - began, "total_cpu_ms": _cpu_now() - cpu_began}
            sample.update({f"{k}_ms": v for k, v in self.wall.items()})
            sample.update({f"{k}_cpu_ms": v for k, v in self.cpu.items()})
            samples.append(_with_rests(sample))
        return {key: round(statistics.median(s.get(key, 0.0) for s in samples) * 1000, 2) for key in samples[0]} | {
            "runs": repeat
        }


def _with_rests(sample: dict[str, float]) -> dict[str, float]:
    """Add, per call, what is left outside the measured parts (so medians of rests are exact)."""
    for unit in ("_ms", "_cpu_ms"):
        total, submit = sample[f"total{unit}"], sample.get(f"create_report{unit}", 0.0)
        inside = sum(sample.get(f"{part}{unit}", 0.0) for part in ("argon2id", "mat2", "encrypt_and_store"))
        sample[f"besides_argon2id{unit}"] = total - sample.get(f"argon2id{unit}", 0.0)
        sample[f"create_report_rest{unit}"] = submit - inside
        sample[f"outside_create_report{unit}"] = total - submit
    return sample


def measure_requests(answers: dict[str, Any], path: Path, name: str, repeat: int) -> dict[str, Any]:
    """One whole Django request (middleware, form, service, session), without an HTTP server.

    Time inside the derivation, ``create_report``, mat2 and the blob store
    (encryption happens as the store consumes the stream) is measured in the
    same calls, so the parts add up even on a busy machine.
    """
    from bench.intake import CSRF_COOKIE, FORM_PATH, form_fields, with_fresh_form_token  # noqa: PLC0415
    from bench.webclient import FilePart, input_value, multipart  # noqa: PLC0415
    from tipline import blobstore  # noqa: PLC0415
    from tipline.crypto import kdf  # noqa: PLC0415
    from tipline.register import cleaning, services  # noqa: PLC0415

    parts = _Attribution()
    parts.wrap(kdf, "derive", "argon2id")
    parts.wrap(services, "create_report", "create_report")
    parts.wrap(cleaning, "_run_mat2", "mat2")
    parts.wrap(blobstore.LocalBlobStore, "write", "encrypt_and_store")
    call = _Wsgi()
    status, page = call("GET", FORM_PATH)
    token = input_value(page, "csrfmiddlewaretoken")
    if status != 200 or not token:
        msg = f"GET {FORM_PATH} gave {status} in-process"
        raise RuntimeError(msg)
    empty = FilePart("f_files", "", "application/octet-stream", b"")
    jpeg = FilePart("f_files", name, "image/jpeg", path.read_bytes())
    bodies = {
        "post_without_file": multipart(form_fields(token, answers), [empty]),
        "post_with_file": multipart(form_fields(token, answers), [jpeg]),
    }

    def get_form() -> None:
        call.jar.keep_only({CSRF_COOKIE})
        call("GET", FORM_PATH)

    result: dict[str, Any] = {"get_form": parts.measure(repeat, get_form)}
    for label, (content_type, body) in bodies.items():

        def post(content_type: str = content_type, body: bytes = body) -> None:
            call.jar.keep_only({CSRF_COOKIE})
            status, _ = call("POST", FORM_PATH, with_fresh_form_token(body), content_type)
            if status != 302:
                msg = f"in-process POST gave {status}"
                raise RuntimeError(msg)

        result[label] = parts.measure(repeat, post)
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.intake_probe")
    sub = parser.add_subparsers(dest="probe", required=True)
    kdf_parser = sub.add_parser("kdf")
    kdf_parser.add_argument("--cost", required=True)
    kdf_parser.add_argument("--repeat", type=int, default=5)
    kdf_parser.add_argument("--parallel", type=int, default=os.cpu_count() or 1)
    for name in ("stages", "service"):
        probe = sub.add_parser(name)
        probe.add_argument("--file", type=Path, required=True)
        probe.add_argument("--name", required=True)
        probe.add_argument("--repeat", type=int, default=5)
        if name == "service":
            probe.add_argument("--answers", type=Path, required=True)
    options = parser.parse_args(argv)
    if options.probe == "kdf":
        output = measure_kdf(options.cost, options.repeat, options.parallel)
    elif options.probe == "stages":
        output = measure_stages(options.file, options.name, options.repeat)
    else:
        answers = json.loads(options.answers.read_text())
        output = measure_service(answers, options.file, options.name, options.repeat)
    json.dump(output, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
