"""Messages of the 公示 pages (issue 23, items 1-2): the public list and objection form, the
receipt page, and the organiser's publicity page with the objections queue. key -> (zh, en)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "publicity.title": ("拟表彰名单公示", "Proposed list (public notice)"),
    "publicity.intro": (
        "以下为拟表彰对象名单，现予公示。公示期内，任何单位和个人对名单有异议的，可通过下方表单实名或匿名反映。",
        "The following are proposed for commendation and are hereby published. During the "
        "period anyone may object to an entry with the form below, named or anonymous.",
    ),
    "publicity.period": ("公示期", "Period"),
    "publicity.period_range": (
        "{start} 至 {end}（{days} 个工作日）",
        "{start} to {end} ({days} working days)",
    ),
    "publicity.open": ("公示中", "Open"),
    "publicity.closed": ("公示期已满", "Closed"),
    "publicity.name": ("对象名称", "Name"),
    "publicity.unit": ("所在单位", "Unit"),
    "publicity.category": ("表彰类别", "Category"),
    "publicity.none": ("暂无公示名单。", "No list is published yet."),
    "publicity.object": ("提出异议", "Object"),
    "publicity.how": (
        "异议须在公示期内提出，写明事实和理由（不超过 2000 字）；可留联系方式以便核实，"
        "联系方式仅组织单位的审核人员可见。提交后获得回执号，凭回执号查询处理状态。",
        "Object during the period, stating the facts and your reasons (2000 characters at most); "
        "a contact, if you leave one, is seen by the organiser's reviewers only. You get a "
        "receipt number to follow the objection with.",
    ),
    "publicity.entry": ("异议对象", "Objection to"),
    "publicity.text": ("异议内容", "What is wrong"),
    "publicity.contact": ("联系方式（选填）", "Contact (optional)"),
    "publicity.evidence": (
        "佐证文件（选填，PDF、图片或 Office 文件）",
        "Evidence file (optional: PDF, image, Office file)",
    ),
    "publicity.website": ("网址（请勿填写）", "Website (leave empty)"),
    "publicity.submit": ("提交异议", "Send the objection"),
    "publicity.throttled": (
        "提交过于频繁，请 {seconds} 秒后重试。",
        "Too many objections: try again in {seconds} s.",
    ),
    "publicity.receipt_title": ("异议处理查询", "Objection status"),
    "publicity.receipt": ("回执号", "Receipt number"),
    "publicity.receipt_keep": (
        "请保存回执号，凭此查询处理状态。",
        "Keep the receipt number: it is how you follow the objection.",
    ),
    "publicity.status": ("处理状态", "Status"),
    "publicity.lodged_at": ("提交时间", "Lodged at"),
    "publicity.decided_at": ("处理时间", "Decided at"),
    "publicity.follow": ("查询", "Look up"),
    "publicity.not_found": (
        "没有该回执号的异议，请核对后重试。",
        "No objection has this receipt: check it.",
    ),
    # the organiser's page
    "publicity.work_title": ("公示与异议处理", "Publicity and objections"),
    "publicity.settings": ("公示设置", "Publicity"),
    "publicity.no_publicity": (
        "本次评选未设置公示：表彰即授予称号。",
        "This campaign has no publicity: commendation grants the titles at once.",
    ),
    "publicity.working_days": ("公示期（工作日）", "Period (working days)"),
    "publicity.public_page": ("公开公示页面", "Public page"),
    "publicity.public_link": ("公示页面", "Public page"),
    "publicity.counts": (
        "拟表彰 {proposed} 个（待发布 {unpublished} 个，公示中 {open} 个，待异议处理 {awaiting} 个）",
        "{proposed} proposed ({unpublished} to publish, {open} in publicity, "
        "{awaiting} awaiting a decision)",
    ),
    "publicity.save": ("保存设置", "Save"),
    "publicity.publish": ("发布拟表彰名单", "Publish the proposed list"),
    "publicity.all_categories": ("全部类别", "All categories"),
    "publicity.reason": ("说明", "Note"),
    "publicity.published": ("已发布公示。", "The list is published."),
    "publicity.queue": ("异议处理", "Objections"),
    "publicity.queue_none": ("暂无异议。", "No objection."),
    "publicity.investigate": ("开始调查核实", "Investigate"),
    "publicity.note": ("核查记录", "Note"),
    "publicity.findings": ("调查核实情况", "Findings"),
    "publicity.uphold": ("异议成立（撤出名单）", "Uphold (withdraw from the list)"),
    "publicity.dismiss": ("异议不成立", "Dismiss"),
    "publicity.decided": ("已处理。", "Decided."),
    "publicity.uphold_hint": (
        "异议成立：该对象撤出拟表彰名单，名额空出，不自动递补；组织单位可在名额内另行表彰。",
        "Upheld: the nominee leaves the list and its slot is free; nobody is promoted "
        "automatically — the organiser may commend again within quota.",
    ),
    "publicity.objector_private": (
        "联系方式属个人信息，仅本单位审核人员和审计人员可见。",
        "The contact is personal data: the organiser's reviewers and auditors only.",
    ),
}
