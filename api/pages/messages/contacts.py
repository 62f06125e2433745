"""Messages of the contacts pages (联系人, issue 24): key -> (zh-CN, English). Roles are terms of
the domain (``domain/vocabulary.py``)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "contacts.title": ("{unit}联系人", "{unit}: contacts"),
    "contacts.intro": (
        "联系人是接收本单位通知邮件的人员。姓名、邮箱和电话属于个人信息，仅本单位及上级单位的管理员"
        "和本人可以查看，不会出现在对外推送（webhook）和审计导出中。",
        "Contacts are the people this unit's notices reach by e-mail. Their name, e-mail and "
        "phone are personal: only the admins of this unit and of the units above it, and the "
        "person, see them; webhooks and the audit export never carry them.",
    ),
    "contacts.hidden": (
        "联系人信息仅管理员和本人可见；您仍可以为本单位新增联系人。",
        "Contacts are shown to admins and to the person only; you may still add one for your unit.",
    ),
    "contacts.none": ("尚无联系人。", "No contact yet."),
    "contacts.name": ("姓名", "Name"),
    "contacts.role": ("角色", "Role"),
    "contacts.email": ("电子邮箱", "E-mail"),
    "contacts.phone": ("电话", "Phone"),
    "contacts.phone_hint": ("暂不发送短信，仅作记录。", "Kept for later: nothing is sent to it yet."),
    "contacts.role_hint": (
        "决定此人接收哪些通知（如申报人收到初审结果，初审人收到待审提醒）。",
        "Decides which notices reach the person (a declarer hears of pre-review outcomes, a "
        "reviewer of what waits for review).",
    ),
    "contacts.actions": ("操作", "Actions"),
    "contacts.add": ("新增联系人", "Add a contact"),
    "contacts.add_submit": ("新增", "Add"),
    "contacts.added": ("联系人已新增。", "The contact is added."),
    "contacts.edit": ("修改", "Edit"),
    "contacts.edit_submit": ("保存修改", "Save"),
    "contacts.changed": ("联系人已修改。", "The contact is changed."),
    "contacts.remove": ("删除此联系人", "Remove this contact"),
    "contacts.remove_note": (
        "删除后此人不再收到本单位通知，其个人信息将被清除。",
        "Once removed, the person no longer receives this unit's notices and their personal "
        "details are erased.",
    ),
    "contacts.remove_submit": ("删除", "Remove"),
    "contacts.back_unit": ("← 返回{unit}联系人", "← Back to {unit}'s contacts"),
    "contacts.choose_role": ("请选择", "Choose…"),
    "contacts.children": ("下级单位联系人", "Contacts of the units below"),
    "contacts.children_intro": (
        "您也管理以下下级单位的联系人：",
        "You also manage the contacts of the units below:",
    ),
    "contacts.choose_intro": (
        "选择要查看和管理联系人的单位（您管辖范围内的单位）。",
        "Choose the unit whose contacts to show and manage (a unit within your reach).",
    ),
    "contacts.removed": (
        "联系人已删除，其个人信息已清除。",
        "The contact is removed and its details erased.",
    ),
    "contacts.choose_unit": ("选择单位", "Choose a unit"),
    "contacts.unit_code": ("单位", "Unit"),
    "contacts.open": ("查看联系人", "Show contacts"),
    "contacts.back_inbox": ("返回我的消息", "Back to my notices"),
}
