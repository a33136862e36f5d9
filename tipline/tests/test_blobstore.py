"""The attachment store, on a local folder and on a real S3-compatible server (moto_server)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tipline import blobstore
from tipline.crypto import boxes, stream
from tipline.testing import free_port


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """The S3 server started by tools/run-tests.sh, or one of our own."""
    if endpoint := os.environ.get("TIPLINE_TEST_S3_ENDPOINT"):
        yield endpoint
        return
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
def s3_store(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> blobstore.BlobStore:
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    bucket = f"tipline-{time.time_ns()}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    return blobstore.store_from_url(f"s3://{bucket}/attachments?endpoint={s3_endpoint}&region=us-east-1")


@pytest.fixture
def local_store(tmp_path: Path) -> blobstore.BlobStore:
    return blobstore.store_from_url(f"file://{tmp_path / 'blobs'}")


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest) -> blobstore.BlobStore:
    return request.getfixturevalue(f"{request.param}_store")  # type: ignore[no-any-return]


def test_an_encrypted_stream_round_trips_through_the_store(store: blobstore.BlobStore) -> None:
    key = boxes.new_key()
    data = os.urandom(3 * stream.CHUNK_SIZE + 123)
    name = blobstore.new_blob_name()
    written = store.write(name, stream.encrypt_chunks(key, [data]))
    assert written == stream.encrypted_size(len(data))
    assert b"".join(stream.decrypt_chunks(key, store.read(name))) == data
    assert name in set(store.names())
    store.delete(name)
    assert name not in set(store.names())


def test_a_failed_write_leaves_nothing_behind(store: blobstore.BlobStore) -> None:
    def failing() -> Iterator[bytes]:
        yield b"x" * 100_000
        raise OSError("source vanished")

    name = blobstore.new_blob_name()
    with pytest.raises(OSError, match="source vanished"):
        store.write(name, failing())
    assert name not in set(store.names())


def test_recent_blobs_are_not_listed_as_old(store: blobstore.BlobStore) -> None:
    name = blobstore.new_blob_name()
    store.write(name, [b"data"])
    assert name not in set(store.names(older_than=3600))


def test_only_blobs_tipline_wrote_are_listed_for_the_orphan_sweep(
    store: blobstore.BlobStore, request: pytest.FixtureRequest
) -> None:
    """Anything else under the folder or prefix (a backup, another application's objects)
    is never offered to the sweep, which deletes what it lists."""
    ours = blobstore.new_blob_name()
    store.write(ours, [b"ours"])
    others = ["backup.tar", "A" * 40, ours + ".bak", "notes"]
    if isinstance(store, blobstore.LocalBlobStore):
        for name in others:
            (store.root / name).write_bytes(b"not ours")
    else:
        for name in others:
            store.client.put_object(Bucket=store.bucket, Key=store.prefix + name, Body=b"not ours")  # type: ignore[attr-defined]
        store.client.put_object(Bucket=store.bucket, Key=store.prefix + "sub/" + ours, Body=b"x")  # type: ignore[attr-defined]
    assert set(store.names()) == {ours}


def test_local_blob_names_cannot_escape_the_folder(local_store: blobstore.BlobStore) -> None:
    with pytest.raises(ValueError, match="invalid blob name"):
        local_store.write("../escape", [b"x"])


def test_a_bad_storage_url_fails_loudly() -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="TIPLINE_STORAGE_URL"):
        blobstore.store_from_url("ftp://example/")
