"""The layouts (ReportLab): A4 portrait for the 申报表 and the 表彰决定, A4 landscape with a
border for the 荣誉证书. Every piece of text is drawn in the one embedded CJK font (Latin
included), so a PDF needs no font on the reader's machine."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import HRFlowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from api.documents.facts import CertificateFacts, DecisionFacts, DeclarationFacts

RED = colors.HexColor("#b3121b")
GOLD = colors.HexColor("#b8860b")
GREY = colors.HexColor("#555555")
LINE = colors.HexColor("#999999")
NUMERALS = "一二三四五六七八九十"


class Styles:
    def __init__(self, font: str) -> None:
        def style(name: str, size: float, **more: Any) -> ParagraphStyle:
            return ParagraphStyle(
                name, fontName=font, fontSize=size, leading=size * 1.5, wordWrap="CJK", **more
            )

        self.font = font
        self.title = style("title", 20, alignment=TA_CENTER, spaceAfter=2)
        self.subtitle = style("subtitle", 10, alignment=TA_CENTER, textColor=GREY, spaceAfter=10)
        self.heading = style("heading", 12.5, spaceBefore=10, spaceAfter=4)
        self.body = style("body", 10.5, firstLineIndent=21)
        self.plain = style("plain", 10)
        self.cell = style("cell", 9)
        self.small = style("small", 7.5, textColor=GREY)
        self.right = style("right", 11, alignment=TA_RIGHT)
        self.organiser = style("organiser", 22, alignment=TA_CENTER, textColor=RED)


def text(value: str) -> str:
    """Text for a Paragraph (its markup escaped; line breaks kept)."""
    return escape(value).replace("\n", "<br/>")


def grid(rows: Sequence[Sequence[Any]], widths: Sequence[float], font: str, header: bool) -> Table:
    table = Table([list(r) for r in rows], colWidths=list(widths), repeatRows=1 if header else 0)
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("GRID", (0, 0), (-1, -1), 0.4, LINE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f0f0f0")))
    else:
        commands.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f6f6f6")))
    table.setStyle(TableStyle(commands))
    return table


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size:,} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _document(title: str, subject: str, font: str) -> tuple[io.BytesIO, Any]:
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="Laurel",
        subject=subject,
        creator="Laurel (ReportLab)",
        initialFontName=font,  # no unembedded base-14 font named on any page
        invariant=1,
    )
    return out, doc


def _footer(font: str, left: str) -> Callable[[Canvas, Any], None]:
    def draw(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(GREY)
        canvas.drawString(20 * mm, 10 * mm, left)
        canvas.drawRightString(A4[0] - 20 * mm, 10 * mm, f"第 {doc.page} 页 / page {doc.page}")
        canvas.restoreState()

    return draw


def declaration_pdf(facts: DeclarationFacts, font: str) -> bytes:
    """申报表: the nomination as declared, its form, material, files (with their SHA-256), its
    state and history."""
    s = Styles(font)
    footer = _footer(font, f"Laurel · 申报编号 {facts.nomination_id} · 版本 {facts.version}")
    out, doc = _document(f"申报表 {facts.nominee_name}", facts.campaign_zh, font)
    width = doc.width
    P = Paragraph  # noqa: N806
    story: list[Any] = [
        P(text(facts.campaign_zh), s.subtitle),
        P("申 报 表", s.title),
        P(text(f"Declaration form · {facts.campaign_en}"), s.subtitle),
    ]
    info = [
        ("评选活动 Campaign", f"{facts.campaign_zh}\n{facts.campaign_en}"),
        ("组织单位 Organiser", facts.organiser),
        ("评选类别 Category", f"{facts.category_zh}（{facts.category_en}）"),
        ("申报对象 Nominee", facts.nominee_name),
        ("所在单位 Unit", facts.nominee_unit),
        ("申报单位 Declaring unit", facts.declaring_unit),
        ("申报时间 Declared at", facts.declared_at),
        ("当前状态 State", f"{facts.state_zh}（{facts.state_en}）"),
        ("申报编号 Nomination", facts.nomination_id),
    ]
    if facts.code:
        info.append(("证书验证码 Verification code", facts.code))
    story.append(
        grid(
            [(P(text(k), s.cell), P(text(v), s.cell)) for k, v in info],
            (45 * mm, width - 45 * mm),
            font,
            False,
        )
    )
    story.append(P("一、申报表内容 Form", s.heading))
    if facts.fields:
        rows: list[tuple[Any, ...]] = [(P("项目 Item", s.cell), P("填报内容 Value", s.cell))]
        rows += [
            (P(text(f"{zh}\n{en}" if zh != en else zh), s.cell), P(text(v), s.cell))
            for zh, en, v in facts.fields
        ]
        story.append(grid(rows, (70 * mm, width - 70 * mm), font, True))
    else:
        story.append(P("（本类别无申报表字段 / no form fields）", s.plain))
    story.append(P("二、典型材料 Typical material", s.heading))
    for paragraph in facts.material.split("\n"):
        if paragraph.strip():
            story.append(P(text(paragraph.strip()), s.body))
    story.append(P("三、佐证材料 Attachments", s.heading))
    if facts.attachments:
        files: list[tuple[Any, ...]] = [
            (
                P("文件名 Name", s.cell),
                P("大小 Size", s.cell),
                P("类型 Type", s.cell),
                P("SHA-256", s.cell),
            )
        ]
        files += [
            (
                P(text(a.name), s.cell),
                P(human_size(a.size), s.cell),
                P(text(a.media_type), s.cell),
                P(text(a.sha256), s.small),
            )
            for a in facts.attachments
        ]
        story.append(grid(files, (50 * mm, 20 * mm, 30 * mm, width - 100 * mm), font, True))
    else:
        story.append(P("（无 / none）", s.plain))
    story.append(P("四、办理过程 History", s.heading))
    lines: list[tuple[Any, ...]] = [
        (P("时间 Time", s.cell), P("事项 Event", s.cell), P("经办 By", s.cell))
    ]
    lines += [
        (P(text(h.at), s.cell), P(text(f"{h.event_zh} {h.event_en}"), s.cell), P(text(h.who), s.cell))
        for h in facts.history
    ]
    story.append(grid(lines, (32 * mm, 60 * mm, width - 92 * mm), font, True))
    story.append(Spacer(1, 6 * mm))
    story.append(
        P(
            text(
                "本表由 Laurel 依据事件日志生成，内容以系统记录为准。"
                "Generated by Laurel from the event log."
            ),
            s.small,
        )
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def decision_pdf(facts: DecisionFacts, font: str) -> bytes:
    """表彰决定: the organiser's decision naming the commended of each category by rank."""
    s = Styles(font)
    footer = _footer(font, f"Laurel · 表彰决定 · {facts.campaign_id}")
    out, doc = _document(f"表彰决定 {facts.campaign_zh}", facts.campaign_zh, font)
    width = doc.width
    P = Paragraph  # noqa: N806
    story: list[Any] = [
        P(text(facts.organiser), s.organiser),
        HRFlowable(width="100%", thickness=1.5, color=RED, spaceBefore=2),
        Spacer(1, 6 * mm),
        P(text(f"关于{facts.campaign_zh}表彰结果的决定"), s.title),
        P(text(f"Decision on the commendations of {facts.campaign_en}"), s.subtitle),
        P(
            text(
                f"根据{facts.campaign_zh}的安排，经申报、初审、考核验收，按名额择优，"
                f"{facts.organiser}决定对以下 {facts.count} 个对象予以表彰，授予相应荣誉称号。"
                "希望受到表彰的单位和个人珍惜荣誉、再接再厉，充分发挥示范带动作用。"
            ),
            s.body,
        ),
    ]
    for i, (name_zh, name_en, commended) in enumerate(facts.categories):
        numeral = NUMERALS[i] if i < len(NUMERALS) else str(i + 1)
        story.append(P(text(f"{numeral}、{name_zh}（{len(commended)} 个）{name_en}"), s.heading))
        rows: list[tuple[Any, ...]] = [
            (P("名次 Rank", s.cell), P("表彰对象 Commended", s.cell), P("所在单位 Unit", s.cell))
        ]
        rows += [
            (
                P(str(c.rank), s.cell),
                P(text(c.name + ("（已撤销 revoked）" if c.revoked else "")), s.cell),
                P(text(c.unit), s.cell),
            )
            for c in commended
        ]
        story.append(grid(rows, (20 * mm, 70 * mm, width - 90 * mm), font, True))
    story += [Spacer(1, 14 * mm), P(text(facts.organiser), s.right), P(text(facts.decided_on), s.right)]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _paragraph(
    canvas: Canvas, content: str, style: ParagraphStyle, x: float, top: float, width: float
) -> float:
    """Draws wrapped text below ``top``; returns where it ends."""
    paragraph = Paragraph(text(content), style)
    _, used = paragraph.wrapOn(canvas, width, 200 * mm)
    paragraph.drawOn(canvas, x, top - used)
    return float(top - used)


