"""The case lifecycle (domain.md §6.3) as one table: which move leads from which status to which,
who may make it, and what it needs. `services.case_transition` is the one function that applies it.

    reported → accepted | refused(reason)
    accepted → dispatched (department / specialist force / up a level) | feedback (self-resolved at grid level)
    dispatched → in_progress → feedback(result)
    feedback → verified (grid worker or reporter) | in_progress (not solved: sent back)
    verified → closed → evaluated
    closed / evaluated → accepted (reopened within the window)
"""

from dataclasses import dataclass

from jiceng.grid.models import CaseStatus

S = CaseStatus

# Who may make a move:
HANDLER = "handler"  # case.handle on the level that holds the case (village, or the town/district above)
VERIFIER = "verifier"  # the grid worker of the case's village, or whoever reported it


@dataclass(frozen=True)
class Move:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    who: tuple[str, ...]
    needs: str = ""  # the field the move cannot do without: "reason", "result", "target", "satisfaction"


MOVES: dict[str, Move] = {
    m.action: m
    for m in (
        Move("accept", "受理", (S.REPORTED,), S.ACCEPTED, (HANDLER,)),
        Move("refuse", "不予受理", (S.REPORTED,), S.REFUSED, (HANDLER,), needs="reason"),
        Move("dispatch", "分派", (S.ACCEPTED,), S.DISPATCHED, (HANDLER,), needs="target"),
        Move("self_resolve", "网格内自行解决", (S.ACCEPTED,), S.FEEDBACK, (HANDLER,), needs="result"),
        Move("start", "签收处置", (S.DISPATCHED,), S.IN_PROGRESS, (HANDLER,)),
        Move("feedback", "反馈处置结果", (S.IN_PROGRESS,), S.FEEDBACK, (HANDLER,), needs="result"),
        Move("verify", "核查属实", (S.FEEDBACK,), S.VERIFIED, (VERIFIER,)),
        Move("send_back", "核查未解决，退回处置", (S.FEEDBACK,), S.IN_PROGRESS, (VERIFIER,), needs="reason"),
        Move("close", "结案", (S.VERIFIED,), S.CLOSED, (HANDLER, VERIFIER)),
        Move("evaluate", "评价", (S.CLOSED,), S.EVALUATED, (VERIFIER,), needs="satisfaction"),
        Move("reopen", "重新办理", (S.CLOSED, S.EVALUATED), S.ACCEPTED, (HANDLER, VERIFIER), needs="reason"),
    )
}

# The time limit of each open stage, as a CaseCategory field (hours).
STAGE_HOURS: dict[str, str] = {
    S.REPORTED: "accept_hours",
    S.ACCEPTED: "dispatch_hours",
    S.DISPATCHED: "respond_hours",
    S.IN_PROGRESS: "handle_hours",
    S.FEEDBACK: "verify_hours",
    S.VERIFIED: "close_hours",
}
STAGE_LABELS: dict[str, str] = {
    S.REPORTED: "受理",
    S.ACCEPTED: "分派",
    S.DISPATCHED: "签收",
    S.IN_PROGRESS: "处置",
    S.FEEDBACK: "核查",
    S.VERIFIED: "结案",
}


def moves_from(status: str) -> list[Move]:
    return [m for m in MOVES.values() if status in m.sources]
