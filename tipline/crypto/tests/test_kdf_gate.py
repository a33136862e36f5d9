"""The derivation gate: never more Argon2id derivations at once than slots, across processes too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tipline.crypto import kdf

CHEAP = kdf.KdfCost(ops=1, mem=8 * 1024 * 1024)


class Overlap:
    """Counts how many holders are inside at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.inside = 0
        self.most = 0

    def hold(self, gate: kdf.DerivationGate, seconds: float) -> None:
        with gate.slot():
            with self.lock:
                self.inside += 1
                self.most = max(self.most, self.inside)
            time.sleep(seconds)
            with self.lock:
                self.inside -= 1


def _run_threads(gate: kdf.DerivationGate, count: int, seconds: float) -> Overlap:
    overlap = Overlap()
    threads = [threading.Thread(target=overlap.hold, args=(gate, seconds)) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return overlap


@pytest.mark.parametrize("slots", [1, 2, 3])
def test_threads_never_exceed_the_slots_and_use_them_all(tmp_path: Path, slots: int) -> None:
    overlap = _run_threads(kdf.DerivationGate(slots, tmp_path), count=8, seconds=0.05)
    assert overlap.most == slots


def test_without_a_directory_the_gate_limits_this_process(tmp_path: Path) -> None:
    overlap = _run_threads(kdf.DerivationGate(2, None), count=6, seconds=0.05)
    assert overlap.most == 2


def test_an_unwritable_folder_falls_back_to_a_per_process_gate(tmp_path: Path, settings: object) -> None:
    from django.apps import apps

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    before = kdf._gate
    settings.TIPLINE_KDF_SLOT_DIR = blocker / "kdf"  # type: ignore[attr-defined]
    try:
        apps.get_app_config("site").ready()
        gate = kdf._gate
        assert gate is not None
        assert gate.slots == settings.TIPLINE_KDF_SLOTS  # type: ignore[attr-defined]
        assert not gate._paths
    finally:
        kdf.limit_concurrency(before)


def test_a_gate_needs_a_slot(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        kdf.DerivationGate(0, tmp_path)


_HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tipline.crypto import kdf
    gate = kdf.DerivationGate(1, Path(sys.argv[1]))
    with gate.slot():
        print("holding", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def _holder(directory: Path, seconds: float) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(directory), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "holding"
    return process


def test_another_process_holding_the_only_slot_makes_this_one_wait(tmp_path: Path) -> None:
    holder = _holder(tmp_path, 0.6)
    try:
        began = time.monotonic()
        with kdf.DerivationGate(1, tmp_path).slot():
            waited = time.monotonic() - began
        assert waited >= 0.3, "the slot held by the other process was taken anyway"
    finally:
        holder.wait(timeout=30)


def test_a_process_killed_in_its_slot_frees_it(tmp_path: Path) -> None:
    holder = _holder(tmp_path, 600)
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    began = time.monotonic()
    with kdf.DerivationGate(1, tmp_path).slot():
        assert time.monotonic() - began < 5


def test_derive_goes_through_the_gate_and_gives_the_same_key(tmp_path: Path) -> None:
    salt = b"s" * kdf.SALT_BYTES
    plain = kdf.derive(b"secret", salt, CHEAP)

    class Counting(kdf.DerivationGate):
        entered = 0

        def slot(self):  # type: ignore[no-untyped-def]
            Counting.entered += 1
            return super().slot()

    before = kdf._gate
    kdf.limit_concurrency(Counting(1, tmp_path))
    try:
        assert kdf.derive(b"secret", salt, CHEAP) == plain
        assert Counting.entered == 1
    finally:
        kdf.limit_concurrency(before)


def test_the_app_sets_one_slot_per_core_from_the_settings() -> None:
    from django.conf import settings

    gate = kdf._gate
    assert gate is not None
    assert gate.slots == settings.TIPLINE_KDF_SLOTS == len(os.sched_getaffinity(0))


def test_a_removed_slot_folder_is_made_again(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "run" / "kdf"
    gate = kdf.DerivationGate(1, folder)
    shutil.rmtree(tmp_path / "run")
    with gate.slot():
        assert (folder / "kdf-slot-0.lock").exists()
    holder = _holder(folder, 0.6)  # and the limit holds across processes again
    try:
        began = time.monotonic()
        with gate.slot():
            assert time.monotonic() - began >= 0.3
    finally:
        holder.wait(timeout=30)


def test_slot_files_that_cannot_be_opened_do_not_stop_a_derivation(tmp_path: Path) -> None:
    folder = tmp_path / "kdf"
    gate = kdf.DerivationGate(2, folder)
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    folder.write_text("now a file, not a folder")
    with gate.slot():
        pass
    overlap = _run_threads(gate, count=6, seconds=0.05)
    assert overlap.most == 2, "the limit still holds in this process"
