"""S3 credentials: without `IMPORT_S3_*` keys the importer signs with what boto3's credential
chain finds (AWS_* variables, a profile), and sends unsigned requests only when it finds
nothing or `--no-sign-request` asks for it. moto's server here requires signed requests."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from django.core.management import CommandError, call_command

from features.models import Activation, Feature
from importer import s3 as s3_reader
from importer.models import ImportJob
from tests.support.exportgen import Export

pytestmark = pytest.mark.django_db

PRIVATE_BUCKET = "private-exports"
_users = itertools.count()


@pytest.fixture
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Nothing for the credential chain to find: no AWS_* keys, no profile files, no IMDS."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    s3_reader.default_session.cache_clear()  # the chain is read once per process
    yield
    s3_reader.default_session.cache_clear()


@pytest.fixture
def private_bucket(
    moto_endpoint: str, s3: Any, export_dir: tuple[Path, Export], no_aws_credentials: None
) -> Iterator[tuple[str, str]]:
    """The standard export in a private bucket, an IAM user allowed to read it, and moto
    answering only signed requests. Returns the user's (access key id, secret key)."""
    iam = boto3.client(
        "iam",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    user = f"importer-{next(_users)}"
    iam.create_user(UserName=user)
    iam.put_user_policy(
        UserName=user,
        PolicyName="read-exports",
        PolicyDocument='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]}',
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    s3.create_bucket(Bucket=PRIVATE_BUCKET)
    root, _ = export_dir
    for path in sorted(root.rglob("*")):
        if path.is_file():  # private objects: no ACL
            s3.put_object(
                Bucket=PRIVATE_BUCKET, Key=f"v1/{path.relative_to(root).as_posix()}",
                Body=path.read_bytes(),
            )  # fmt: skip
    requests.post(f"{moto_endpoint}/moto-api/reset-auth", data=b"0", timeout=5).raise_for_status()
    try:
        yield key["AccessKeyId"], key["SecretAccessKey"]
    finally:
        requests.post(f"{moto_endpoint}/moto-api/reset-auth", data=b"inf", timeout=5)


def _import(moto_endpoint: str, *extra: str) -> str:
    out = StringIO()
    call_command(
        "import_source", "gpt2-small", "6-res-jb", "--from", f"s3://{PRIVATE_BUCKET}/v1",
        "--endpoint-url", moto_endpoint, "--no-progress", *extra, stdout=out,
    )  # fmt: skip
    return out.getvalue()


def _with_env_keys(monkeypatch: pytest.MonkeyPatch, key: tuple[str, str], _: Path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key[1])


def _with_profile(monkeypatch: pytest.MonkeyPatch, key: tuple[str, str], tmp_path: Path) -> None:
    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[exports]\naws_access_key_id = {key[0]}\naws_secret_access_key = {key[1]}\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_PROFILE", "exports")


@pytest.mark.parametrize("provide", [_with_env_keys, _with_profile], ids=["env-keys", "profile"])
def test_the_credential_chain_signs_requests_to_a_private_bucket(
    moto_endpoint: str,
    private_bucket: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    provide: Callable[[pytest.MonkeyPatch, tuple[str, str], Path], None],
) -> None:
    provide(monkeypatch, private_bucket, tmp_path)
    out = _import(moto_endpoint)
    # 37 new: three of the export's config rows are types a fresh install already has
    assert "Imported gpt2-small/6-res-jb: 40 rows (37 new) from 15 files" in out
    assert (Feature.objects.count(), Activation.objects.count()) == (6, 18)


def test_without_credentials_requests_are_unsigned_and_a_private_bucket_refuses_them(
    moto_endpoint: str, private_bucket: tuple[str, str]
) -> None:
    with pytest.raises(CommandError, match="Import failed"):
        _import(moto_endpoint)
    assert not Feature.objects.exists()


def test_no_sign_request_sends_unsigned_requests_even_with_credentials(
    moto_endpoint: str, private_bucket: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_env_keys(monkeypatch, private_bucket, Path())
    with pytest.raises(CommandError, match="Import failed"):
        _import(moto_endpoint, "--no-sign-request")
    job = ImportJob.objects.get()
    assert job.no_sign_request and job.state == ImportJob.State.FAILED
    # the same job resumes, signed, once the option is left out
    assert "Imported gpt2-small/6-res-jb" in _import(moto_endpoint)
    job.refresh_from_db()
    assert (job.no_sign_request, job.state) == (False, ImportJob.State.DONE)
