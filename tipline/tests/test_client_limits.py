"""Client allowances and the day's tag key are shared by the server's processes, in memory only."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tipline import client_limits
from tipline.client_limits import Table
from tipline.conftest import Setup
from tipline.testing import MEMORY_FOLDER

MEMORY_NOTE = f"{MEMORY_FOLDER} is not memory-backed here"
REPO = Path(__file__).resolve().parents[2]
needs_shm = pytest.mark.skipif(not client_limits.memory_backed(MEMORY_FOLDER), reason=MEMORY_NOTE)


@pytest.fixture
def shm_file() -> Iterator[Path]:
    path = MEMORY_FOLDER / f"tipline-test-table-{os.getpid()}-{os.urandom(4).hex()}"
    yield path
    path.unlink(missing_ok=True)


def _digest(n: int) -> bytes:
    return n.to_bytes(16, "big")


def _in_another_process(code: str) -> str:
    """Run ``code`` in a new Python process with this checkout importable; its stdout."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    return result.stdout.strip()


@needs_shm
def test_two_processes_share_one_count_and_one_day_key(shm_file: Path) -> None:
    table = Table(shm_file)
    assert table.shared
    other = _in_another_process(
        f"""
        from pathlib import Path
        from tipline.client_limits import Table
        table = Table(Path({str(shm_file)!r}))
        print([table.take(bytes(15) + b"x", limit=3, window=600, now=1000.0) for _ in range(3)])
        print(table.day_key(20000).hex())
        """
    )
    verdicts, key = other.splitlines()
    assert verdicts == "[True, True, True]"
    assert table.take(bytes(15) + b"x", limit=3, window=600, now=1001.0) is False, "the other process's uses count here"
    assert table.day_key(20000).hex() == key


@needs_shm
def test_the_file_is_private_and_holds_no_tag_in_clear(shm_file: Path) -> None:
    table = Table(shm_file)
    table.take(client_limits._digest("scope", "visible-tag-123"), limit=1, window=60, now=10.0)
    mode = shm_file.stat().st_mode & 0o777
    assert mode == 0o600
    assert b"visible-tag-123" not in shm_file.read_bytes()


def test_a_folder_on_disk_is_not_used_and_nothing_is_written_there(caplog: pytest.LogCaptureFixture) -> None:
    folder = REPO  # on the disk of the checkout
    if client_limits.memory_backed(folder):
        pytest.skip("the checkout is on a memory-backed filesystem")
    path = folder / f"tipline-test-table-{os.getpid()}"
    table = Table(path)
    assert not table.shared
    assert not path.exists(), "the day's key would have rested on a disk"
    assert "not memory-backed" in caplog.text
    assert table.take(_digest(1), limit=1, window=60, now=0.0)  # still limits, in this process
    assert not table.take(_digest(1), limit=1, window=60, now=1.0)


