"""Where encrypted attachments live: a local folder or an S3-compatible bucket.

The store only ever receives ciphertext. Writes are atomic: a blob is either
complete under its final name or absent.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

READ_CHUNK = 64 * 1024


class BlobStore(Protocol):
    def write(self, name: str, chunks: Iterable[bytes]) -> int: ...
    def read(self, name: str) -> Iterator[bytes]: ...
    def delete(self, name: str) -> None: ...
    def names(self, *, older_than: float = 0) -> Iterator[str]: ...


# Tipline names every blob it writes so: 40 lower-case hex digits. Only such names are ever
# listed for the orphan sweep, so nothing else kept under the same folder or prefix (a
# backup, another application's objects) is ever deleted.
_BLOB_NAME = re.compile(r"[0-9a-f]{40}")


def new_blob_name() -> str:
    return secrets.token_hex(20)


def is_blob_name(name: str) -> bool:
    """Whether ``name`` is one Tipline could have given a blob."""
    return _BLOB_NAME.fullmatch(name) is not None


class LocalBlobStore:
    """Blobs as files in one folder, written to a temporary name and renamed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, name: str) -> Path:
        if not name.isalnum():
            msg = f"invalid blob name {name!r}"
            raise ValueError(msg)
        return self.root / name

    def write(self, name: str, chunks: Iterable[bytes]) -> int:
        size = 0
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                    size += len(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            Path(tmp).replace(self._path(name))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return size

    def read(self, name: str) -> Iterator[bytes]:
        with self._path(name).open("rb") as handle:
            while chunk := handle.read(READ_CHUNK):
                yield chunk

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def names(self, *, older_than: float = 0) -> Iterator[str]:
        """Names of Tipline's blobs whose last change is at least ``older_than`` seconds ago."""
        cutoff = time.time() - older_than
        for path in self.root.iterdir():
            if is_blob_name(path.name) and path.stat().st_mtime <= cutoff:
                yield path.name


class _IterReader(io.RawIOBase):
    """A file-like view of an iterator of bytes, so boto3 can stream a multipart upload."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        count = min(len(target), len(self._buffer))
        target[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        self.size += count
        return count


class S3BlobStore:
    """Blobs as objects in an S3-compatible bucket (multipart upload, streamed)."""

    def __init__(self, bucket: str, prefix: str, client: Any) -> None:
        self.bucket, self.prefix, self.client = bucket, prefix, client

    def write(self, name: str, chunks: Iterable[bytes]) -> int:
        reader = _IterReader(chunks)
        self.client.upload_fileobj(io.BufferedReader(reader, READ_CHUNK), self.bucket, self.prefix + name)
        return reader.size

    def read(self, name: str) -> Iterator[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=self.prefix + name)["Body"]
        try:
            yield from body.iter_chunks(READ_CHUNK)
        finally:
            body.close()

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + name)

    def names(self, *, older_than: float = 0) -> Iterator[str]:
        cutoff = time.time() - older_than
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                name = item["Key"][len(self.prefix) :]
                if is_blob_name(name) and item["LastModified"].timestamp() <= cutoff:
                    yield name


def store_from_url(url: str) -> BlobStore:
    """``file:///path`` or ``s3://bucket/prefix?endpoint=http://…&region=…``.

    S3 credentials come from the usual AWS variables (``AWS_ACCESS_KEY_ID``, …).
    """
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalBlobStore(Path(parts.path))
    if parts.scheme == "s3":
        import boto3  # noqa: PLC0415 - only needed for S3 deployments

        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        client = boto3.client("s3", endpoint_url=query.get("endpoint"), region_name=query.get("region", "us-east-1"))
        prefix = parts.path.lstrip("/")
        return S3BlobStore(parts.netloc, prefix + "/" if prefix else "", client)
    msg = f"TIPLINE_STORAGE_URL must start with file:// or s3://; got {url!r}"
    raise ImproperlyConfigured(msg)


@cache
def _store_for(url: str) -> BlobStore:
    return store_from_url(url)


def get_store() -> BlobStore:
    return _store_for(settings.TIPLINE_STORAGE_URL)
