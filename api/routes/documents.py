"""The printed documents (issue 22, item 5) as PDF: a nomination's 申报表 and, for a title in
force, its 荣誉证书; a campaign's 表彰决定 — each read like the record it prints. And the
public check of a certificate's verification code. docs/documents.md."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from api import documents, problems
from api.deps import CurrentActor, ServicesDep
from api.schemas import TitleVerification

router = APIRouter(prefix="/v1", tags=["documents"])
# Outside the token: a certificate's holder shows it to anyone, who checks it here.
public_router = APIRouter(prefix="/v1", tags=["documents"])


def stated(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {problems.MEDIA_TYPE: {"schema": problems.PROBLEM_REFERENCE}},
    }


PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {documents.PDF: {}}, "description": "the PDF (A4, the CJK font embedded)"},
    **problems.responses(409),
    503: stated("no CJK font to embed is installed on the server / 服务器未安装可嵌入的中文字体"),
}
VERIFY_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: stated("no title carries this code / 验证码不存在"),
    422: stated("the request is not valid / 请求格式不正确"),
    429: stated("too many checks from this address (see Retry-After) / 查验过于频繁"),
}


def pdf(printed: documents.Printed) -> Response:
    return Response(
        printed.data,
        media_type=documents.PDF,
        headers={
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(printed.filename)}",
            "Cache-Control": "private, no-cache",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get(
    "/nominations/{nomination_id}/declaration.pdf",
    response_class=Response,
    responses=PDF_RESPONSE,
    summary="The 申报表 of a nomination as PDF / 打印申报表",
)
def declaration_pdf(nomination_id: str, services: ServicesDep, actor: CurrentActor) -> Response:
    nomination = services.app.access.readable_nomination(nomination_id, actor)
    return pdf(documents.declaration(services, nomination, actor))


@router.get(
    "/nominations/{nomination_id}/certificate.pdf",
    response_class=Response,
    responses=PDF_RESPONSE,
    summary="The 荣誉证书 of a title in force, with its verification code / 打印荣誉证书",
)
def certificate_pdf(nomination_id: str, services: ServicesDep, actor: CurrentActor) -> Response:
    nomination = services.app.access.readable_nomination(nomination_id, actor)
    return pdf(documents.certificate(services, nomination))


@router.get(
    "/campaigns/{campaign_id}/decision.pdf",
    response_class=Response,
    responses=PDF_RESPONSE,
    summary="The 表彰决定 of a campaign as PDF / 打印表彰决定",
)
def decision_pdf(campaign_id: str, services: ServicesDep, actor: CurrentActor) -> Response:
    campaign = services.app.access.readable_campaign(campaign_id, actor)
    return pdf(documents.decision(services, campaign))


@public_router.get(
    "/titles/verify/{code}",
    response_model=TitleVerification,
    responses=VERIFY_RESPONSES,
    summary="Check a certificate's verification code (no token) / 查验荣誉证书验证码",
)
async def verify_title(code: str, request: Request, services: ServicesDep) -> Any:
    """Public: answers what the certificate itself shows (holder, title, organiser, date) and
    whether the title is in force or was revoked (with the date); an unknown code is 404.
    Limited per client address (``LAUREL_VERIFY_LIMIT``, 60 a minute by default)."""
    retry_after = documents.throttle(request)
    if retry_after is not None:
        response = problems.problem(
            429,
            "too-many-requests",
            "Too many checks",
            f"too many verification checks from this address; retry in {retry_after} s",
            request,
            detail_zh=f"查验次数过多，请 {retry_after} 秒后重试",
        )
        response.headers["Retry-After"] = str(retry_after)
        return response
    found = await run_in_threadpool(documents.verify, services, code[:64])
    return found.public()
