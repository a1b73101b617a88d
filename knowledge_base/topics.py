"""Topic and meta intent names of ``contracts/topics.yml`` (contract 1).

Kept in code so that production images need no ``shared/`` folder; a test checks that these
names are exactly the contract's.
"""

from __future__ import annotations

TOPICS: tuple[str, ...] = (
    "consult_pension",
    "consult_unemployment",
    "consult_injury",
    "consult_social_insurance",
    "consult_social_security_card",
    "consult_employment",
    "consult_labor_relations",
    "consult_talent",
    "consult_skills",
    "other_department",
)
META_INTENTS: tuple[str, ...] = ("greet", "goodbye", "thank", "affirm", "deny", "request_human", "out_of_scope")
CONTRACT_INTENTS: tuple[str, ...] = TOPICS + META_INTENTS

TOPIC_LABELS: dict[str, str] = {
    "consult_pension": "养老保险",
    "consult_unemployment": "失业保险",
    "consult_injury": "工伤保险",
    "consult_social_insurance": "社保参保缴费与转移接续",
    "consult_social_security_card": "社会保障卡",
    "consult_employment": "就业创业",
    "consult_labor_relations": "劳动关系",
    "consult_talent": "人事人才",
    "consult_skills": "职业技能",
    "other_department": "其他部门事项",
}
