"""SSH signatures (SSHSIG, the format of ``ssh-keygen -Y sign``, the mechanism git uses for signed commits). Edge.

Entries of the ledger are signed by their actor's SSH key and verified against the roster. ``ssh-keygen`` is
the reference: :func:`sign_with_ssh_keygen` and :func:`verify_with_ssh_keygen` call it (any key type, keys
in an agent, passphrases). Verifying 200,000 entries cannot spawn 200,000 processes, so ed25519 signatures
(deterministic: the same key and message always give the same bytes) are also made and checked in-process
with ``cryptography``, following OpenSSH's ``PROTOCOL.sshsig``; a test proves both paths agree byte for byte
and accept and reject the same signatures. Other key types fall back to ``ssh-keygen``.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import os
import struct
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from govcloud.errors import RefusedError, ToolError

NAMESPACE = "govcloud"
_MAGIC = b"SSHSIG"
_BEGIN = "-----BEGIN SSH SIGNATURE-----"
_END = "-----END SSH SIGNATURE-----"
_ED25519 = "ssh-ed25519"


class SignatureError(RefusedError):
    """A key or signature that cannot be used: unreadable, wrong type, or not matching."""


@dataclasses.dataclass(frozen=True)
class PublicKey:
    """An OpenSSH public key: its type, its wire blob, and the fingerprint ``ssh-keygen -l`` shows."""

    key_type: str
    blob: bytes

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256(self.blob).digest()
        return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")

    @property
    def openssh(self) -> str:
        return f"{self.key_type} {base64.b64encode(self.blob).decode('ascii')}"


def parse_public_key(text: str) -> PublicKey:
    """``ssh-ed25519 AAAA... comment`` → :class:`PublicKey`; raise :class:`SignatureError` when it is not one."""
    parts = text.strip().split()
    if len(parts) < 2:
        raise SignatureError(f"not an OpenSSH public key: {text.strip()[:40]!r}")
    try:
        blob = base64.b64decode(parts[1], validate=True)
        key_type, _ = _read_string(blob, 0)
    except (ValueError, IndexError, struct.error) as exc:
        raise SignatureError(f"not an OpenSSH public key: {exc}") from None
    if key_type.decode("ascii", "replace") != parts[0]:
        raise SignatureError(f"public key says {parts[0]} but holds a {key_type.decode('ascii', 'replace')} key")
    return PublicKey(parts[0], blob)


def read_public_key_of(key_path: Path) -> PublicKey:
    """The public key of a private key file: ``KEY.pub`` beside it, else derived by ``ssh-keygen -y``."""
    pub = key_path.with_name(key_path.name + ".pub")
    if key_path.name.endswith(".pub"):
        pub = key_path
    if pub.exists():
        return parse_public_key(pub.read_text(encoding="utf-8"))
    done = _ssh_keygen(["-y", "-f", str(key_path)], check=False)
    if done.returncode != 0:
        raise SignatureError(f"{key_path}: cannot read the key: {done.stderr.strip()}")
    return parse_public_key(done.stdout)


# ---------------------------------------------------------------------------------------------------------
# The SSHSIG format


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _read_string(data: bytes, offset: int) -> tuple[bytes, int]:
    (length,) = struct.unpack_from(">I", data, offset)
    start = offset + 4
    if start + length > len(data):
        raise ValueError("truncated field")
    return data[start : start + length], start + length


def _signed_data(message: bytes, namespace: str) -> bytes:
    """What the key actually signs (PROTOCOL.sshsig §3): the preamble, namespace and SHA-512 of the message."""
    return (
        _MAGIC
        + _string(namespace.encode())
        + _string(b"")
        + _string(b"sha512")
        + _string(hashlib.sha512(message).digest())
    )


def armor(blob: bytes) -> str:
    """The armored text ssh-keygen writes: base64 in lines of 70 characters between the markers."""
    text = base64.b64encode(blob).decode("ascii")
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    return "\n".join([_BEGIN, *lines, _END]) + "\n"


def dearmor(text: str) -> bytes:
    body = text.strip()
    if not body.startswith(_BEGIN) or not body.endswith(_END):
        raise SignatureError("not an SSH signature (no BEGIN/END SSH SIGNATURE markers)")
    try:
        return base64.b64decode("".join(body[len(_BEGIN) : -len(_END)].split()), validate=True)
    except ValueError as exc:
        raise SignatureError(f"SSH signature is not base64: {exc}") from None


@dataclasses.dataclass(frozen=True)
class ParsedSignature:
    public_key: PublicKey
    namespace: str
    hash_algorithm: str
    signature_type: str
    signature: bytes


def parse_signature(text: str) -> ParsedSignature:
    blob = dearmor(text)
    try:
        if blob[:6] != _MAGIC or struct.unpack_from(">I", blob, 6)[0] != 1:
            raise ValueError("not an SSHSIG version 1 blob")
        key_blob, offset = _read_string(blob, 10)
        namespace, offset = _read_string(blob, offset)
        _reserved, offset = _read_string(blob, offset)
        hash_algorithm, offset = _read_string(blob, offset)
        sig_blob, offset = _read_string(blob, offset)
        sig_type, inner = _read_string(sig_blob, 0)
        raw, _ = _read_string(sig_blob, inner)
        key_type, _ = _read_string(key_blob, 0)
    except (ValueError, struct.error) as exc:
        raise SignatureError(f"malformed SSH signature: {exc}") from None
    return ParsedSignature(
        public_key=PublicKey(key_type.decode("ascii", "replace"), key_blob),
        namespace=namespace.decode("utf-8", "replace"),
        hash_algorithm=hash_algorithm.decode("ascii", "replace"),
        signature_type=sig_type.decode("ascii", "replace"),
        signature=raw,
    )


# ---------------------------------------------------------------------------------------------------------
# In-process ed25519


def load_ed25519_private_key(key_path: Path) -> ed25519.Ed25519PrivateKey | None:
    """The key as an in-process signer when it is an unencrypted ed25519 key; None otherwise (use ssh-keygen)."""
    try:
        key = serialization.load_ssh_private_key(key_path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError):
        return None
    return key if isinstance(key, ed25519.Ed25519PrivateKey) else None


def sign_ed25519(key: ed25519.Ed25519PrivateKey, message: bytes, namespace: str = NAMESPACE) -> str:
    """An armored SSHSIG signature of ``message``, byte-identical to ``ssh-keygen -Y sign -n NAMESPACE``."""
    raw_public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key_blob = _string(_ED25519.encode()) + _string(raw_public)
    signature = key.sign(_signed_data(message, namespace))
    blob = (
        _MAGIC
        + struct.pack(">I", 1)
        + _string(key_blob)
        + _string(namespace.encode())
        + _string(b"")
        + _string(b"sha512")
        + _string(_string(_ED25519.encode()) + _string(signature))
    )
    return armor(blob)


@functools.lru_cache(maxsize=4096)
def _ed25519_public(blob: bytes) -> ed25519.Ed25519PublicKey:
    """The key of a wire blob, made once per key: a ledger holds many entries by few people."""
    raw_public, _ = _read_string(blob, _read_string(blob, 0)[1])
    return ed25519.Ed25519PublicKey.from_public_bytes(raw_public)


def verify_ed25519(parsed: ParsedSignature, message: bytes, namespace: str = NAMESPACE) -> bool:
    """Whether an ed25519 SSHSIG signature is valid for ``message`` under its embedded key and ``namespace``."""
    if parsed.namespace != namespace or parsed.signature_type != _ED25519 or parsed.public_key.key_type != _ED25519:
        return False
    if parsed.hash_algorithm not in {"sha512", "sha256"}:
        return False
    try:
        public = _ed25519_public(parsed.public_key.blob)
        digest = hashlib.sha512(message) if parsed.hash_algorithm == "sha512" else hashlib.sha256(message)
        data = (
            _MAGIC
            + _string(namespace.encode())
            + _string(b"")
            + _string(parsed.hash_algorithm.encode())
            + _string(digest.digest())
        )
        public.verify(parsed.signature, data)
    except (InvalidSignature, ValueError, struct.error):
        return False
    return True


# ---------------------------------------------------------------------------------------------------------
# ssh-keygen


def _ssh_keygen(args: list[str], *, stdin: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(["ssh-keygen", *args], input=stdin or b"", capture_output=True, timeout=60, check=False)
    except FileNotFoundError:
        raise ToolError("ssh-keygen is not installed (Debian: apt-get install openssh-client)") from None
    result = subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")
    )
    if check and result.returncode != 0:
        raise SignatureError(f"ssh-keygen {' '.join(args[:2])} failed: {result.stderr.strip()}")
    return result


def sign_with_ssh_keygen(key_path: Path, message: bytes, namespace: str = NAMESPACE) -> str:
    """Sign with ``ssh-keygen -Y sign -n NAMESPACE -f KEY`` (any key type; a ``.pub`` with an agent works too)."""
    with tempfile.TemporaryDirectory(prefix="govcloud-sign-") as tmp:
        data = Path(tmp) / "message"
        data.write_bytes(message)
        done = _ssh_keygen(["-Y", "sign", "-n", namespace, "-f", str(key_path), str(data)], check=False)
        signature = data.with_name("message.sig")
        if done.returncode != 0 or not signature.exists():
            raise SignatureError(f"{key_path}: ssh-keygen could not sign: {done.stderr.strip() or 'no signature'}")
        return signature.read_text(encoding="ascii")


def sign(key_path: Path, message: bytes, namespace: str = NAMESPACE) -> str:
    """Sign ``message`` with the key at ``key_path``: in-process for unencrypted ed25519 keys, else ssh-keygen."""
    if not key_path.exists():
        raise SignatureError(f"{key_path}: no such key file")
    key = load_ed25519_private_key(key_path)
    if key is not None:
        return sign_ed25519(key, message, namespace)
    return sign_with_ssh_keygen(key_path, message, namespace)


@dataclasses.dataclass(frozen=True)
class AllowedSigner:
    principal: str
    key: PublicKey
    valid_after: str | None = None
    """``YYYYMMDD`` from which the key may sign."""
    valid_before: str | None = None


def allowed_signers_text(signers: Iterable[AllowedSigner], namespace: str = NAMESPACE) -> str:
    """An allowed-signers file (``ssh-keygen(1)`` ALLOWED SIGNERS) for these principals and keys."""
    lines = []
    for signer in signers:
        options = [f'namespaces="{namespace}"']
        if signer.valid_after:
            options.append(f'valid-after="{signer.valid_after}"')
        if signer.valid_before:
            options.append(f'valid-before="{signer.valid_before}"')
        lines.append(f"{signer.principal} {','.join(options)} {signer.key.openssh}")
    return "\n".join(lines) + ("\n" if lines else "")


def verify_with_ssh_keygen(
    *,
    allowed_signers: Path,
    principal: str,
    signature: str,
    message: bytes,
    namespace: str = NAMESPACE,
    verify_time: str | None = None,
) -> bool:
    """``ssh-keygen -Y verify``: whether ``principal`` (per the allowed-signers file) signed ``message``."""
    fd, sig_path = tempfile.mkstemp(prefix="govcloud-verify-", suffix=".sig")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(signature)
        args = ["-Y", "verify", "-f", str(allowed_signers), "-I", principal, "-n", namespace, "-s", sig_path]
        if verify_time is not None:
            args += ["-O", f"verify-time={verify_time}"]
        done = _ssh_keygen(args, stdin=message, check=False)
        return done.returncode == 0
    finally:
        os.unlink(sig_path)
