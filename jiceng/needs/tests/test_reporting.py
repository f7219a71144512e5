"""双报到: expiry boundaries, renewal and moving house, staff and online reports, reminders, unit reports."""

import logging
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import TestCase

from jiceng.audit.models import Event
from jiceng.needs import points, reporting
from jiceng.needs.models_service import EndReason, PointEntry, Reminder, ReportChannel, ServicePolicy, ServiceReport, UnitBasis, add_months
from jiceng.needs.tests.service_fixtures import Svc, svc_fixture  # noqa: F401
from jiceng.orgs.models import Pairing, Stage

TZ = ZoneInfo("Asia/Shanghai")


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert add_months(date(2026, 1, 15), 6) == date(2026, 7, 15)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


def test_a_report_is_valid_through_exactly_six_months_and_lapses_the_day_after(svc: Svc) -> None:
    report = reporting.report_record(actor=svc.staff_jia, member=svc.wang, community=svc.community_jia, reported_on=date(2026, 1, 15))
    assert report.expires_on == date(2026, 7, 15)
    assert report.state(date(2026, 6, 15)) == "due"  # 30 days before: reminder window
    assert report.state(date(2026, 6, 14)) == "active"
    assert report.state(date(2026, 7, 15)) == "due"  # the expiry day itself still counts
    assert report.state(date(2026, 7, 16)) == "lapsed"


def test_the_validity_follows_the_district_policy(svc: Svc) -> None:
    ServicePolicy.objects.create(organization=svc.tree.district, report_valid_months=12)
    report = reporting.report_record(actor=svc.staff_jia, member=svc.wang, community=svc.community_jia, reported_on=date(2026, 1, 15))
    assert report.expires_on == date(2027, 1, 15)


def test_staff_record_a_report_with_its_audit_event_and_points(svc: Svc) -> None:
    report = reporting.report_record(actor=svc.staff_jia, member=svc.wang, community=svc.community_jia, reported_on=date(2026, 3, 1))
    assert report.channel == ReportChannel.STAFF
    assert report.unit == svc.organ
    event = Event.objects.get(action="report.create")
    assert event.object_id == str(report.pk) and event.org_path == svc.community_jia.path
    entry = PointEntry.objects.get(member=svc.wang)
    assert (entry.rule.code, entry.points, entry.source_id) == (points.REPORT, 2, str(report.pk))
    assert entry.rule.counts_as_service is False


def test_staff_of_another_community_cannot_record(svc: Svc) -> None:
    with pytest.raises(PermissionDenied):
        reporting.report_record(actor=svc.staff_c, member=svc.wang, community=svc.community_jia, reported_on=date(2026, 3, 1))
    with pytest.raises(PermissionDenied):
        reporting.report_record(actor=svc.wang_user, member=svc.wang, community=svc.community_jia, reported_on=date(2026, 3, 1))
    assert not ServiceReport.objects.exists()
    assert not Event.objects.filter(action="report.create").exists()


def test_a_member_reports_online_as_themself_only(svc: Svc) -> None:
    report = reporting.report_self(user=svc.wang_user, community=svc.community_jia)
    assert report.member == svc.wang and report.channel == ReportChannel.ONLINE
    with pytest.raises(PermissionDenied):
        reporting.report_self(user=svc.personas.member, community=svc.community_jia)  # no linked member


def test_moving_house_ends_the_old_report_and_moves_the_residence(svc: Svc) -> None:
    old = reporting.report_record(actor=svc.staff_jia, member=svc.wang, community=svc.community_jia, reported_on=date(2026, 1, 10))
    new = reporting.report_record(actor=svc.staff_c, member=svc.wang, community=svc.community_c, reported_on=date(2026, 4, 2))
    old.refresh_from_db()
    assert (old.ended_on, old.end_reason) == (date(2026, 4, 2), EndReason.MOVED)
    assert ServiceReport.objects.filter(member=svc.wang, ended_on__isnull=True).get() == new
    svc.wang.refresh_from_db()
    assert svc.wang.residence_community == svc.community_c
    assert Event.objects.filter(action="report.end", object_id=str(old.pk)).exists()


