"""The CJK font the HTML report embeds: found on this machine, cut down to the characters the report uses. Edge.

A report opened on a machine without CJK fonts (a fresh Debian, many Linux desktops, a print server) draws
every Chinese character as a box. So the HTML carries its own font: a subset of Noto Sans CJK SC (Debian's
``fonts-noto-cjk``) holding exactly the characters the document uses, as WOFF2 (fontTools with brotli),
typically a few tens of kilobytes. Noto Sans CJK is under the SIL Open Font License 1.1, which allows embedding
a subset in a document; the HTML says so in a comment next to the font.

The font is found by the setting ``reports.cjk_font``, else ``fc-match`` for Noto Sans CJK SC, else the paths
Debian and other distributions install it to.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import subprocess
from collections.abc import Iterable
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

from govcloud.core.settings import ReportSettings
from govcloud.errors import InputError, Problem

FAMILY = "Noto Sans CJK SC"
KNOWN_PATHS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf"),
)
LICENCE = (
    "Noto Sans CJK SC, subset to the characters of this report. Copyright 2014-2021 Adobe, "
    "with Reserved Font Name 'Source'. Licensed under the SIL Open Font License 1.1, which allows embedding "
    "the font, or a subset of it, in documents."
)
"""Said in the HTML's comment beside the embedded font."""
_PROBE = "中"


@dataclasses.dataclass(frozen=True)
class FontSource:
    """A font file and, in a collection (.ttc), the number of the face to use."""

    path: Path
    number: int = 0


@dataclasses.dataclass(frozen=True)
class EmbeddedFont:
    """A WOFF2 subset ready for a CSS ``@font-face``."""

    family: str
    woff2: bytes
    characters: int
    source: Path
    licence: str = LICENCE

    def data_url(self) -> str:
        return "data:font/woff2;base64," + base64.b64encode(self.woff2).decode("ascii")


def find_cjk_font(configured: str | None) -> FontSource | None:
    """The CJK font to embed; None when this machine has none. A configured path that is missing is an error."""
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise InputError(
                [Problem("settings.yaml", None, "reports.cjk_font", f"no font file at {path}")], "no CJK font"
            )
        return _choose_face(path)
    for candidate in (*_fc_match(), *KNOWN_PATHS):
        if candidate.is_file():
            found = _choose_face(candidate)
            if found is not None:
                return found
    return None


def _fc_match() -> list[Path]:
    try:
        result = subprocess.run(
            ["fc-match", "--format=%{file}", f"{FAMILY}:lang=zh-cn"],
            check=False,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return []
    return [Path(result.stdout.strip())] if result.returncode == 0 and result.stdout.strip() else []


def _choose_face(path: Path) -> FontSource | None:
    """The Simplified Chinese face of a collection (else its first CJK face); None if no face draws 中."""
    if path.suffix.lower() in {".ttc", ".otc"}:
        collection = TTCollection(str(path), lazy=True)
        faces = [(number, font) for number, font in enumerate(collection.fonts) if _draws_cjk(font)]
        for number, font in faces:
            if "SC" in _family_of(font).split():
                return FontSource(path, number)
        return FontSource(path, faces[0][0]) if faces else None
    return FontSource(path) if _draws_cjk(TTFont(str(path), lazy=True)) else None


def _family_of(font: TTFont) -> str:
    name = font["name"].getDebugName(1)
    return str(name or "")


def _draws_cjk(font: TTFont) -> bool:
    cmap = font.getBestCmap() or {}
    return ord(_PROBE) in cmap


def subset_font(source: FontSource, characters: Iterable[str], *, family: str = "govcloud CJK") -> EmbeddedFont:
    """A WOFF2 subset of ``source`` holding exactly ``characters`` (those the font has)."""
    wanted = sorted({c for c in characters if not c.isspace() or c == " "})
    options = subset.Options()
    options.flavor = "woff2"
    options.font_number = source.number
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = subset.load_font(str(source.path), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(wanted))
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    return EmbeddedFont(family=family, woff2=buffer.getvalue(), characters=len(wanted), source=source.path)


NO_FONT_WARNING = (
    "no CJK font found to embed (apt-get install fonts-noto-cjk, or set reports.cjk_font in settings.yaml): "
    "the HTML names system fonts only, and a machine without Chinese fonts draws boxes"
)


def font_to_embed(settings: ReportSettings) -> FontSource | None:
    """The font the settings ask to embed (None: embedding is off, or this machine has no CJK font)."""
    if not settings.embed_font:
        return None
    return find_cjk_font(settings.cjk_font)
