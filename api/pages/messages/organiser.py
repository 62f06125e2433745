"""Messages of the organiser pages (表彰): key -> (zh-CN, English). States, title statuses and
revocation causes are the vocabulary's (``domain/vocabulary.py``)."""

MESSAGES: dict[str, tuple[str, str]] = {
    # the organiser's home
    "organise.title": ("表彰", "Commendation"),
    "organise.intro": (
        "您组织或代为组织表彰的评选活动：各类别的名额使用情况、排名与表彰、表彰名单和荣誉称号复查结果。",
        "The campaigns you commend for: each category's quota fill, the ranking and commendation, "
        "the commendation list and the titles' re-inspection results.",
    ),
    "organise.none": ("暂无您可以组织表彰的评选活动。", "No campaign you may commend for."),
    "organise.phase": ("表彰阶段", "Commendation phase"),
    "organise.phase_window": ("{opens} 至 {closes}", "{opens} to {closes}"),
    "organise.open_now": ("正在表彰阶段", "Open now"),
    "organise.not_open": ("当前不能表彰", "Cannot commend now"),
    "organise.ranking": ("排名与表彰", "Ranking and commendation"),
    "organise.commendations": ("表彰名单", "Commendation list"),
    "organise.titles": ("荣誉称号与复查结果", "Titles and re-inspection results"),
    "organise.back": ("返回表彰", "Back to commendation"),
    "organise.times_in": ("时间均为 {zone}", "Times in {zone}"),
    # quota fill
    "organise.quota": ("名额", "Quota"),
    "organise.no_quota": ("不限名额", "No fixed quota"),
    "organise.used": ("已占名额", "Places used"),
    "organise.active": ("有效荣誉称号", "Active titles"),
    "organise.revoked_count": ("已撤销的称号", "Revoked titles"),
    "organise.remaining": ("剩余名额", "Places left"),
    "organise.fill_label": ("名额使用 {used} / {quota}", "Quota fill {used} / {quota}"),
    "organise.fill_note": (
        "已占名额按已表彰人数计算（含已撤销的称号）：荣誉称号被撤销后，名额不退回。",
        "Places used count every commendation, revoked titles included: a revoked title does not "
        "give its place back.",
    ),
    # the ranking
    "organise.ranking_of": ("{category}：排名", "{category}: ranking"),
    "organise.category_pick": ("类别", "Category"),
    "organise.show": ("显示", "Show"),
    "organise.rank": ("名次", "Rank"),
    "organise.rank_n": ("第{n}名", "#{n}"),
    "organise.score": ("考核得分（各次平均）", "Score (mean of inspections)"),
    "organise.lowest": ("最低一次考核得分", "Lowest inspection score"),
    "organise.declared_at": ("申报时间", "Declared"),
    "organise.standing": ("状态", "Standing"),
    "organise.tie": ("同分排序依据", "Tie-break"),
    "organise.tie_rule": (
        "排序规则：考核得分从高到低；得分相同时，最低一次考核得分高者在前；仍相同，申报时间早者在前；"
        "再相同，按申报编号排序。",
        "Order: score, highest first; on equal scores the higher lowest inspection score first; "
        "then the earlier declaration; then the nomination id.",
    ),
    "organise.tie.lowest_score": (
        "与{place}同分（{score}）：最低一次考核得分较低（{mine}，对方 {theirs}）",
        "Same score as {place} ({score}): lower lowest inspection score ({mine} against {theirs})",
    ),
    "organise.tie.declared_at": (
        "与{place}同分（{score}），最低考核得分也相同：申报较晚（{mine}，对方 {theirs}）",
        "Same score as {place} ({score}) and the same lowest score: declared later ({mine} against "
        "{theirs})",
    ),
    "organise.tie.nomination_id": (
        "与{place}同分，最低考核得分和申报时间也相同：按申报编号排在其后",
        "Same score as {place}, the same lowest score and declaration time: placed after it by "
        "nomination id",
    ),
    "organise.no_tie": ("—", "—"),
    "organise.failed": ("考核未通过", "Did not pass inspection"),
    "organise.eligible": ("可表彰", "Eligible"),
    "organise.preview": ("按名额将获表彰", "Within the quota now"),
    "organise.ranking_empty": ("该类别尚无考核结果。", "No inspection results in this category yet."),
    "organise.ranking_count": ("已考核 {n} 个", "{n} inspected"),
    # commending
    "organise.commend": ("表彰", "Commend"),
    "organise.commend_all": ("按名额全部表彰（择优）", "Commend all within the quota, best first"),
    "organise.commend_chosen": ("表彰勾选的申报", "Commend the ticked nominations"),
    "organise.choose": ("选择", "Choose"),
    "organise.choose_one": ("选择：{name}", "Choose {name}"),
    "organise.chosen_legend": ("要表彰的申报", "Nominations to commend"),
    "organise.commend_hint": (
        "可一次按名额择优全部表彰，也可勾选部分申报：勾选须从排名最前者起连续选择，且不超过剩余名额，"
        "由系统按规则核对。",
        "Commend everyone within the quota at once, or tick some: they must be the best-ranked "
        "not yet commended and fit the places left; the rules check it.",
    ),
    "organise.why_not": ("现在不能表彰：", "You cannot commend now: "),
    "organise.commended": ("已表彰 {n} 个。", "{n} commended."),
    "organise.commended_none": (
        "没有可在名额内表彰的申报，未作任何表彰。",
        "Nobody could be commended within the quota: nothing was recorded.",
    ),
    # the commendation list
    "organise.xlsx": ("下载表彰名单（Excel）", "Download the commendation list (Excel)"),
    "organise.xlsx_category": ("下载本类别名单（Excel）", "Download this category (Excel)"),
    "organise.all_categories": ("全部类别", "All categories"),
    "organise.none_commended": ("该类别尚无表彰。", "Nobody commended in this category yet."),
    "organise.nominee_unit": ("所在单位", "Unit"),
    "organise.commended_at": ("表彰时间", "Commended"),
    "organise.title_status": ("荣誉称号", "Title"),
    "organise.actions": ("操作", "Actions"),
    "organise.revoke": ("撤销荣誉", "Revoke"),
    "organise.revoke_of": ("撤销荣誉：{name}", "Revoke {name}'s title"),
    # revocation
    "organise.revoke_title": ("撤销荣誉称号", "Revoke a title"),
    "organise.revoke_reason": ("撤销理由", "Reason for revoking"),
    "organise.revoke_hint": (
        "理由将记入该申报的全过程记录，审计人员可查。",
        "The reason is recorded in the nomination's timeline, where auditors read it.",
    ),
    "organise.revoke_submit": ("确认撤销", "Revoke the title"),
    "organise.revoked": ("已撤销「{name}」的荣誉称号。", "{name}'s title is revoked."),
    "organise.no_title": (
        "该申报目前没有有效的荣誉称号，无可撤销。",
        "This nomination holds no active title: there is nothing to revoke.",
    ),
    "organise.cannot_revoke": ("您不能撤销此荣誉：", "You may not revoke this title: "),
    "organise.title_facts": ("荣誉称号", "The title"),
    "organise.timeline": ("查看全过程记录", "Open the timeline"),
    # titles and re-inspection
    "organise.granted_at": ("授予时间", "Granted"),
    "organise.reinspection": ("复查情况", "Re-inspection"),
    "organise.next_reinspection": ("下次复查", "Next re-inspection"),
    "organise.due_by": ("复查期限", "Due by"),
    "organise.last_reinspected": ("上次复查", "Last re-inspected"),
    "organise.revoked_at": ("撤销时间", "Revoked"),
    "organise.cause": ("撤销原因", "Cause"),
    "organise.reason": ("理由", "Reason"),
    "organise.re.revoked": ("已撤销", "Revoked"),
    "organise.re.due": ("待复查", "Re-inspection due"),
    "organise.re.passed": ("复查合格", "Passed re-inspection"),
    "organise.re.awaiting": ("有效，待年度复查", "Active, awaiting its yearly re-inspection"),
    "organise.re.not_required": ("有效（无需年度复查）", "Active (no yearly re-inspection)"),
    "organise.any_category": ("全部类别", "All categories"),
    "organise.any_status": ("全部", "All"),
    "organise.filter": ("筛选", "Filter"),
    "organise.titles_none": ("没有符合条件的荣誉称号。", "No title matches."),
    "organise.next_page": ("下一页", "Next page"),
}
