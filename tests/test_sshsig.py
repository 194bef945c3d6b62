"""SSHSIG in-process against ssh-keygen: the same bytes, and the same accept/reject verdicts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from govcloud.orchestration.edges import sshsig
from ledger_team import make_key


def _keygen_sign(key: Path, message: bytes, namespace: str = "govcloud") -> str:
    data = key.parent / "msg"
    data.write_bytes(message)
    subprocess.run(
        ["ssh-keygen", "-Y", "sign", "-n", namespace, "-f", str(key), str(data)], check=True, capture_output=True
    )
    return data.with_name("msg.sig").read_text()


def _signers(tmp_path: Path, principal: str, key: Path) -> Path:
    path = tmp_path / "allowed_signers"
    public = sshsig.read_public_key_of(key)
    path.write_text(sshsig.allowed_signers_text([sshsig.AllowedSigner(principal, public)]))
    return path


def test_in_process_ed25519_signature_is_byte_identical_to_ssh_keygen(tmp_path: Path) -> None:
    key = make_key(tmp_path, "alice")
    message = b"9f2c" * 16
    private = sshsig.load_ed25519_private_key(key)
    assert private is not None
    assert sshsig.sign_ed25519(private, message) == _keygen_sign(key, message)


def test_fingerprint_matches_ssh_keygen(tmp_path: Path) -> None:
    key = make_key(tmp_path, "alice")
    shown = subprocess.run(["ssh-keygen", "-lf", f"{key}.pub"], check=True, capture_output=True, text=True).stdout
    assert sshsig.read_public_key_of(key).fingerprint == shown.split()[1]


@pytest.mark.parametrize(
    ("case", "expected"),
    [("genuine", True), ("other message", False), ("other namespace", False), ("other key", False)],
)
def test_ssh_keygen_and_in_process_verifier_agree(tmp_path: Path, case: str, expected: bool) -> None:
    alice = make_key(tmp_path, "alice")
    mallory = make_key(tmp_path, "mallory")
    message = b"entry-hash"
    signer = mallory if case == "other key" else alice
    namespace = "git" if case == "other namespace" else "govcloud"
    signature = _keygen_sign(signer, message, namespace)
    checked = b"another-hash" if case == "other message" else message
    allowed = _signers(tmp_path, "alice", alice)

    by_keygen = sshsig.verify_with_ssh_keygen(
        allowed_signers=allowed, principal="alice", signature=signature, message=checked
    )
    parsed = sshsig.parse_signature(signature)
    in_process = sshsig.verify_ed25519(parsed, checked) and parsed.public_key.fingerprint == (
        sshsig.read_public_key_of(alice).fingerprint
    )
    assert by_keygen is expected
    assert in_process is expected


def test_a_flipped_signature_byte_is_rejected_by_both(tmp_path: Path) -> None:
    alice = make_key(tmp_path, "alice")
    private = sshsig.load_ed25519_private_key(alice)
    assert private is not None
    signature = sshsig.sign_ed25519(private, b"m")
    blob = bytearray(sshsig.dearmor(signature))
    blob[-5] ^= 0x01
    forged = sshsig.armor(bytes(blob))
    assert not sshsig.verify_ed25519(sshsig.parse_signature(forged), b"m")
    allowed = _signers(tmp_path, "alice", alice)
    assert not sshsig.verify_with_ssh_keygen(allowed_signers=allowed, principal="alice", signature=forged, message=b"m")
    assert sshsig.verify_with_ssh_keygen(allowed_signers=allowed, principal="alice", signature=signature, message=b"m")


def test_other_key_types_are_signed_through_ssh_keygen(tmp_path: Path) -> None:
    key = make_key(tmp_path, "ecdsa-user", key_type="ecdsa")
    assert sshsig.load_ed25519_private_key(key) is None
    signature = sshsig.sign(key, b"message")
    parsed = sshsig.parse_signature(signature)
    assert parsed.public_key.key_type.startswith("ecdsa-sha2-")
    allowed = _signers(tmp_path, "carol", key)
    assert sshsig.verify_with_ssh_keygen(
        allowed_signers=allowed, principal="carol", signature=signature, message=b"message"
    )
    assert not sshsig.verify_with_ssh_keygen(
        allowed_signers=allowed, principal="carol", signature=signature, message=b"x"
    )
