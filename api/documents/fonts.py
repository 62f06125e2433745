"""The CJK font embedded in every printed document: a TrueType font (ReportLab embeds TrueType
outlines only, not the CFF outlines of Noto CJK's OpenType files), subset to the characters a
document uses.

``LAUREL_PDF_FONT`` names it (``path`` or ``path.ttc#index``); otherwise the first of the
Debian packages' files that exists (``fonts-wqy-microhei``, ``fonts-wqy-zenhei``, which
``scripts/setup`` installs). None found: ``PdfFontMissingError`` naming what to install (the
API answers 503), never a 500."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from domain.errors import PdfFontMissingError

WELL_KNOWN: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),  # Debian/Ubuntu fonts-wqy-microhei
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),  # Debian/Ubuntu fonts-wqy-zenhei
    ("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc", 0),  # Fedora wqy-microhei-fonts
    ("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc", 0),  # Fedora wqy-zenhei-fonts
)
PACKAGE = "fonts-wqy-microhei"

_lock = threading.Lock()
_registered: dict[tuple[str, int], str] = {}


@dataclass(frozen=True)
class FontFile:
    path: Path
    index: int  # the font within a TrueType collection (.ttc)


def parse(setting: str) -> FontFile:
    """``path`` or ``path#index``."""
    path, _, index = setting.strip().partition("#")
    return FontFile(Path(path).expanduser(), int(index) if index.strip().isdigit() else 0)


def locate(setting: str | None) -> FontFile:
    """The font ``LAUREL_PDF_FONT`` names, or the first well-known one present."""
    if setting:
        chosen = parse(setting)
        if not chosen.path.is_file():
            raise PdfFontMissingError(
                f"LAUREL_PDF_FONT names {chosen.path}, which does not exist: set it to a TrueType "
                f"font (.ttf/.ttc) with Chinese glyphs, or unset it and install {PACKAGE}",
                f"LAUREL_PDF_FONT 指定的字体 {chosen.path} 不存在：请指向含中文字形的 TrueType 字体"
                f"（.ttf/.ttc），或取消该设置并安装 {PACKAGE}",
                font=str(chosen.path),
                package=PACKAGE,
            )
        return chosen
    for path, index in WELL_KNOWN:
        if Path(path).is_file():
            return FontFile(Path(path), index)
    raise PdfFontMissingError(
        f"no CJK TrueType font to embed in the PDF: install the Debian package {PACKAGE} "
        f"(apt-get install {PACKAGE}; scripts/setup does) or set LAUREL_PDF_FONT to a .ttf/.ttc",
        f"没有可嵌入 PDF 的中文 TrueType 字体：请安装 {PACKAGE}（apt-get install {PACKAGE}，"
        "scripts/setup 会安装），或将 LAUREL_PDF_FONT 设为一个 .ttf/.ttc 字体文件",
        font=WELL_KNOWN[0][0],
        package=PACKAGE,
    )


def registered(setting: str | None) -> str:
    """The ReportLab name of the located font, registered once per process."""
    font = locate(setting)
    key = (str(font.path), font.index)
    with _lock:
        name = _registered.get(key)
        if name is None:
            from reportlab.pdfbase import pdfmetrics
            from reportlab.pdfbase.ttfonts import TTFError, TTFont

            name = "LaurelCJK-" + hashlib.sha256(f"{key}".encode()).hexdigest()[:8]
            try:
                pdfmetrics.registerFont(TTFont(name, str(font.path), subfontIndex=font.index))
            except TTFError as exc:
                raise PdfFontMissingError(
                    f"{font.path} cannot be embedded ({exc}): ReportLab embeds TrueType outlines "
                    f"only (not CFF/OpenType); install {PACKAGE} "
                    "or point LAUREL_PDF_FONT at a .ttf/.ttc",
                    f"字体 {font.path} 无法嵌入（{exc}）：仅支持 TrueType 字形；请安装 {PACKAGE}"
                    "或将 LAUREL_PDF_FONT 指向 .ttf/.ttc 字体",
                    font=str(font.path),
                    package=PACKAGE,
                ) from exc
            _registered[key] = name
    return name