def test_reporting_again_to_the_same_community_is_a_renewal(svc: Svc) -> None:
    old = reporting.report_record(actor=svc.staff_jia, member=svc.wang, community=svc.community_jia, reported_on=date(2025, 6, 1))
    reporting.report_record(actor=svc.staff_jia, member=svc.wang, community=svc.community_jia, reported_on=date(2025, 11, 20))
    old.refresh_from_db()
    assert old.end_reason == EndReason.RENEWED


def test_reporting_after_the_lapse_earns_the_late_rule_not_the_report_points(svc: Svc) -> None:
    reporting.report_record(actor=svc.staff_jia, member=svc.wang, community=svc.community_jia, reported_on=date(2025, 1, 10))
    reporting.report_record(actor=svc.staff_jia, member=svc.wang, community=svc.community_jia, reported_on=date(2025, 7, 11))
    late = PointEntry.objects.filter(member=svc.wang).order_by("on").last()
    assert late is not None and (late.rule.code, late.points) == (points.REPORT_LATE, 0)


def test_reporting_on_the_expiry_day_is_on_time(svc: Svc) -> None:
    reporting.report_record(actor=svc.staff_jia, member=svc.wang, community=svc.community_jia, reported_on=date(2025, 1, 10))
    reporting.report_record(actor=svc.staff_jia, member=svc.wang, community=svc.community_jia, reported_on=date(2025, 7, 10))
    assert PointEntry.objects.filter(member=svc.wang).order_by("on").last().rule.code == points.REPORT  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("on", "message"),
    [(date(2025, 12, 31), "不能早于上次报到"), (date.today() + timedelta(days=1), "不能晚于今天")],
)
def test_bad_report_dates_are_refused(svc: Svc, on: date, message: str) -> None:
    reporting.report_record(actor=svc.staff_jia, member=svc.wang, community=svc.community_jia, reported_on=date(2026, 1, 5))
    with pytest.raises(ValidationError, match=message):
        reporting.report_record(actor=svc.staff_jia, member=svc.wang, community=svc.community_jia, reported_on=on)
    assert ServiceReport.objects.count() == 1


def test_a_report_goes_to_a_community_or_village_only(svc: Svc) -> None:
    town_staff = svc.personas.town_staff
    from jiceng.accounts.models import Role, RoleGrant

    RoleGrant.objects.create(user=town_staff, organization=svc.tree.town, role=Role.VILLAGE_STAFF)
    with pytest.raises(ValidationError, match="社区"):
        reporting.report_record(actor=town_staff, member=svc.wang, community=svc.tree.town, reported_on=date(2026, 1, 5))


def test_applicants_do_not_report(svc: Svc) -> None:
    svc.wang.stage = Stage.APPLICANT
    svc.wang.save(update_fields=["stage"])
    with pytest.raises(ValidationError, match="入党申请人"):
        reporting.report_self(user=svc.wang_user, community=svc.community_jia)


# ---- reminders ------------------------------------------------------------------------------


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=TZ)


def test_reminders_go_once_to_reports_lapsing_within_30_days(svc: Svc, caplog: pytest.LogCaptureFixture) -> None:
    due = reporting.report_record(actor=svc.staff_jia, member=svc.wang, community=svc.community_jia, reported_on=date(2026, 1, 15))
    later = reporting.report_record(actor=svc.staff_c, member=svc.zhao, community=svc.community_c, reported_on=date(2026, 2, 20))
    now = _at(date(2026, 6, 15))  # wang expires 07-15: exactly 30 days; zhao 08-20: 66 days
    with caplog.at_level(logging.INFO, logger="jiceng.needs.notify"), TestCase.captureOnCommitCallbacks(execute=True):
        first = reporting.remind_reports(now=now)
    assert [r.report for r in first] == [due]
    assert "王五同志" in caplog.text and "2026年07月15日" in caplog.text
    assert reporting.remind_reports(now=now) == []
    assert reporting.remind_reports(now=_at(date(2026, 6, 20))) == []  # wang already reminded; zhao still 61 days out
    assert Reminder.objects.count() == 1
    assert Event.objects.filter(action="report.remind").count() == 1
    assert [r.report for r in reporting.remind_reports(now=_at(date(2026, 7, 21)))] == [later]


