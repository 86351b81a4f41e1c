"""The station's CA and signer, and the security object as openssl sees it (no pcscd)."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from printstation.chip.pki import create_demo_pki, load_signer
from printstation.chip.security_object import (
    build_security_object,
    encode_content,
    passive_authentication,
)
from printstation.errors import ConfigError

FILES = {0x6FF0 + i: bytes([i]) * (100 + i) for i in range(6)}


def test_demo_pki_keeps_private_keys_private(tmp_path: Path) -> None:
    paths = create_demo_pki(tmp_path / "pki", "T")
    for key in (paths.signer_key, tmp_path / "pki" / "ca.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    before = paths.signer_key.read_bytes()
    create_demo_pki(tmp_path / "pki", "T")  # present: kept, never replaced
    assert paths.signer_key.read_bytes() == before


def test_a_signer_key_of_another_certificate_is_refused(tmp_path: Path) -> None:
    one = create_demo_pki(tmp_path / "one", "ONE")
    two = create_demo_pki(tmp_path / "two", "TWO")
    with pytest.raises(ConfigError, match="does not belong"):
        load_signer(type(one)(one.ca_cert, one.signer_cert, two.signer_key))
    with pytest.raises(ConfigError, match="not issued by the CA") as caught:
        load_signer(type(one)(two.ca_cert, one.signer_cert, one.signer_key))
    assert "PRIVATE KEY" not in str(caught.value)


def test_security_object_verifies_and_names_an_altered_file(tmp_path: Path) -> None:
    signer = load_signer(create_demo_pki(tmp_path / "pki", "T"))
    sod = build_security_object(FILES, signer)
    check = passive_authentication(FILES, sod, signer.ca_certificate, tuple(FILES))
    assert (check.signature_valid, check.hashes_valid, check.problems) == (True, True, [])
    altered = {**FILES, 0x6FF3: b"\x00" + FILES[0x6FF3][1:]}
    check = passive_authentication(altered, sod, signer.ca_certificate, tuple(FILES))
    assert check.signature_valid and not check.hashes_valid
    assert check.problems == ["EF 6FF3 does not match its hash: it was altered"]
    missing = passive_authentication(FILES, None, signer.ca_certificate, tuple(FILES))
    assert not missing.signature_valid and "not signed" in missing.problems[0]


def test_openssl_cms_verify_accepts_the_security_object(tmp_path: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl is part of the test set-up (scripts/setup.sh)")
    paths = create_demo_pki(tmp_path / "pki", "T")
    sod = tmp_path / "sod.der"
    sod.write_bytes(build_security_object(FILES, load_signer(paths)))
    out = tmp_path / "content.der"
    command = [openssl, "cms", "-verify", "-CAfile", str(paths.ca_cert), "-inform", "DER"]
    run = subprocess.run(
        [*command, "-in", str(sod), "-binary", "-out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == encode_content(FILES)
    other = create_demo_pki(tmp_path / "other", "OTHER")
    command[3] = str(other.ca_cert)
    refused = subprocess.run(
        [*command, "-in", str(sod), "-binary", "-out", str(out)], capture_output=True, check=False
    )
    assert refused.returncode != 0
