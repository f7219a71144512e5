"""The case lifecycle: the table, the roles, the scope, the clock and the escalations."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.grid import services, sla
from jiceng.grid.models import Case, CaseEvent, CaseLevel, CaseSource, CaseStatus, Escalation, ForceKind, GridForce
from jiceng.grid.tests.conftest import IN_A1, IN_A2, IN_B1, OUTSIDE, T0, Grids, hours, report
from jiceng.lib import fieldcrypto

S = CaseStatus


def move(case: Case, actor, action: str, at=T0, **kw) -> Case:  # type: ignore[no-untyped-def]
    return services.case_transition(actor=actor, case=case, action=action, now=at, **kw)


def to_dispatched(g: Grids, p: Personas, at=T0) -> Case:  # type: ignore[no-untyped-def]
    case = report(g, at=at)
    move(case, p.secretary_a, "accept", at + hours(1))
    return move(case, p.secretary_a, "dispatch", at + hours(2), target="department", dispatched_to="镇城管办")


# ---- reporting -------------------------------------------------------------------------------


def test_it_places_a_reported_point_in_its_grid_and_records_it(grids: Grids) -> None:
    case = report(grids, where=IN_A2)
    assert case.grid == grids.a2 and case.village == grids.a2.village
    assert case.source == CaseSource.GRID_WORKER
    assert case.status == S.REPORTED and case.level == CaseLevel.VILLAGE
    assert case.stage_due_at == T0 + hours(grids.general.accept_hours)
    assert case.due_at == T0 + hours(grids.general.total_hours)
    assert Event.objects.filter(action="case.report", object_id=str(case.pk)).exists()
    assert CaseEvent.objects.get(case=case).action == "report"


def test_it_refuses_a_point_outside_every_grid(grids: Grids) -> None:
    with pytest.raises(ValidationError, match="不在任何网格范围内"):
        report(grids, where=OUTSIDE)
    assert not Case.objects.exists()


def test_it_refuses_a_point_in_a_grid_of_another_village(grids: Grids) -> None:
    with pytest.raises(ValidationError, match="不在任何网格范围内"):
        report(grids, where=IN_B1)  # 甲村's worker has no grant on 乙村


def test_a_resident_may_report_anywhere_and_the_phone_is_kept_encrypted(grids: Grids) -> None:
    resident = services.case_report(
        actor=None,
        category=grids.general,
        description="路灯坏了三盏",
        lng=IN_B1[0],
        lat=IN_B1[1],
        reporter_name="王五",
        reporter_phone="13912345678",
    )
    assert resident.source == CaseSource.RESIDENT and resident.grid == grids.b1
    assert resident.reporter_phone_masked == "139****5678"
    assert "13912345678" not in resident.reporter_phone_encrypted
    assert fieldcrypto.decrypt(resident.reporter_phone_encrypted) == "13912345678"


def test_a_resident_must_leave_name_and_phone(grids: Grids) -> None:
    with pytest.raises(ValidationError):
        services.case_report(actor=None, category=grids.general, description="路灯坏了三盏", lng=IN_A1[0], lat=IN_A1[1])


def test_roles_without_case_report_may_not_report(grids: Grids, personas: Personas) -> None:
    for user in (personas.member, personas.auditor, personas.outsider):
        with pytest.raises(PermissionDenied):
            report(grids, actor=user)


def test_duplicates_are_same_category_open_nearby_and_recent(grids: Grids) -> None:
    first = report(grids, where=(113.005, 22.605))
    report(grids, where=(113.005, 22.605), category=grids.urgent, description="电线裸露有危险")  # other category
    near = services.duplicates(category=grids.general, lng=113.0055, lat=22.6052, now=T0 + hours(1))
    assert near == [first]
    assert services.duplicates(category=grids.general, lng=113.008, lat=22.605, now=T0 + hours(1)) == []  # ~300 m away
    assert services.duplicates(category=grids.general, lng=113.005, lat=22.605, now=T0 + timedelta(days=8)) == []


def test_only_images_are_accepted_as_photos(grids: Grids) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("scene.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")
    with pytest.raises(ValidationError, match="不是 JPG 或 PNG"):
        report(grids, photos=[fake])
    with pytest.raises(ValidationError, match="不是图片"):
        report(grids, photos=[SimpleUploadedFile("x.exe", b"MZ")])
    assert not Case.objects.exists()
    png = SimpleUploadedFile("scene.png", b"\x89PNG\r\n\x1a\n" + b"0" * 50, content_type="image/png")
    case = report(grids, photos=[png])
    assert case.photos.count() == 1


# ---- the lifecycle ---------------------------------------------------------------------------


def test_the_whole_loop_by_the_right_people(grids: Grids, personas: Personas) -> None:
    case = to_dispatched(grids, personas)
    move(case, personas.secretary_a, "start", T0 + hours(3))
    move(case, personas.secretary_a, "feedback", T0 + hours(20), result="已清运")
    move(case, grids.worker, "verify", T0 + hours(21))
    move(case, grids.worker, "close", T0 + hours(22))
    case = move(case, grids.worker, "evaluate", T0 + hours(23), satisfaction=5)
    assert case.status == S.EVALUATED and case.closed_at == T0 + hours(22) and case.on_time()
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == ["report", "accept", "dispatch", "start", "feedback", "verify", "close", "evaluate"]
    assert Event.objects.filter(action__startswith="case.", object_id=str(case.pk)).count() == 8


@pytest.mark.parametrize("action", ["dispatch", "start", "feedback", "verify", "close", "evaluate", "reopen"])
def test_a_stage_cannot_be_skipped(grids: Grids, personas: Personas, action: str) -> None:
    case = report(grids)
    with pytest.raises(ValidationError, match="不能"):
        move(case, personas.secretary_a, action, reason="x", result="x", target="department", dispatched_to="x", satisfaction=3)
    case.refresh_from_db()
    assert case.status == S.REPORTED


def test_an_unknown_action_is_refused(grids: Grids, personas: Personas) -> None:
    with pytest.raises(ValidationError):
        move(report(grids), personas.secretary_a, "teleport")


def test_refusing_needs_a_reason(grids: Grids, personas: Personas) -> None:
    case = report(grids)
    with pytest.raises(ValidationError, match="理由"):
        move(case, personas.secretary_a, "refuse")
    case = move(case, personas.secretary_a, "refuse", reason="不属于网格事项")
    assert case.status == S.REFUSED and case.stage_due_at is None and case.refuse_reason == "不属于网格事项"


def test_a_grid_worker_may_not_accept_or_dispatch(grids: Grids, personas: Personas) -> None:
    case = report(grids)
    with pytest.raises(PermissionDenied):
        move(case, grids.worker, "accept")


def test_another_village_may_not_handle_the_case(grids: Grids, personas: Personas) -> None:
    case = report(grids)
    with pytest.raises(PermissionDenied):
        move(case, personas.secretary_b, "accept")
    with pytest.raises(PermissionDenied):
        move(case, personas.outsider, "accept")


def test_another_villages_grid_worker_may_not_verify(grids: Grids, personas: Personas) -> None:
    case = to_dispatched(grids, personas)
    move(case, personas.secretary_a, "start")
    move(case, personas.secretary_a, "feedback", result="已处理")
    with pytest.raises(PermissionDenied):
        move(case, grids.worker_b, "verify")
    with pytest.raises(PermissionDenied):
        move(case, personas.secretary_b, "verify")


def test_dispatch_to_a_force_of_another_grid_is_refused(grids: Grids, personas: Personas) -> None:
    case = move(report(grids), personas.secretary_a, "accept")
    other = GridForce.objects.create(grid=grids.a2, kind=ForceKind.POLICE, name="民警")
    with pytest.raises(ValidationError, match="本网格"):
        move(case, personas.secretary_a, "dispatch", target="force", force=other)
    own = GridForce.objects.create(grid=grids.a1, kind=ForceKind.POLICE, name="民警陈")
    case = move(case, personas.secretary_a, "dispatch", target="force", force=own)
    assert case.force == own and case.dispatched_to == "民警陈"


def test_dispatching_up_hands_the_case_to_the_town(grids: Grids, personas: Personas) -> None:
    case = move(report(grids), personas.secretary_a, "accept")
    case = move(case, personas.secretary_a, "dispatch", target="up")
    assert case.level == CaseLevel.TOWN and case.dispatched_to == "甲镇"
    with pytest.raises(PermissionDenied):
        move(case, personas.secretary_a, "start")  # the village no longer holds it
    assert move(case, personas.town_staff, "start").status == S.IN_PROGRESS


def test_verification_failing_sends_it_back(grids: Grids, personas: Personas) -> None:
    case = to_dispatched(grids, personas)
    move(case, personas.secretary_a, "start")
    move(case, personas.secretary_a, "feedback", result="已处理")
    case = move(case, grids.worker, "send_back", reason="现场仍有垃圾")
    assert case.status == S.IN_PROGRESS


def _closed(g: Grids, p: Personas) -> Case:
    case = to_dispatched(g, p)
    move(case, p.secretary_a, "start", T0 + hours(3))
    move(case, p.secretary_a, "feedback", T0 + hours(4), result="已处理")
    move(case, g.worker, "verify", T0 + hours(5))
    return move(case, g.worker, "close", T0 + hours(6))


def test_reopen_within_the_window(grids: Grids, personas: Personas) -> None:
    case = _closed(grids, personas)
    at = T0 + hours(6) + timedelta(days=services.REOPEN_DAYS) - hours(1)
    case = move(case, grids.worker, "reopen", at, reason="又堆积了")
    assert case.status == S.ACCEPTED and case.closed_at is None and case.reopen_count == 1
    assert case.due_at == at + hours(grids.general.total_hours)


def test_reopen_after_the_window_is_refused(grids: Grids, personas: Personas) -> None:
    case = _closed(grids, personas)
    at = T0 + hours(6) + timedelta(days=services.REOPEN_DAYS) + hours(1)
    with pytest.raises(ValidationError, match="超过 7 天"):
        move(case, grids.worker, "reopen", at, reason="又堆积了")
    case.refresh_from_db()
    assert case.status == S.CLOSED


def test_evaluation_needs_a_score_between_1_and_5(grids: Grids, personas: Personas) -> None:
    case = _closed(grids, personas)
    for bad in (None, 0, 6):
        with pytest.raises(ValidationError):
            move(case, grids.worker, "evaluate", satisfaction=bad)


def test_a_resident_reporter_may_verify_with_the_tracking_code_only(grids: Grids, personas: Personas) -> None:
    case = services.case_report(
        actor=None,
        category=grids.general,
        description="路灯坏了三盏",
        lng=IN_A1[0],
        lat=IN_A1[1],
        reporter_name="王五",
        reporter_phone="13912345678",
    )
    move(case, personas.secretary_a, "accept")
    move(case, personas.secretary_a, "self_resolve", result="已修复")
    with pytest.raises(PermissionDenied):
        move(case, None, "verify")
    assert move(case, None, "verify", reporter=True).status == S.VERIFIED


# ---- the clock -------------------------------------------------------------------------------


def test_overdue_is_computed_from_the_dates(grids: Grids, personas: Personas) -> None:
    case = report(grids)
    limit = T0 + hours(grids.general.accept_hours)
    assert not case.overdue_at(limit)
    assert case.overdue_at(limit + hours(1))
    assert list(sla.overdue(Case.objects.all(), limit + hours(1))) == [case]
    assert list(sla.overdue(Case.objects.all(), limit)) == []


def test_an_overdue_stage_escalates_once_to_the_town(grids: Grids, personas: Personas, tree: Tree) -> None:
    case = to_dispatched(grids, personas)
    late = T0 + hours(2 + grids.general.respond_hours + 1)
    assert sla.check_sla(now=T0 + hours(3)).escalated == []
    first = sla.check_sla(now=late)
    assert [e.case_id for e in first.escalated] == [case.pk]
    escalation = Escalation.objects.get()
    assert escalation.to_org == tree.town and escalation.to_level == CaseLevel.TOWN and escalation.stage == S.DISPATCHED
    assert "签收" in escalation.reason
    case.refresh_from_db()
    assert case.level == CaseLevel.TOWN
    assert sla.check_sla(now=late + hours(5)).escalated == []  # same stage: never twice
    assert Escalation.objects.count() == 1
    assert Event.objects.filter(action="case.escalate").count() == 1


def test_a_later_overdue_stage_escalates_to_the_district(grids: Grids, personas: Personas, tree: Tree) -> None:
    case = to_dispatched(grids, personas)
    late = T0 + hours(2 + grids.general.respond_hours + 1)
    sla.check_sla(now=late)
    move(case, personas.town_staff, "start", late + hours(1))
    later = late + hours(1 + grids.general.handle_hours + 1)
    sla.check_sla(now=later)
    second = Escalation.objects.order_by("pk").last()
    assert second is not None and second.to_level == CaseLevel.DISTRICT and second.to_org == tree.district
    case.refresh_from_db()
    assert case.level == CaseLevel.DISTRICT
    assert sla.check_sla(now=later + timedelta(days=30)).escalated == []  # no level above the district


def test_a_case_moved_on_in_time_is_not_escalated(grids: Grids, personas: Personas) -> None:
    case = report(grids)
    move(case, personas.secretary_a, "accept", T0 + hours(1))
    assert sla.check_sla(now=T0 + hours(grids.general.accept_hours + 1)).escalated == []


def test_the_escalation_shows_in_the_timeline(grids: Grids, personas: Personas) -> None:
    from jiceng.grid.selectors import timeline

    case = report(grids)
    sla.check_sla(now=T0 + hours(grids.general.accept_hours + 2))
    kinds = [(e["kind"], e["action"]) for e in timeline(case)]
    assert kinds == [("event", "report"), ("escalation", "escalate")]


def test_closed_late_is_not_on_time(grids: Grids, personas: Personas) -> None:
    case = to_dispatched(grids, personas)
    late = T0 + hours(grids.general.total_hours + 5)
    move(case, personas.secretary_a, "start", late)
    move(case, personas.secretary_a, "feedback", late, result="已处理")
    move(case, grids.worker, "verify", late)
    case = move(case, grids.worker, "close", late)
    assert case.on_time() is False
    assert not case.overdue_at(late + hours(100))  # closed cases are never overdue


def test_the_check_sla_command_escalates_what_is_overdue_now(grids: Grids) -> None:
    import io

    from django.core.management import call_command

    case = report(grids)  # reported in June 2026 with an 8-hour acceptance limit: overdue by now
    out = io.StringIO()
    call_command("check_sla", stdout=out)
    assert case.code in out.getvalue() and "督办 1 件" in out.getvalue()
    call_command("check_sla", stdout=out)
    assert Escalation.objects.filter(case=case).count() == 1


def test_the_point_check_ignores_a_malformed_category(grids: Grids) -> None:
    from django.test import Client

    client = Client()
    client.force_login(grids.worker)
    response = client.get(f"/grid/cases/check/?lng={IN_A1[0]}&lat={IN_A1[1]}&category=abc")
    assert response.status_code == 200 and "甲村第一网格" in response.content.decode()