def test_lapsed_and_ended_reports_get_no_reminder(svc: Svc) -> None:
    reporting.report_record(actor=svc.staff_jia, member=svc.wang, community=svc.community_jia, reported_on=date(2025, 1, 15))
    reporting.report_record(actor=svc.staff_c, member=svc.wang, community=svc.community_c, reported_on=date(2025, 5, 1))  # moved
    assert reporting.remind_reports(now=_at(date(2025, 12, 1))) == []  # the open one lapsed 11-01, the old one ended


def test_the_remind_command_is_idempotent(svc: Svc) -> None:
    today = date.today()
    reporting.report_record(
        actor=svc.staff_jia, member=svc.wang, community=svc.community_jia, reported_on=add_months(today, -6) + timedelta(days=3)
    )
    out = StringIO()
    call_command("remind_reports", stdout=out)
    call_command("remind_reports", stdout=out)
    assert "已发送 1 条" in out.getvalue() and "已发送 0 条" in out.getvalue()


# ---- unit reports ---------------------------------------------------------------------------


def test_a_paired_unit_reports_to_its_community(svc: Svc) -> None:
    Pairing.objects.create(unit=svc.organ, community=svc.community_jia, agreement_date=date(2025, 3, 1))
    report = reporting.unit_report_record(
        actor=svc.staff_jia, unit=svc.organ, community=svc.community_jia, basis=UnitBasis.PAIRED, reported_on=date(2025, 3, 5)
    )
    assert Event.objects.filter(action="report.unit", object_id=str(report.pk)).exists()
    with pytest.raises(ValidationError, match="已向本社区报到"):
        reporting.unit_report_record(
            actor=svc.staff_jia, unit=svc.organ, community=svc.community_jia, basis=UnitBasis.PAIRED, reported_on=date(2025, 3, 6)
        )


def test_an_unpaired_unit_or_one_outside_the_area_is_refused(svc: Svc) -> None:
    with pytest.raises(ValidationError, match="结对共建"):
        reporting.unit_report_record(
            actor=svc.staff_jia, unit=svc.organ, community=svc.community_jia, basis=UnitBasis.PAIRED, reported_on=date(2025, 3, 5)
        )
    with pytest.raises(ValidationError, match="不在该社区所在镇"):
        reporting.unit_report_record(
            actor=svc.staff_jia, unit=svc.organ, community=svc.community_jia, basis=UnitBasis.LOCATED, reported_on=date(2025, 3, 5)
        )
    with pytest.raises(PermissionDenied):
        reporting.unit_report_record(
            actor=svc.staff_c, unit=svc.organ, community=svc.community_jia, basis=UnitBasis.PAIRED, reported_on=date(2025, 3, 5)
        )


# ---- the 民主评议 note ------------------------------------------------------------------------


def test_an_in_service_member_without_a_report_in_the_year_gets_the_evaluation_note(svc: Svc) -> None:
    assert "不得评为“合格”及以上" in reporting.evaluation_cap(svc.wang, 2025)
    reporting.report_record(actor=svc.staff_jia, member=svc.wang, community=svc.community_jia, reported_on=date(2024, 8, 1))
    assert reporting.evaluation_cap(svc.wang, 2025) == ""  # valid until 2025-02-01
    assert "2026年未向" in reporting.evaluation_cap(svc.wang, 2026)
