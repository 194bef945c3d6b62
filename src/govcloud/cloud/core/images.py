"""The image rule: what a deployable container image reference is. Pure.

One rule, used by the census (the network stage's entry gate), ``govcloud render``'s policies and the Pulumi
policy pack: a workload runs only an image *pinned by digest*, so what was reviewed and scanned is exactly
what runs, and a registry push under the same tag cannot change it. A reference is
``[registry[:port]/]path[:tag]@sha256:<64 hex>``, as the OCI distribution reference grammar writes it.
Refused: no digest (a tag alone is mutable), a digest that is not sha256 with 64 lowercase hex digits, the
tag ``latest`` (even with a digest: it says the author meant "whatever is newest"), and the placeholder that
:mod:`govcloud.cloud.core.desired` derives for a system whose census gives no image (tag
:data:`PLACEHOLDER_TAG`), which exists only for rehearsal renders.
"""

from __future__ import annotations

import re
from typing import Final

PLACEHOLDER_TAG: Final = "placeholder"
"""The tag of the image derived for a system without ``cloud.image``: never deployable."""
DIGEST_ALGORITHM: Final = "sha256"

_COMPONENT: Final = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST_LABEL: Final = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_REGISTRY: Final = rf"(?:{_HOST_LABEL}(?:\.{_HOST_LABEL})*(?::\d+)?)"
_NAME: Final = re.compile(rf"^(?:{_REGISTRY}/)?{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG: Final = re.compile(r"^[\w][\w.-]{0,127}$")
_SHA256: Final = re.compile(r"^[0-9a-f]{64}$")


def split_reference(reference: str) -> tuple[str, str | None, str | None]:
    """``(name, tag, digest)`` of an image reference; tag and digest None when absent (no validation)."""
    rest, _, digest = reference.partition("@")
    # A colon after the last slash separates the tag; one before it is a registry's port.
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        return rest[:colon], rest[colon + 1 :], digest or None
    return rest, None, digest or None


def is_placeholder(reference: str) -> bool:
    """Whether ``reference`` is the derived rehearsal placeholder (tag :data:`PLACEHOLDER_TAG`)."""
    _, tag, _ = split_reference(reference.strip())
    return tag == PLACEHOLDER_TAG


def image_problem(reference: str | None) -> str | None:
    """Why ``reference`` may not run on the shared cloud, or None when it is pinned by digest."""
    if reference is None or not reference.strip():
        return "no image given (the census states cloud.image, pinned by digest)"
    reference = reference.strip()
    name, tag, digest = split_reference(reference)
    if tag == PLACEHOLDER_TAG:
        return f"{reference} is a placeholder (rehearsal only): state the real image, pinned by digest"
    if not _NAME.match(name):
        return f"{reference}: {name!r} is not a valid image name (lowercase path components, optional registry)"
    if tag is not None and not _TAG.match(tag):
        return f"{reference}: {tag!r} is not a valid tag"
    if tag == "latest":
        return f"{reference}: the tag latest says 'whatever is newest': pin a release tag and its digest"
    if digest is None:
        return f"{reference} has no digest: a tag can be moved; pin it as name[:tag]@sha256:<64 hex>"
    algorithm, _, value = digest.partition(":")
    if algorithm != DIGEST_ALGORITHM or not _SHA256.match(value):
        return f"{reference}: the digest must be sha256:<64 lowercase hex digits>"
    return None
