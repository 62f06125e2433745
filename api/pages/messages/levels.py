"""Messages of the pages across levels (择优上报, 上报名额, 荣誉称号登记, 上报来源, 下一年度评选):
key -> (zh-CN, English). Levels, states and roles are the vocabulary's (``domain/vocabulary.py``)."""

MESSAGES: dict[str, tuple[str, str]] = {
    # select and forward (择优上报)
    "levels.forward": ("择优上报", "Select and forward"),
    "levels.forward_intro": (
        "从本级通过考核（含已表彰）的申报中择优上报至上级评选：可勾选上报，也可按上级下达的上报名额从高分到低分上报。",
        "Forward the best of this level's nominations that passed inspection (commended or not) "
        "to the upper level's campaign: the ticked ones, or best first within the forwarding "
        "quota the upper level set.",
    ),
    "levels.parent": ("上级评选", "Upper-level campaign"),
    "levels.no_parent": (
        "本次评选没有上级评选活动，无需上报。",
        "This campaign has no upper-level campaign to forward to.",
    ),
    "levels.quota_for_me": ("上级下达的上报名额", "Forwarding quota from above"),
    "levels.no_limit": ("不限", "No limit"),
    "levels.forwarded_so_far": ("已上报", "Forwarded so far"),
    "levels.left": ("剩余上报名额", "Places left to forward"),
    "levels.eligible_of": ("{category}：可上报的申报", "{category}: nominations that may go up"),
    "levels.eligible_none": (
        "本类别暂无通过考核、可以上报的申报。",
        "No nomination of this category has passed inspection and may go up.",
    ),
    "levels.gone_up": ("已上报的申报", "Already forwarded"),
    "levels.gone_up_to": ("已上报至", "Forwarded to"),
    "levels.would_go": ("按名额将上报", "Goes up within quota"),
    "levels.commended": ("本级已表彰", "Commended here"),
    "levels.passed": ("通过考核", "Passed inspection"),
    "levels.chosen_legend": ("勾选要上报的申报", "Tick the nominations to forward"),
    "levels.choose_one": ("选择上报 {name}", "Forward {name}"),
    "levels.forward_hint": (
        "勾选要上报的申报后点“上报所选”；或点“按名额择优上报”，由系统从高分到低分上报至剩余名额用完。",
        "Tick the nominations and press “Forward the chosen”, or press “Forward the best within "
        "quota” to send the best first until the places left run out.",
    ),
    "levels.forward_chosen": ("上报所选", "Forward the chosen"),
    "levels.forward_best": ("按名额择优上报", "Forward the best within quota"),
    "levels.pick_required": (
        "请勾选要上报的申报，或选择“按名额择优上报”",
        "tick the nominations to forward, or forward the best within quota",
    ),
    "levels.forwarded_flash": ("已上报 {n} 个：{names}。", "{n} forwarded: {names}."),
    "levels.forwarded_none": (
        "没有可上报的申报（或上报名额已用完）。",
        "Nothing was forwarded (none eligible, or no places left).",
    ),
    "levels.why_not": ("当前不能上报：", "Cannot forward now: "),
    "levels.forward_link": ("择优上报", "Select and forward"),
    "levels.quotas_link": ("上报名额", "Forwarding quotas"),
    # forwarding quotas (上报名额)
    "levels.quotas": ("上报名额", "Forwarding quotas"),
    "levels.quotas_intro": (
        "为各下级组织单位、各类别设定可上报的名额；留空表示不限。保存时整表替换原有名额。",
        "Set how many each organiser below may forward in each category; leave a field empty "
        "for no limit. Saving replaces the whole table.",
    ),
    "levels.child_unit": ("下级单位", "Unit below"),
    "levels.quota_of": ("{unit}：{category} 上报名额", "{unit}: forwarding quota for {category}"),
    "levels.reason": ("调整理由", "Reason"),
    "levels.reason_hint": (
        "例如“每县至多上报 2 个”，记入操作记录。",
        "For example “two per county at most”; kept in the record.",
    ),
    "levels.save_quotas": ("保存上报名额", "Save the forwarding quotas"),
    "levels.quotas_saved": ("上报名额已保存。", "The forwarding quotas are saved."),
    "levels.quota_number": (
        "上报名额须为 0 至 10000 的整数，或留空表示不限",
        "a forwarding quota is a whole number from 0 to 10000, or empty for no limit",
    ),
    "levels.no_children": (
        "组织单位下没有下级单位。",
        "The organiser has no unit below it.",
    ),
    "levels.received": ("各下级已上报", "Forwarded by each unit below"),
    "levels.received_none": ("尚未收到下级上报。", "Nothing forwarded from below yet."),
    "levels.count": ("个数", "Count"),
    "levels.child_campaign": ("下级评选", "Campaign below"),
    "levels.why_not_quotas": ("您不能设定上报名额：", "You may not set forwarding quotas: "),
    # provenance (上报来源)
    "levels.provenance": ("上报来源", "Forwarded from"),
    "levels.from_line": (
        "由{unit}「{campaign}」上报，{level}级得分 {score}",
        "Forwarded by {unit} from “{campaign}”, scored {score} at {level} level",
    ),
    "levels.from_line_no_level": (
        "由{unit}「{campaign}」上报，得分 {score}",
        "Forwarded by {unit} from “{campaign}”, scored {score}",
    ),
    "levels.from_line_unscored": (
        "由{unit}「{campaign}」上报",
        "Forwarded by {unit} from “{campaign}”",
    ),
    "levels.commended_below": ("下级已表彰", "Commended below"),
    "levels.not_commended_below": ("下级未表彰，择优上报", "Forwarded without a title below"),
    "levels.source": ("下级申报", "The nomination below"),
    "levels.inspections": ("考核记录", "Inspection record"),
    "levels.inspected_at": ("考核时间", "Inspected"),
    "levels.inspector": ("考核单位", "Inspecting unit"),
    "levels.methods": ("考核方式", "Methods"),
    "levels.weighted": ("得分", "Score"),
    "levels.verdict": ("结论", "Verdict"),
    "levels.notes": ("备注", "Notes"),
    "levels.went_to": ("已上报至上级评选", "Forwarded to the upper level"),
    "levels.went_to_line": ("已上报至「{campaign}」", "Forwarded to “{campaign}”"),
    "levels.target": ("上级申报", "The nomination above"),
    # the title register (荣誉称号登记)
    "levels.titles": ("荣誉称号登记", "Title register"),
    "levels.titles_of": ("{unit}及下属单位所持荣誉称号", "Titles held in {unit} and below"),
    "levels.titles_intro": (
        "跨评选、跨层级的荣誉称号：授予的评选活动及其层级、状态和下次复查期限。",
        "Titles across campaigns and levels: the granting campaign and its level, the status "
        "and the next re-inspection.",
    ),
    "levels.titles_none": ("暂无荣誉称号。", "No titles."),
    "levels.holder": ("持有者", "Holder"),
    "levels.title": ("荣誉称号", "Title"),
    "levels.level": ("授予层级", "Level"),
    "levels.campaign": ("评选活动", "Campaign"),
    "levels.granted_at": ("授予时间", "Granted"),
    "levels.status": ("状态", "Status"),
    "levels.in_force": ("有效", "In force"),
    "levels.revoked": ("已撤销", "Revoked"),
    "levels.next_reinspection": ("下次复查期限", "Next re-inspection by"),
    "levels.with_revoked": ("含已撤销的称号", "Include revoked titles"),
    "levels.show": ("显示", "Show"),
    "levels.any_category": ("全部称号", "Every title"),
    "levels.title_pick": ("荣誉称号", "Title"),
    "levels.register_link": ("荣誉称号登记", "Title register"),
    "levels.more_units": (
        "下属单位较多，只查询了前 {n} 个单位。",
        "Many units below: only the first {n} were searched.",
    ),
    # campaign creation across levels, next year's campaign
    "levels.create_parent": ("同时创建上级评选", "Also create the upper level's campaign"),
    "levels.create_parent_hint": (
        "仅适用于有上级评选模板的模板：{pairs}。上级评选由组织单位的上级单位组织。",
        "Only for templates with an upper-level template: {pairs}. The upper level's campaign "
        "is run by the organiser's superior unit.",
    ),
    "levels.parent_pair": (
        "「{template}」→「{parent}」（{level}）",
        "“{template}” → “{parent}” ({level})",
    ),
    "levels.parent_created": (
        "评选活动已创建，并同时创建了上级评选「{name}」。",
        "The campaign is created, with the upper level's campaign “{name}”.",
    ),
    "levels.next_year": ("创建下一年度评选", "Next year's campaign"),
    "levels.next_year_of": (
        "以「{campaign}」为基础创建下一年度评选",
        "Next year's campaign from “{campaign}”",
    ),
    "levels.next_year_intro": (
        "沿用本次评选的模板、组织单位、类别和名额，各阶段日期顺延一年；需每年复查的荣誉称号将在新评选考核截止前复查。",
        "The same template, organiser, categories and quotas, every phase a year later; the "
        "titles re-inspected every year fall due by the new campaign's inspection deadline.",
    ),
    "levels.next_year_create": ("创建下一年度评选", "Create next year's campaign"),
    "levels.next_year_done": ("下一年度评选已创建。", "Next year's campaign is created."),
    "levels.next_year_exists": (
        "已有以本次评选为基础的下一年度评选：",
        "Next year's campaign from this one exists already: ",
    ),
    "levels.parent_campaign_id": ("上级评选（可选）", "Upper-level campaign (optional)"),
    "levels.parent_none": ("无", "None"),
    "levels.back_campaigns": ("返回评选活动列表", "Back to the campaigns"),
}
