"""Evidence files in an S3-compatible bucket (``LAUREL_BLOB_S3_BUCKET``), against moto's S3
server over real HTTP on a local port: stored once by SHA-256, read back verified, an altered
object caught, orphans found by age; and an upload over the API landing in the bucket."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from domain.errors import EvidenceCorruptError, EvidenceMissingError
from domain.evidence import sha256_of
from infra.blob_store import S3BlobStore, verify_logged_files
from tests.api.test_evidence_http import PDF, declared_site

BUCKET = "laurel-evidence"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "laurel-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "laurel-test-secret")
    name = f"{BUCKET}-{abs(hash(request.node.name)) % 10**8}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=name)
    client.close()
    return name


def test_the_bucket_keeps_each_file_once_and_catches_an_altered_one(s3_endpoint, bucket):
    store = S3BlobStore(bucket, "evidence/", s3_endpoint, "us-east-1")
    try:
        sha256, created = store.put(PDF)
        assert (sha256, created) == (sha256_of(PDF), True)
        assert store.put(PDF) == (sha256, False)  # the same bytes: stored once
        assert store.read(sha256) == PDF and list(store.hashes()) == [sha256]
        assert list(store.hashes_older_than(3600)) == []  # just stored: an upload in flight
        assert list(store.hashes_older_than(-60)) == [sha256]
        records = [
            {"position": 1, "subject": "n", "version": 2, "files": [{"role": "file", "sha256": sha256}]}
        ]
        assert verify_logged_files(records, store) == (1, [])

        # altered in the bucket behind the store's back
        store.client.put_object(Bucket=bucket, Key=f"evidence/{sha256}", Body=PDF + b"tampered")
        with pytest.raises(EvidenceCorruptError):
            store.read(sha256)
        checked, problems = verify_logged_files(records, store)
        assert checked == 1 and "altered" in problems[0]

        store.discard(sha256)
        with pytest.raises(EvidenceMissingError):
            store.read(sha256)
        assert list(store.hashes()) == []
    finally:
        store.close()


def test_an_upload_over_the_api_lands_in_the_bucket(s3_endpoint, bucket, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'laurel.sqlite3'}"
    settings = {
        "blob_s3_bucket": bucket,
        "blob_s3_endpoint_url": s3_endpoint,
        "blob_s3_region": "us-east-1",
    }
    with declared_site(url, tmp_path, **settings) as site:
        assert isinstance(site.blobs, S3BlobStore)
        declarer = site.server.client(site.tokens["declarer"])
        sent = declarer.post(
            site.url(), data={"kind": "declaration"}, files={"file": ("表.pdf", PDF, "application/pdf")}
        )
        assert sent.status_code == 201, sent.text
        got = declarer.get(sent.json()["evidence"]["download"])
        assert got.status_code == 200 and got.content == PDF
        # a refused upload stores nothing in the bucket either
        refused = declarer.post(
            site.url(),
            data={"kind": "nonsense"},
            files={"file": ("x.pdf", PDF + b"%2", "application/pdf")},
        )
        assert refused.status_code == 422, refused.text
        assert list(site.blobs.hashes()) == [sha256_of(PDF)]
        assert not (tmp_path / "blobs").exists()
