"""The step tables of the procedure: which meeting moves a decision from which status to which.

Village level (四议两公开, domain.md §2.1), the village-group five-step variant (村组联议五步法,
§2.3) and general matters (一般事项, §2.2) each have their own table. Moves that need no meeting
(publishing, starting, archiving, revising, closing) are one table too.
"""

from dataclasses import dataclass

from jiceng.decisions.models import Classification, Decision, Level, Status
from jiceng.rules.models import Body

S = Status


@dataclass(frozen=True)
class Step:
    action: str
    label: str
    source: str
    target: str
    bodies: tuple[str, ...]
    refusable: bool  # a quorate meeting that votes it down sends the decision to REJECTED


VILLAGE_STEPS = (
    Step("propose", "第一步：村党组织提议", S.DRAFT, S.PROPOSED, (Body.PARTY_COMMITTEE,), False),
    Step("deliberate", "第二步：村“两委”会议商议", S.PROPOSED, S.DELIBERATED, (Body.TWO_COMMITTEES,), False),
    Step("party_review", "第三步：党员大会审议", S.DELIBERATED, S.PARTY_REVIEWED, (Body.PARTY_ASSEMBLY,), True),
    Step(
        "resolve", "第四步：村民会议或村民代表会议决议", S.PARTY_REVIEWED, S.RESOLVED, (Body.VILLAGERS_ASSEMBLY, Body.REPRESENTATIVES), True
    ),
)
# domain.md §2.1 step 2: where the secretary is 一肩挑, the proposal and the joint deliberation may be one meeting.
MERGED_STEP = Step(
    "propose_deliberate", "第一、二步合并：村党组织提议并经“两委”商议（一肩挑）", S.DRAFT, S.DELIBERATED, (Body.TWO_COMMITTEES,), False
)

GROUP_STEPS = (
    Step("group_propose", "第一步：村民小组组委会议提议", S.DRAFT, S.PROPOSED, (Body.GROUP_COMMITTEE,), False),
    Step("group_review", "第二步：村党组织审核", S.PROPOSED, S.PARTY_REVIEWED, (Body.PARTY_COMMITTEE,), True),
    Step("group_resolve", "第三步：村民小组会议决定", S.PARTY_REVIEWED, S.RESOLVED, (Body.GROUP_MEETING,), True),
)

GENERAL_STEPS = (Step("handle", "村“两委”按职责办理", S.DRAFT, S.RESOLVED, (Body.TWO_COMMITTEES,), True),)


@dataclass(frozen=True)
class Move:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str


MOVES = {
    m.action: m
    for m in (
        Move("publish_resolution", "公开决议", (S.RESOLVED,), S.RESOLUTION_PUBLISHED),
        Move("start", "开始实施", (S.RESOLUTION_PUBLISHED,), S.IMPLEMENTING),
        Move("publish_result", "公开实施结果", (S.IMPLEMENTING,), S.RESULT_PUBLISHED),
        Move("archive", "归档", (S.RESULT_PUBLISHED,), S.ARCHIVED),
        Move("revise", "修改后重新提议", (S.REJECTED,), S.DRAFT),
        Move("close", "终止", (S.DRAFT, S.REJECTED), S.CLOSED),
    )
}


def steps_for(decision: Decision, merge_allowed: bool = False) -> tuple[Step, ...]:
    if decision.classification == Classification.GENERAL:
        return GENERAL_STEPS
    if decision.level == Level.GROUP:
        return GROUP_STEPS
    return (MERGED_STEP, *VILLAGE_STEPS) if merge_allowed else VILLAGE_STEPS


def step_named(decision: Decision, action: str, merge_allowed: bool = False) -> Step | None:
    return next((s for s in steps_for(decision, merge_allowed) if s.action == action), None)


def open_steps(decision: Decision, merge_allowed: bool = False) -> list[Step]:
    """The meeting steps that may be recorded now."""
    return [s for s in steps_for(decision, merge_allowed) if s.source == decision.status]


def open_moves(decision: Decision) -> list[Move]:
    return [m for m in MOVES.values() if decision.status in m.sources]
