"""Messages of the inspection teams (考核验收组, issue 22 items 1-3): key -> (zh-CN, English)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "teams.title": ("考核验收组", "Inspection teams"),
    "teams.intro": (
        "只有申报所分配考核组的成员可以考核；成员所在单位为被申报对象或申报单位、或其在组织单位以下的上级时自动回避。",
        "Only members of the team a nomination is assigned to inspect it; a member whose home "
        "unit is the nominee's, the declaring unit, or one above them below the organiser is "
        "recused automatically.",
    ),
    "teams.none": ("尚未组建考核组：所有考核人均可考核。", "No teams yet: every inspector may inspect."),
    "teams.held": ("负责 {n} 个申报", "holds {n} nomination(s)"),
    "teams.member": ("成员", "Member"),
    "teams.home_unit": ("所在单位", "Home unit"),
    "teams.remove": ("移出", "Remove"),
    "teams.leader": ("组长", "leader"),
    "teams.named": ("（具名成员，无令牌）", "(named, no token)"),
    "teams.add": ("增补成员", "Add members"),
    "teams.members": ("成员", "Members"),
    "teams.members_hint": (
        "每行一人：令牌编号；令牌编号@单位代码（成员来自其他单位）；姓名@单位代码（无令牌的具名人员）。",
        "One per line: a token id; TOKEN@unit-code (a member from another unit); "
        "NAME@unit-code (a named person without a token).",
    ),
    "teams.new_leader": ("更换组长（令牌编号，可空）", "New leader (token id, optional)"),
    "teams.reason": ("理由", "Reason"),
    "teams.change": ("调整考核组", "Change the team"),
    "teams.form": ("组建考核组", "Form a team"),
    "teams.name": ("组名", "Name"),
    "teams.team_id": ("编号（可空）", "Id (optional)"),
    "teams.team_id_hint": (
        "小写字母、数字和“-”；不填则为 team-序号。",
        "Lower-case letters, digits, '-'; team-<n> if empty.",
    ),
    "teams.leader_token": ("组长令牌编号", "Leader's token id"),
    "teams.form_submit": ("组建", "Form"),
    "teams.formed": ("考核组已组建", "Team formed"),
    "teams.changed": ("考核组已调整", "Team changed"),
    "teams.assignments": ("分配考核组", "Assignments"),
    "teams.auto_intro": (
        "自动分配：已通过初审、尚未考核且未分配的申报，按申报顺序分给无成员回避、负责数最少的考核组；无组可分的申报列出原因。",
        "Automatic: the admitted, not yet inspected, unassigned nominations, in declaration "
        "order, each to the team with no recused member holding fewest; those no team can "
        "take are listed with the reasons.",
    ),
    "teams.all_categories": ("全部类别", "All categories"),
    "teams.auto": ("自动分配", "Assign automatically"),
    "teams.auto_done": ("已分配 {n} 个，{m} 个无组可分", "{n} assigned, {m} could go to no team"),
    "teams.nominee": ("申报对象", "Nominee"),
    "teams.state": ("状态", "State"),
    "teams.team": ("考核组", "Team"),
    "teams.recused": ("回避成员", "Recused members"),
    "teams.unassigned": ("未分配", "unassigned"),
    "teams.reassign": ("分配或改派", "Assign or reassign"),
    "teams.reassign_hint": (
        "改派须说明理由；原考核组已考核的不能改派。",
        "A reassignment needs a reason; none once the old team has inspected.",
    ),
    "teams.assign": ("分配", "Assign"),
    "teams.assigned": ("已分配", "Assigned"),
    "teams.rule_recusal_own_unit": ("本单位", "own unit"),
    "teams.rule_recusal_ancestor": ("上级单位", "unit above"),
    "teams.rule_recusal_declared_conflict": ("声明利益冲突", "declared conflict"),
    "teams.normalisation": ("得分标准化", "Score normalisation"),
    "teams.normalisation_intro": (
        "按考核组标准化（Z 分数）：各组得分减去本组均值、除以本组标准差，"
        "再换算回全体的均值和标准差后排名；不足 3 个得分的组保持原始得分。",
        "Per team (z-scores): each team's scores less its mean, divided by its standard "
        "deviation, mapped back to the overall mean and deviation before ranking; a team with "
        "fewer than 3 scores keeps its raw scores.",
    ),
    "teams.normalisation_now": ("当前：", "Now: "),
    "teams.normalisation_set_button": ("保存", "Save"),
    "teams.normalisation_set": ("得分标准化方式已保存", "Score normalisation saved"),
    "teams.link": ("考核验收组", "Inspection teams"),
    "teams.new_name": ("更改组名（可空）", "New name (optional)"),
    "teams.disband": ("撤销考核组", "Disband the team"),
    "teams.disband_hint": (
        "仍有未办结申报分配给本组时不能撤销，请先改派。",
        "Refused while an open nomination is assigned to the team: reassign it first.",
    ),
    "teams.disbanded": ("考核组已撤销", "Team disbanded"),
    "teams.conflict": ("声明利益冲突（回避）", "Declare a conflict of interest"),
    "teams.conflict_hint": (
        "成员须在考核该申报前声明；办结（已表彰、已结束）的申报不能再声明。",
        "Declared before the member inspects the nomination, and only while it is open.",
    ),
    "teams.conflict_submit": ("记录", "Record"),
    "teams.conflict_recorded": (
        "利益冲突已记录，该成员回避",
        "Conflict recorded: the member is recused",
    ),
    "teams.inspect_member": ("考核人", "Inspection by"),
    "teams.inspect_member_hint": (
        "组长可代本组无令牌的具名成员录入考核。",
        "The leader records the inspection of a named member without a token.",
    ),
    "teams.inspect_myself": ("本人", "Myself"),
    "teams.raw_score": ("原始得分 {score}", "raw {score}"),
    "teams.ranked_by_team_z": (
        "按考核组标准化后的得分排名（各组 Z 分数换算回全体均值与标准差），原始得分列于其下。",
        "Ranked by the per-team normalised score (each team's z-scores mapped back to the "
        "overall mean and spread); the raw score is shown below it.",
    ),
}
