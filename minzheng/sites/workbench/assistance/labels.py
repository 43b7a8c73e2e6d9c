"""How the 低保 line's assessment results read on a page (the case page and the roll use them)."""

CLASSIFICATIONS = {
    "dibao": "低保",
    "dibao_single_person": "低保（重病重残成员参照单人户）",
    "dibao_edge": "低保边缘家庭",
    "tekun": "特困人员",
    "rigid_expense": "刚性支出困难家庭",
    "not_eligible": "不符合救助条件",
}
COMPONENTS = {
    "gap": "低保差额",
    "category_topup": "分类施保加发",
    "tekun_basic": "基本生活标准",
    "tekun_care": "照料护理标准",
}
TEKUN_MODES = {"dispersed": "分散供养", "centralised": "集中供养"}