@needs_shm
def test_a_file_others_can_read_is_not_trusted_with_the_key(shm_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    shm_file.write_bytes(b"")
    shm_file.chmod(0o644)
    table = Table(shm_file)
    assert not table.shared
    assert "not a private file" in caplog.text


@needs_shm
def test_a_symlink_is_not_followed(shm_file: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    shm_file.symlink_to(tmp_path / "elsewhere")
    assert not Table(shm_file).shared
    assert not (tmp_path / "elsewhere").exists()


@needs_shm
def test_a_forked_process_opens_the_table_again_and_still_shares_it() -> None:
    first = client_limits.table()
    assert first.shared
    pid = os.fork()
    if pid == 0:  # the child: a descriptor of its own (a flock would be shared with the parent's)
        ok = False
        try:
            ok = client_limits.table() is not first and client_limits.table().shared
            ok = ok and all(client_limits.take("forked", "tag", limit=5, window=60) for _ in range(2))
        finally:
            os._exit(0 if ok else 1)  # never back into the test session
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert client_limits.table() is first
    assert client_limits.used("forked", "tag") == 2


def test_the_limit_holds_within_the_window_and_a_new_window_starts_fresh() -> None:
    table = Table(None)
    assert [table.take(_digest(7), limit=2, window=100, now=t) for t in (0.0, 50.0, 99.0)] == [True, True, False]
    assert table.take(_digest(7), limit=2, window=100, now=100.0), "the window ran from the first use, not the last"
    assert table.count(_digest(7), now=100.0) == 1


def test_give_back_undoes_one_use_and_never_goes_below_zero() -> None:
    table = Table(None)
    table.take(_digest(3), limit=5, window=60, now=0.0)
    table.give_back(_digest(3), now=1.0)
    table.give_back(_digest(3), now=1.0)
    assert table.count(_digest(3), now=1.0) == 0
    table.take(_digest(3), limit=5, window=60, now=2.0)
    assert table.count(_digest(3), now=2.0) == 1


def test_a_full_table_reuses_the_slot_whose_window_ends_first_among_the_least_used() -> None:
    table = Table(None, slots=2)
    table.take(_digest(1), limit=9, window=100, now=0.0)  # ends at 100
    table.take(_digest(2), limit=9, window=500, now=0.0)  # ends at 500
    table.take(_digest(3), limit=9, window=100, now=1.0)  # no room: replaces 1
    assert table.count(_digest(1), now=2.0) == 0
    assert table.count(_digest(2), now=2.0) == 1
    assert table.count(_digest(3), now=2.0) == 1


def test_a_flood_of_new_tags_does_not_free_a_client_at_its_limit() -> None:
    table = Table(None, slots=4)
    for _ in range(3):
        table.take(_digest(99), limit=3, window=3600, now=0.0)
    assert not table.take(_digest(99), limit=3, window=3600, now=1.0)
    for n in range(1000, 2000):  # many new clients, one use each, all in the same slots
        table.take(_digest(n), limit=3, window=3600, now=2.0)
    assert not table.take(_digest(99), limit=3, window=3600, now=3.0), "still at its limit"


def test_the_key_only_moves_forwards_so_a_late_caller_at_midnight_does_not_split_the_day() -> None:
    table, other = Table(None), Table(None)
    other._map = table._map  # two processes on one table
    tuesday = table.day_key(20001)
    assert other.day_key(20000) == tuesday, "a caller still on Monday gets the stored key, not a new one"
    assert table.day_key(20001) == tuesday
    assert other.day_key(20001) == tuesday


def test_a_key_from_a_clock_that_ran_ahead_is_replaced() -> None:
    table = Table(None)
    future = table.day_key(30000)
    today = table.day_key(20000)
    assert today != future
    assert table.day_key(20000) == today


@needs_shm
def test_a_file_of_another_size_is_left_alone(shm_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    shm_file.write_bytes(b"x" * 100)
    shm_file.chmod(0o600)
    assert not Table(shm_file).shared
    assert shm_file.read_bytes() == b"x" * 100, "never truncated under processes that may map it"
    assert "unexpected size" in caplog.text


@needs_shm
def test_a_hard_link_is_not_trusted(shm_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    other = shm_file.with_name(shm_file.name + "-other")
    other.write_bytes(b"")
    other.chmod(0o600)
    os.link(other, shm_file)
    try:
        assert not Table(shm_file).shared
    finally:
        other.unlink()
    assert "not a private file" in caplog.text


def test_a_new_day_brings_a_new_key_written_over_the_old_one() -> None:
    table = Table(None)
    monday = table.day_key(20000)
    assert table.day_key(20000) == monday
    tuesday = table.day_key(20001)
    assert tuesday != monday
    assert len(tuesday) == client_limits.KEY_BYTES
    assert monday not in bytes(table._map), "yesterday's key is gone from memory"


@pytest.mark.parametrize(
    ("mountinfo", "path", "expected"),
    [
        ("22 1 8:1 / / rw - ext4 /dev/vda rw\n30 22 0:5 / /dev/shm rw - tmpfs tmpfs rw", "/dev/shm/x", True),  # noqa: S108
        ("22 1 8:1 / / rw - ext4 /dev/vda rw\n30 22 0:5 / /dev/shm rw - tmpfs tmpfs rw", "/dev/shmx", False),  # noqa: S108
        ("22 1 8:1 / / rw - ext4 /dev/vda rw\n31 22 0:6 / /run/my\\040dir rw - ramfs r rw", "/run/my dir/a", True),
        ("30 22 0:5 / /srv rw - tmpfs tmpfs rw\n40 30 8:1 /d /srv/disk rw - ext4 /dev/vda rw", "/srv/disk/a", False),
        ("30 22 0:5 / /srv rw shared:1 - tmpfs tmpfs rw", "/srv/a", True),
    ],
)
def test_memory_backed_folders_are_recognised_from_the_mount_table(mountinfo: str, path: str, expected: bool) -> None:
    assert client_limits.memory_backed(Path(path), mountinfo) is expected


def test_ipv6_clients_are_tagged_by_their_64_network() -> None:
    from tipline.http_privacy import client_tag

    assert client_tag("2001:db8:1:2::1") == client_tag("2001:db8:1:2:ffff:ffff:ffff:fffe")
    assert client_tag("2001:db8:1:2::1") != client_tag("2001:db8:1:3::1")
    assert client_tag("::ffff:192.0.2.1") == client_tag("192.0.2.1")
    assert client_tag("192.0.2.1") != client_tag("192.0.2.2")


def test_a_port_given_with_the_address_does_not_make_a_new_client() -> None:
    from tipline.http_privacy import client_tag

    assert client_tag("192.0.2.1:5678") == client_tag("192.0.2.1:5679") == client_tag("192.0.2.1")
    assert client_tag("[2001:db8:1:2::1]:443") == client_tag("2001:db8:1:2::9")


@needs_shm
def test_receipt_guesses_from_another_server_process_use_up_the_same_allowance(
    org: Setup, settings: object, tmp_path: Path
) -> None:
    from tipline.http_privacy import client_tag
    from tipline.register import services
    from tipline.register.exceptions import TooManyReceiptAttempts

    settings.TIPLINE_RECEIPT_ATTEMPTS = 3  # type: ignore[attr-defined]
    path = settings.TIPLINE_LIMITS_FILE  # type: ignore[attr-defined]
    tag_there = _in_another_process(
        f"""
        import os
        from pathlib import Path
        os.environ["DJANGO_SETTINGS_MODULE"] = "tipline.settings"
        os.environ["TIPLINE_DATA_DIR"] = {str(tmp_path)!r}
        import django
        django.setup()
        from django.conf import settings
        settings.TIPLINE_LIMITS_FILE = Path({str(path)!r})
        from tipline import client_limits
        from tipline.http_privacy import client_tag
        from tipline.register.services import RECEIPT_SCOPE
        tag = client_tag("198.51.100.20")
        print([client_limits.take(RECEIPT_SCOPE, tag, limit=3, window=3600) for _ in range(3)])
        print(tag)
        """
    ).splitlines()[-1]
    assert client_tag("198.51.100.20") == tag_there
    with pytest.raises(TooManyReceiptAttempts):
        services.open_with_receipt(receipt_text="1111 2222 3333 4444", client_tag=tag_there)
