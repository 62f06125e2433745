"""Messages of the evidence files (佐证材料, issue 22 item 4): key -> (zh-CN, English)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "evidence.title": ("佐证材料", "Evidence files"),
    "evidence.intro": (
        "扫描的申报表、照片、签到表、考核照片和问卷。每个文件按其内容的 SHA-256 保存，下载时校验。",
        "Scanned declaration forms, photos, sign-in sheets, inspection photos and questionnaires. "
        "Each file is kept by the SHA-256 of its content and checked when downloaded.",
    ),
    "evidence.none": ("尚无佐证材料。", "No evidence files yet."),
    "evidence.name": ("文件名", "File"),
    "evidence.kind": ("类别", "Kind"),
    "evidence.kind_declaration": ("申报材料", "Declaration"),
    "evidence.kind_inspection": ("考核材料", "Inspection"),
    "evidence.type": ("类型", "Type"),
    "evidence.size": ("大小", "Size"),
    "evidence.by": ("上传者", "Uploaded by"),
    "evidence.at": ("上传时间", "Uploaded"),
    "evidence.hash": ("哈希（SHA-256）", "SHA-256"),
    "evidence.inspection": ("第 {n} 次考核", "inspection {n}"),
    "evidence.upload": ("上传文件", "Upload a file"),
    "evidence.file": ("文件", "File"),
    "evidence.file_hint": (
        "PDF、JPEG、PNG、WebP 或 XLSX，不超过 {mb} MB；类型按文件内容识别。",
        "PDF, JPEG, PNG, WebP or XLSX, at most {mb} MB; the type is read from the content.",
    ),
    "evidence.inspection_no": ("所属考核（可选，第几次）", "Inspection (optional, which one)"),
    "evidence.send": ("上传", "Upload"),
    "evidence.done": ("文件已上传", "File uploaded"),
    "evidence.already": ("该文件此前已上传，未重复保存", "This file was attached already: kept once"),
    "evidence.back": ("返回申报", "Back to the nomination"),
    "evidence.open": ("佐证材料", "Evidence files"),
}
