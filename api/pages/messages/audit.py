"""Messages of the audit pages (审计): key -> (zh-CN, English). States, roles and events are the
vocabulary's (``domain/vocabulary.py``, the events' classes)."""

MESSAGES: dict[str, tuple[str, str]] = {
    # the auditor's home
    "audit.title": ("审计", "Audit"),
    "audit.intro": (
        "查看任一申报的全过程记录（可回看任一时刻的状态）、任一时刻的活动看板、审计哈希链的校验结果与签名检查点，并导出审计日志。",
        "Read any nomination's timeline (as it stood at any moment), a dashboard as of any "
        "moment, the audit chain's verification and signed checkpoints, and export the log.",
    ),
    "audit.campaigns": ("可查看的评选活动", "Campaigns you may read"),
    "audit.none": ("暂无可查看的评选活动。", "No campaign you may read."),
    "audit.nominations": ("申报与全过程记录", "Nominations and timelines"),
    "audit.dashboard_now": ("当前看板", "Dashboard now"),
    "audit.chain": ("审计哈希链", "The audit chain"),
    "audit.chain_loading": ("正在校验哈希链……", "Verifying the chain…"),
    "audit.chain_open": (
        "校验哈希链并查看签名检查点",
        "Verify the chain and see its signed checkpoints",
    ),
    "audit.chain_scoped": (
        "哈希链校验、签名检查点和完整日志的导出仅对不限单位（根级）的审计员和管理员开放；"
        "您的令牌限于「{unit}」，可导出本单位及下级单位的事件。",
        "The chain's verification, its signed checkpoints and the whole log's export are for "
        "auditors and admins of the root (no unit); your token is scoped to {unit}: you may "
        "export the events of its subtree.",
    ),
    "audit.export": ("导出审计日志（JSON Lines）", "Export the audit log (JSON Lines)"),
    "audit.export_scoped": (
        "导出本单位及下级单位的事件（JSON Lines）",
        "Export your subtree's events (JSON Lines)",
    ),
    "audit.export_hint": (
        "每行一个 JSON 对象：序号、事件编号、类型、对象、版本、时间、前一哈希、哈希及数据。",
        "One JSON object per line: position, event id, type, subject, version, time, previous hash, "
        "hash and data.",
    ),
    # the chain
    "audit.status": ("校验结果", "Verification"),
    "audit.ok": ("完整：哈希链与存储的事件一致", "Intact: the chain matches the stored events"),
    "audit.bad": ("不一致：哈希链已被破坏", "Broken: the chain does not match"),
    "audit.checked": ("已校验事件数", "Events checked"),
    "audit.head": ("链头哈希", "Head hash"),
    "audit.pending": ("尚未入链的事件", "Events not yet chained"),
    "audit.compared": ("比对的签名检查点", "Signed checkpoints compared"),
    "audit.first_bad": ("首个不一致的位置", "First position that does not match"),
    "audit.problem": ("问题", "Problem"),
    "audit.contradicted": ("与哈希链矛盾的检查点", "Checkpoint the chain contradicts"),
    "audit.invalid_checkpoints": ("签名不可信的检查点", "Checkpoints whose signature fails"),
    "audit.checkpoints": ("签名检查点", "Signed checkpoints"),
    "audit.checkpoints_none": ("尚无签名检查点。", "No signed checkpoint yet."),
    "audit.position": ("位置", "Position"),
    "audit.hash": ("哈希", "Hash"),
    "audit.signed_at": ("签名时间（UTC）", "Signed at (UTC)"),
    "audit.key_id": ("密钥标识", "Key id"),
    "audit.logged_position": ("检查点事件的位置", "Position of its own event"),
    "audit.signing_key": ("本实例的签名公钥", "This instance's signing key"),
    "audit.no_key": ("未配置签名密钥。", "No signing key is configured."),
    "audit.back": ("返回审计", "Back to audit"),
    # a campaign
    "audit.campaign_title": ("审计：{name}", "Audit: {name}"),
    "audit.dashboard_as_of": ("查看某一时刻的活动看板", "The dashboard as of a moment"),
    "audit.at": ("日期和时间", "Date and time"),
    "audit.at_hint": ("按活动所在时区（{zone}）填写。", "In the campaign's time zone ({zone})."),
    "audit.open_dashboard": ("打开看板", "Open the dashboard"),
    "audit.filter": ("筛选", "Filter"),
    "audit.any_category": ("全部类别", "All categories"),
    "audit.any_state": ("全部状态", "All states"),
    "audit.declared_at": ("申报时间", "Declared"),
    "audit.open": ("全过程记录", "Timeline"),
    "audit.empty": ("没有符合条件的申报。", "No nomination matches."),
    "audit.more": ("仅显示前 {n} 条，请缩小筛选范围。", "Showing the first {n}: narrow the filters."),
    # a nomination as of an instant
    "audit.as_of_title": ("回看某一时刻", "As of a moment"),
    "audit.show_as_of": ("回看", "Show"),
    "audit.show_now": ("查看当前", "Show now"),
    "audit.as_of_banner": ("以下为 {when}（{zone}）时的状态与记录。", "As it stood at {when} ({zone})."),
    "audit.later": (
        "此后还有 {n} 条记录，未显示。",
        "{n} later event(s) not shown.",
    ),
    "audit.missing": (
        "该申报在 {when} 时尚未提交。",
        "This nomination had not been declared yet at {when}.",
    ),
    "audit.state_now": ("当前状态", "State now"),
    "audit.title_held": ("荣誉称号", "Title"),
    "audit.no_title": ("无", "None"),
}
