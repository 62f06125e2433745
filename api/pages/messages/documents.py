"""Messages of the printed documents and the public certificate check (issue 22, item 5):
key -> (zh-CN, English)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "documents.declaration_pdf": ("打印申报表（PDF）", "Print the declaration form (PDF)"),
    "documents.certificate_pdf": ("打印荣誉证书（PDF）", "Print the certificate (PDF)"),
    "documents.decision_pdf": ("打印表彰决定（PDF）", "Print the commendation decision (PDF)"),
    "documents.certificate": ("证书", "Certificate"),
    "verify.title": ("荣誉证书查验", "Verify a certificate"),
    "verify.intro": (
        "输入荣誉证书上的验证码（形如 LRL-XXXX-XXXX-XXXX），查验证书是否由本系统颁发、是否仍然有效。",
        "Type the verification code printed on a certificate (like LRL-XXXX-XXXX-XXXX) to check "
        "that this system granted it and whether it is still in force.",
    ),
    "verify.code": ("验证码", "Verification code"),
    "verify.submit": ("查验", "Verify"),
    "verify.valid": ("证书有效", "The certificate is valid"),
    "verify.revoked": ("该荣誉称号已撤销", "This title was revoked"),
    "verify.revoked_on": ("撤销日期", "Revoked on"),
    "verify.cause": ("撤销原因", "Cause"),
    "verify.not_found": (
        "没有荣誉称号使用该验证码，请核对后重试。",
        "No title carries this code: check it and try again.",
    ),
    "verify.throttled": (
        "查验过于频繁，请 {seconds} 秒后重试。",
        "Too many checks: try again in {seconds} s.",
    ),
    "verify.holder": ("持证者", "Holder"),
    "verify.honour": ("荣誉称号", "Title"),
    "verify.campaign": ("评选活动", "Campaign"),
    "verify.organiser": ("颁发单位", "Granted by"),
    "verify.granted_on": ("颁发日期", "Granted on"),
    "verify.how": (
        "验证码由事件日志中该称号的“表彰”事件推导而来，"
        "审计人员可据审计导出文件独立复核（见文档 documents.md）。",
        "The code is derived from the title's Commended event in the event log; an auditor can "
        "recompute it from the audit export (see documents.md).",
    ),
}
