"""Messages of the inbox pages (站内消息, issue 24): key -> (zh-CN, English). The kinds of notice
and the delivery modes are terms of the domain (``domain/notifications/kinds.py``)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "nav.inbox": ("消息", "Inbox"),
    "nav.unread": ("{n} 条未读", "{n} unread"),
    "inbox.title": ("我的消息", "My notices"),
    "inbox.intro": (
        "系统发给您的通知：截止提醒、初审结果、退回修改、考核安排等。标为已读后仍可在此查看。",
        "What Laurel told you: deadlines, pre-review outcomes, returns for amendment, "
        "inspections and more. A notice marked read stays here.",
    ),
    "inbox.unread_count": ("未读 {n} 条", "{n} unread"),
    "inbox.all": ("全部", "All"),
    "inbox.unread_only": ("仅未读", "Unread only"),
    "inbox.filter": ("筛选", "Show"),
    "inbox.none": ("暂无消息。", "No notice yet."),
    "inbox.none_unread": ("没有未读消息。", "No unread notice."),
    "inbox.kind": ("类别", "Kind"),
    "inbox.subject": ("主题", "Subject"),
    "inbox.received": ("收到时间", "Received"),
    "inbox.state": ("状态", "State"),
    "inbox.unread": ("未读", "Unread"),
    "inbox.read": ("已读", "Read"),
    "inbox.mandatory": ("必收", "Mandatory"),
    "inbox.show_body": ("查看全文", "Show full text"),
    "inbox.other_language": ("English", "中文"),
    "inbox.mark_read": ("标为已读", "Mark read"),
    "inbox.mark_all_read": ("全部标为已读", "Mark all read"),
    "inbox.marked": ("已标为已读。", "Marked read."),
    "inbox.marked_all": ("已将 {n} 条消息标为已读。", "{n} notice(s) marked read."),
    "inbox.older": ("更早的消息", "Older notices"),
    "inbox.newest": ("回到最新", "Back to the newest"),
    "inbox.preferences": ("接收方式", "How notices reach you"),
    "inbox.preferences_intro": (
        "按消息类别选择：即时邮件、每日汇总或不接收。除设为“不接收”的类别外，所有消息都会显示在站内消息中。"
        "初审未通过、退回修改、撤销荣誉为必收消息，不能设为不接收。",
        "For each kind of notice: an e-mail at once, the daily digest, or muted. The inbox shows "
        "every kind not muted. Rejections, returns for amendment and revocations cannot be muted.",
    ),
    "inbox.preferences_token": (
        "您的令牌尚未关联具体联系人，只能在站内查看消息；如需邮件通知，请联系管理员为令牌关联联系人。",
        "This token isn't linked to a person, so notices appear only here. To receive e-mail, "
        "ask your administrator to link it to a contact.",
    ),
    "inbox.preferences_token_intro": (
        "按消息类别选择在站内显示或不接收。初审未通过、退回修改、撤销荣誉为必收消息，始终显示。",
        "For each kind of notice: shown here, or muted. Rejections, returns for amendment and "
        "revocations are always shown.",
    ),
    "inbox.preferences_person": (
        "邮件发送给：{name}（{email}）。",
        "E-mail goes to {name} at {email}.",
    ),
    "inbox.mode_inbox": ("在站内显示", "Shown here"),
    "inbox.always_shown": ("始终显示", "Always shown"),
    "inbox.choice": ("接收方式", "How"),
    "inbox.save_preferences": ("保存接收方式", "Save"),
    "inbox.preferences_saved": ("接收方式已保存。", "Your choices are saved."),
    "inbox.concerning": ("对象", "Concerning"),
    "inbox.unit_feed": ("本单位消息动态", "My unit's feed"),
    "inbox.unit_contacts": ("本单位联系人", "My unit's contacts"),
    "feed.title": ("{unit}消息动态", "{unit}: notices"),
    "feed.intro": (
        "与本单位有关的全部通知（含发给本单位各人员的），最新的在前。",
        "Every notice concerning this unit (to any of its people), newest first.",
    ),
    "feed.none": ("暂无与本单位有关的消息。", "No notice concerning this unit yet."),
    "feed.when": ("发生时间", "Occurred"),
    "feed.subject_id": ("对象", "Concerning"),
    "feed.older": ("更早的动态", "Older"),
}
