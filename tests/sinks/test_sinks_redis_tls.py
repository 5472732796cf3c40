"""AUTH (ACL user + password) and TLS (rediss:// with a private CA) from the settings.

Starts its own redis-server (the binary scripts/services.sh installs) with TLS only, on a
free loopback port, with a CA and server certificate made here; stops it by its pid.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import SecretStr
from sink_data import full_details, full_records

from cli.show import show
from sinks.privacy import Privacy
from sinks.redis.reader import RedisViewReader
from sinks.redis.writer import RedisView
from sinks.settings import SinkSettings

pytestmark = pytest.mark.integration

USER, PASSWORD = "sinks", "s3cret-Pa55"


@dataclass(frozen=True)
class TlsRedis:
    port: int
    ca_file: str
    url: str


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def make_certs(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 signed by it: (ca, cert, key) files."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("socialkpi test CA"))
        .issuer_name(_name("socialkpi test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = (
        directory / "ca.pem",
        directory / "server.pem",
        directory / "server.key",
    )
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(key_path, key)
    return ca_path, cert_path, key_path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def tls_redis(redis_server_bin: str, tmp_path: Path) -> Iterator[TlsRedis]:
    ca, cert, key = make_certs(tmp_path)
    acl = tmp_path / "users.acl"
    acl.write_text(f"user default off\nuser {USER} on >{PASSWORD} ~* &* +@all\n")
    port = _free_port()
    process = subprocess.Popen(
        [
            redis_server_bin,
            "--bind", "127.0.0.1",
            "--port", "0",
            "--tls-port", str(port),
            "--tls-cert-file", str(cert),
            "--tls-key-file", str(key),
            "--tls-ca-cert-file", str(ca),
            "--tls-auth-clients", "no",
            "--aclfile", str(acl),
            "--save", "",
            "--appendonly", "no",
            "--dir", str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"rediss://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 15
        while True:
            client = redis.Redis.from_url(
                url, username=USER, password=PASSWORD, ssl_ca_certs=str(ca),
                socket_connect_timeout=1,
            )  # fmt: skip
            try:
                if client.ping():
                    break
            except redis.RedisError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"TLS redis-server did not start on port {port}")
                time.sleep(0.1)
            finally:
                client.close()
        yield TlsRedis(port, str(ca), url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _settings(server: TlsRedis, **overrides: object) -> SinkSettings:
    values: dict[str, object] = {
        "redis_url": SecretStr(server.url),
        "redis_username": USER,
        "redis_password": SecretStr(PASSWORD),
        "redis_ssl_ca_file": server.ca_file,
        "redis_prefix": "tls-test:",
        "redis_ttl_s": 60,
    }
    values.update(overrides)
    return SinkSettings.model_validate(values)


async def test_publish_and_show_over_tls_with_acl_user(
    tls_redis: TlsRedis, pseudonym_key: str, reveal_key: str
) -> None:
    settings = _settings(tls_redis)
    view = RedisView.from_settings(settings, privacy=Privacy(pseudonym_key, reveal_key))
    try:
        await view.publish("rep-7", full_records("rep-7"), full_details())
        await view.flush({})
    finally:
        await view.close()
    reader = RedisViewReader.from_settings(settings)
    try:
        assert reader.records("rep-7") == full_records("rep-7")
    finally:
        reader.close()
    table = show(None, "rep-7", settings=settings, reveal_key=reveal_key)
    assert "Warm prospects (3)" in table and "mbr-actor-aaaa1111" in table


def test_password_in_url_also_works(tls_redis: TlsRedis) -> None:
    url = f"rediss://{USER}:{PASSWORD}@127.0.0.1:{tls_redis.port}/0"
    settings = _settings(tls_redis, redis_url=SecretStr(url), redis_username=None)
    settings = settings.model_copy(update={"redis_password": None})
    reader = RedisViewReader.from_settings(settings)
    try:
        assert reader.accounts() == []
    finally:
        reader.close()
    assert PASSWORD not in repr(settings)


def test_wrong_password_is_refused(tls_redis: TlsRedis) -> None:
    reader = RedisViewReader.from_settings(_settings(tls_redis, redis_password=SecretStr("wrong")))
    try:
        with pytest.raises(redis.AuthenticationError):
            reader.accounts()
    finally:
        reader.close()


def test_unknown_ca_is_refused(tls_redis: TlsRedis) -> None:
    settings = _settings(tls_redis).model_copy(update={"redis_ssl_ca_file": None})
    reader = RedisViewReader.from_settings(settings)
    try:
        with pytest.raises(redis.ConnectionError, match=r"(?i)certificate"):
            reader.accounts()
    finally:
        reader.close()


def test_plain_url_with_tls_files_is_a_settings_error() -> None:
    with pytest.raises(ValueError, match="rediss://"):
        SinkSettings(redis_url=SecretStr("redis://127.0.0.1:1/0"), redis_ssl_ca_file="/ca.pem")