def _qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """A QR code of ``data`` drawn module by module (no font: nothing unembedded is named)."""
    from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel

    code = QRCode(None, QRErrorCorrectLevel.M)
    code.addData(data)
    code.make()
    count = code.getModuleCount()
    cell = size / (count + 2)  # a quiet zone of one module around it
    canvas.saveState()
    canvas.setFillColor(colors.black)
    for row in range(count):
        for col in range(count):
            if code.isDark(row, col):
                canvas.rect(x + (col + 1) * cell, y + size - (row + 2) * cell, cell, cell, 0, 1)
    canvas.restoreState()


def certificate_pdf(facts: CertificateFacts, font: str, base_url: str | None = None) -> bytes:
    """荣誉证书: A4 landscape, a double border, the holder, the title, the organiser and the
    date, and the verification code with the address that checks it."""
    out = io.BytesIO()
    width, height = landscape(A4)
    c = Canvas(out, pagesize=(width, height), invariant=1, initialFontName=font)
    c.setTitle(f"荣誉证书 {facts.holder_name} {facts.category_zh}")
    c.setAuthor("Laurel")
    c.setSubject(f"{facts.campaign_zh} · {facts.code}")
    c.setCreator("Laurel (ReportLab)")
    # the border: a thick red frame, a thin gold one inside
    c.setStrokeColor(RED)
    c.setLineWidth(6)
    c.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    c.setStrokeColor(GOLD)
    c.setLineWidth(1.2)
    c.rect(17 * mm, 17 * mm, width - 34 * mm, height - 34 * mm)
    mid = width / 2
    c.setFillColor(RED)
    c.setFont(font, 46)
    c.drawCentredString(mid, height - 55 * mm, "荣 誉 证 书")
    c.setFillColor(GREY)
    c.setFont(font, 13)
    c.drawCentredString(mid, height - 65 * mm, "Certificate of Honour")
    left, right = 40 * mm, width - 40 * mm
    c.setFillColor(colors.black)
    c.setFont(font, 20)
    c.drawString(left, height - 86 * mm, f"{facts.holder_name}：")
    s = Styles(font)
    body = ParagraphStyle("cert", parent=s.plain, fontSize=16, leading=24, firstLineIndent=32)
    top = _paragraph(c, f"在{facts.campaign_zh}中，被评为", body, left, height - 92 * mm, right - left)
    title = ParagraphStyle(
        "cert-title", parent=s.plain, fontSize=30, leading=38, alignment=TA_CENTER, textColor=RED
    )
    top = _paragraph(c, facts.category_zh, title, left, top - 3 * mm, right - left)
    english = ParagraphStyle("cert-en", parent=s.small, fontSize=10, leading=13, alignment=TA_CENTER)
    top = _paragraph(
        c, f"{facts.category_en} · {facts.campaign_en}", english, left, top - 1 * mm, right - left
    )
    _paragraph(c, "特发此证，以资鼓励。", body, left, top - 4 * mm, right - left)
    c.setFillColor(colors.black)
    c.setFont(font, 16)
    c.drawRightString(right, 50 * mm, facts.organiser)
    c.drawRightString(right, 41 * mm, facts.granted_on)
    # the verification code and where to check it (a QR code of the address, when it is known)
    address = f"{base_url.rstrip('/')}{facts.verify_path}" if base_url else facts.verify_path
    c.setFont(font, 10)
    c.setFillColor(GREY)
    c.drawString(left, 47 * mm, f"证书验证码 Verification code：{facts.code}")
    c.setFont(font, 8)
    c.drawString(left, 41 * mm, f"查验地址 Verify at：{address}")
    c.drawString(left, 35 * mm, f"持证者所在单位 Holder's unit：{facts.holder_unit}")
    if base_url:
        _qr(c, address, mid + 12 * mm, 28 * mm, 24 * mm)
    c.showPage()
    c.save()
    return out.getvalue()
