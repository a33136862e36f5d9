from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tipline import memory_folder
from tipline.http_privacy import client_tag


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
    assert memory_folder.memory_backed(Path(path), mountinfo) is expected


def test_ipv6_clients_are_tagged_by_their_64_network() -> None:
    assert client_tag("2001:db8:1:2::1") == client_tag("2001:db8:1:2:ffff:ffff:ffff:fffe")
    assert client_tag("2001:db8:1:2::1") != client_tag("2001:db8:1:3::1")
    assert client_tag("::ffff:192.0.2.1") == client_tag("192.0.2.1")
    assert client_tag("192.0.2.1") != client_tag("192.0.2.2")


def test_a_port_given_with_the_address_does_not_make_a_new_client() -> None:
    assert client_tag("192.0.2.1:5678") == client_tag("192.0.2.1:5679") == client_tag("192.0.2.1")
    assert client_tag("[2001:db8:1:2::1]:443") == client_tag("2001:db8:1:2::9")


TAG_THERE = """
import os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "tipline.settings"
django.setup()
from tipline.http_privacy import client_tag
print(client_tag("198.51.100.20"))
"""


def test_every_process_with_the_same_secret_key_makes_the_same_tag(tmp_path: Path) -> None:
    """Machines share allowances only if they tag a client alike: the key of the day comes
    from the secret key (nothing machine-local), and is never stored."""
    from django.conf import settings

    env = {**os.environ, "TIPLINE_SECRET_KEY": settings.SECRET_KEY, "TIPLINE_DATA_DIR": str(tmp_path)}
    there = subprocess.run([sys.executable, "-c", TAG_THERE], env=env, capture_output=True, text=True, check=True)
    assert there.stdout.strip() == client_tag("198.51.100.20")
    other = {**env, "TIPLINE_SECRET_KEY": "another secret key of some length, 1234567890"}
    elsewhere = subprocess.run([sys.executable, "-c", TAG_THERE], env=other, capture_output=True, text=True, check=True)
    assert elsewhere.stdout.strip() != client_tag("198.51.100.20")
