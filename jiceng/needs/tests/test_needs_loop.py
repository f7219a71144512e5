"""The needs loop through its services: submit, vet, claim, fulfil, confirm; refusals first."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiceng.audit.models import Event
from jiceng.needs import otp, services
from jiceng.needs.models import Claim, ClaimStatus, ConfirmMode, Need, NeedKind, NeedStatus, PhotoKind
from jiceng.needs.models_service import PointEntry
from jiceng.needs.tests import needs_fixtures
from jiceng.needs.tests.needs_fixtures import RESIDENT_PHONE, World, code_for, listed, need_input, png_bytes, submit

S = NeedStatus
world = needs_fixtures.world
pytestmark = pytest.mark.django_db


def _fulfil(w: World, claim: Claim, user: object = None) -> Claim:
    return services.claim_fulfil(
        actor=user or w.member1,  # type: ignore[arg-type]
        claim=claim,
        fulfilled_on=timezone.localdate(),
        hours=Decimal("2"),
        note="已上门修好",
    )


def _resident_code(need: Need) -> str:
    services.send_confirm_code(need=need)
    return code_for(RESIDENT_PHONE)


# ---- submitting ----------------------------------------------------------------------------------


def test_it_files_a_need_with_consent_encrypted_phone_and_tracking_code(world: World) -> None:
    need = submit(world.tree.village_a, grid_id=world.grid.pk)
    assert need.status == S.SUBMITTED
    assert (need.phone_masked.startswith("139") and "****" in need.phone_masked) or "*" in need.phone_masked
    assert RESIDENT_PHONE not in need.phone_encrypted
    assert need.consent_at is not None and need.consent_version == services.CONSENT_VERSION
    assert len(need.tracking_code) == 10
    event = Event.objects.get(action="need.submit")
    assert RESIDENT_PHONE not in str(event.changes)


def test_it_refuses_a_need_without_consent(world: World) -> None:
    services.send_submit_code(community=world.tree.village_a, phone=RESIDENT_PHONE)
    with pytest.raises(ValidationError, match="个人信息处理告知"):
        services.need_submit(community=world.tree.village_a, data=need_input(consent=False), code=code_for(RESIDENT_PHONE))
    assert not Need.objects.exists()


def test_it_refuses_a_wrong_code_and_locks_after_five_tries(world: World) -> None:
    services.send_submit_code(community=world.tree.village_a, phone=RESIDENT_PHONE)
    right = code_for(RESIDENT_PHONE)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(otp.MAX_ATTEMPTS):
        with pytest.raises(ValidationError, match="验证码不正确"):
            services.need_submit(community=world.tree.village_a, data=need_input(), code=wrong)
    with pytest.raises(ValidationError, match="错误次数过多"):
        services.need_submit(community=world.tree.village_a, data=need_input(), code=right)
    assert not Need.objects.exists()


def test_it_refuses_an_expired_code_and_a_resend_within_a_minute(world: World) -> None:
    now = timezone.now()
    otp.send_code(phone=RESIDENT_PHONE, purpose="t", now=now)
    with pytest.raises(ValidationError, match="秒后"):
        otp.send_code(phone=RESIDENT_PHONE, purpose="t", now=now + timedelta(seconds=30))
    with pytest.raises(ValidationError, match="失效"):
        otp.check_code(phone=RESIDENT_PHONE, purpose="t", code=code_for(RESIDENT_PHONE), now=now + timedelta(minutes=5, seconds=1))


def test_a_code_works_once(world: World) -> None:
    otp.send_code(phone=RESIDENT_PHONE, purpose="t")
    code = code_for(RESIDENT_PHONE)
    otp.check_code(phone=RESIDENT_PHONE, purpose="t", code=code)
    with pytest.raises(ValidationError):
        otp.check_code(phone=RESIDENT_PHONE, purpose="t", code=code)


def test_the_same_phone_cannot_flood_the_form(world: World, settings: object) -> None:
    for _ in range(services.per_phone_hour()):
        submit(world.tree.village_a)
    with pytest.raises(ValidationError, match="每小时最多"):
        submit(world.tree.village_a)
    assert Need.objects.count() == services.per_phone_hour()


def test_the_daily_limit_counts_needs_of_the_last_day(world: World) -> None:
    for _ in range(services.per_phone_day()):
        submit(world.tree.village_a)
        Need.objects.update(submitted_at=timezone.now() - timedelta(hours=2))
    with pytest.raises(ValidationError, match="每天最多"):
        submit(world.tree.village_a)


def test_it_refuses_a_grid_of_another_village_and_a_past_date(world: World) -> None:
    from jiceng.grid.models import Grid

    other = Grid.objects.create(village=world.tree.village_b, code="440799100202001", name="乙村网格")
    with pytest.raises(ValidationError, match="网格"):
        submit(world.tree.village_a, grid_id=other.pk)
    with pytest.raises(ValidationError, match="不能早于今天"):
        submit(world.tree.village_a, wanted_by=timezone.localdate() - timedelta(days=1))


def test_it_refuses_a_need_filed_with_a_town(world: World) -> None:
    with pytest.raises(ValidationError, match="村或社区"):
        services.need_submit(community=world.tree.town, data=need_input(), code="123456")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("fake.jpg", b"%PDF-1.4 not an image", "不是图片"),
        ("script.png", b"<script>alert(1)</script>", "不是图片"),
        ("empty.png", b"", "不是图片"),
    ],
)
def test_it_refuses_non_images(world: World, name: str, content: bytes, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        services.need_submit(
            community=world.tree.village_a, data=need_input(), actor=world.grid_worker, photos=[SimpleUploadedFile(name, content)]
        )
    assert not Need.objects.exists()


def test_it_refuses_an_oversized_photo(world: World, settings: object) -> None:
    settings.MAX_UPLOAD_MB = 0  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match="超过 0 MB"):
        services.need_submit(
            community=world.tree.village_a, data=need_input(), actor=world.grid_worker, photos=[SimpleUploadedFile("a.png", png_bytes())]
        )


def test_a_grid_worker_files_on_a_residents_behalf_with_a_photo(world: World) -> None:
    need = services.need_submit(
        community=world.tree.village_a, data=need_input(), actor=world.grid_worker, photos=[SimpleUploadedFile("a.png", png_bytes())]
    )
    assert need.channel == "grid_worker" and need.submitted_by == world.grid_worker
    assert need.photos.get().kind == PhotoKind.REQUEST


def test_a_grid_worker_of_another_village_may_not_file_here(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.need_submit(community=world.tree.village_b, data=need_input(), actor=world.grid_worker)


# ---- vetting -----------------------------------------------------------------------------------


def test_staff_of_another_village_may_not_vet(world: World) -> None:
    need = submit(world.tree.village_a)
    with pytest.raises(PermissionDenied):
        services.need_reject(actor=world.p.secretary_b, need=need, reason="x")
    with pytest.raises(PermissionDenied):
        services.need_reject(actor=world.grid_worker, need=need, reason="x")


def test_reject_needs_a_reason_and_the_resident_sees_it(world: World) -> None:
    need = submit(world.tree.village_a)
    with pytest.raises(ValidationError, match="理由"):
        services.need_reject(actor=world.p.secretary_a, need=need, reason="  ")
    services.need_reject(actor=world.p.secretary_a, need=need, reason="不属于社区服务范围")
    need.refresh_from_db()
    assert need.status == S.REJECTED and need.reject_reason == "不属于社区服务范围"
    with pytest.raises(ValidationError, match="不能发布"):
        services.need_list(actor=world.p.secretary_a, need=need, capacity=1, claim_deadline=timezone.localdate(), points=1)


def test_merge_points_the_duplicate_to_the_kept_need(world: World) -> None:
    kept = submit(world.tree.village_a)
    dup = submit(world.tree.village_a, phone="13900000001")
    with pytest.raises(ValidationError, match="自身"):
        services.need_merge(actor=world.p.secretary_a, need=dup, into=dup)
    services.need_merge(actor=world.p.secretary_a, need=dup, into=kept)
    dup.refresh_from_db()
    assert dup.status == S.MERGED and dup.merged_into == kept


def test_merge_refuses_another_villages_need(world: World) -> None:
    kept = submit(world.tree.village_b)
    dup = submit(world.tree.village_a, phone="13900000001")
    with pytest.raises(ValidationError, match="本村"):
        services.need_merge(actor=world.p.town_staff, need=dup, into=kept)


def test_list_refuses_a_bad_capacity_and_a_past_deadline(world: World) -> None:
    need = submit(world.tree.village_a)
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="所需人数"):
        services.need_list(actor=world.p.secretary_a, need=need, capacity=0, claim_deadline=today, points=1)
    with pytest.raises(ValidationError, match="截止日期"):
        services.need_list(actor=world.p.secretary_a, need=need, capacity=1, claim_deadline=today - timedelta(days=1), points=1)


def test_dispatch_only_to_a_paired_unit_or_a_local_member(world: World) -> None:
    need = submit(world.tree.village_a)
    from jiceng.orgs.models import Organization, OrgKind

    stranger = Organization.objects.add_child(
        world.tree.district, create_kwargs={"name": "未结对", "code": "440799A09", "kind": OrgKind.ORGAN}
    )
    with pytest.raises(ValidationError, match="结对"):
        services.need_dispatch(actor=world.p.secretary_a, need=need, unit=stranger)
    with pytest.raises(ValidationError, match="一个"):
        services.need_dispatch(actor=world.p.secretary_a, need=need)
    claim = services.need_dispatch(actor=world.p.secretary_a, need=need, unit=world.unit, points=3)
    need.refresh_from_db()
    assert need.status == S.CLAIMED and need.dispatched and claim.unit == world.unit and claim.dispatched_by == world.p.secretary_a


# ---- claiming ----------------------------------------------------------------------------------


def test_a_member_claims_and_the_need_fills_up(world: World) -> None:
    need = listed(world, capacity=1)
    claim = services.need_claim(actor=world.member1, need=need)
    need.refresh_from_db()
    assert claim.member == world.m1 and need.status == S.CLAIMED and need.first_claimed_at is not None


def test_nobody_claims_past_capacity(world: World) -> None:
    need = listed(world, capacity=1)
    services.need_claim(actor=world.member1, need=need)
    with pytest.raises(ValidationError, match="名额已满"):
        services.need_claim(actor=world.member2, need=need)
    with pytest.raises(ValidationError, match="名额已满"):
        services.need_claim(actor=world.liaison, need=need, unit=world.unit)
    assert Claim.objects.filter(need=need, status__in=("active", "started", "fulfilled")).count() == 1


def test_the_count_is_checked_even_if_the_status_was_not_updated(world: World) -> None:
    need = listed(world, capacity=1)
    services.need_claim(actor=world.member1, need=need)
    Need.objects.filter(pk=need.pk).update(status=S.LISTED)  # a stale status must not open a place
    with pytest.raises(ValidationError, match="名额已满"):
        services.need_claim(actor=world.member2, need=need)


def test_a_member_cannot_claim_twice(world: World) -> None:
    need = listed(world, capacity=3)
    services.need_claim(actor=world.member1, need=need)
    with pytest.raises(ValidationError, match="已认领"):
        services.need_claim(actor=world.member1, need=need)


def test_nobody_claims_a_rejected_or_unlisted_need(world: World) -> None:
    need = submit(world.tree.village_a)
    with pytest.raises(ValidationError, match="不能认领"):
        services.need_claim(actor=world.member1, need=need)
    services.need_reject(actor=world.p.secretary_a, need=need, reason="重复")
    need.refresh_from_db()
    with pytest.raises(ValidationError, match="不能认领"):
        services.need_claim(actor=world.member1, need=need)


def test_nobody_claims_after_the_deadline(world: World) -> None:
    need = listed(world)
    Need.objects.filter(pk=need.pk).update(claim_deadline=timezone.localdate() - timedelta(days=1))
    with pytest.raises(ValidationError, match="截止"):
        services.need_claim(actor=world.member1, need=need)


def test_staff_and_unlinked_members_cannot_claim(world: World) -> None:
    need = listed(world)
    with pytest.raises(PermissionDenied):
        services.need_claim(actor=world.p.secretary_a, need=need)
    from jiceng.accounts.models import Role
    from jiceng.conftest import make_user

    unlinked = make_user("unlinked", Role.PARTY_MEMBER, world.tree.branch_a)
    with pytest.raises(ValidationError, match="尚未关联"):
        services.need_claim(actor=unlinked, need=need)


def test_a_member_of_another_district_cannot_claim(world: World) -> None:
    from jiceng.accounts.models import Role
    from jiceng.conftest import make_user
    from jiceng.needs.models import MemberAccount
    from jiceng.orgs.models import Member, Organization, OrgKind, Person, Stage

    other = Organization.objects.add_root(create_kwargs={"name": "他区", "code": "440800", "kind": OrgKind.DISTRICT})
    user = make_user("far_member", Role.PARTY_MEMBER, other)
    person = Person.objects.create(organization=other, name="远方", gender="F")
    MemberAccount.objects.create(user=user, member=Member.objects.create(person=person, branch=other, stage=Stage.FULL))
    with pytest.raises(PermissionDenied, match="本区"):
        services.need_claim(actor=user, need=listed(world))


def test_under_a_city_a_member_of_the_sibling_district_cannot_claim_but_one_of_the_same_district_can(world: World) -> None:
    """The district is no longer the root (issue #7): a city above both districts must not merge them."""
    from jiceng.accounts.models import Role, User
    from jiceng.conftest import make_user
    from jiceng.needs import selectors
    from jiceng.needs.models import MemberAccount
    from jiceng.orgs.models import Member, Person, Stage
    from jiceng.orgs.tests.regions import build_region

    listed_need = listed(world)
    region = build_region(world.tree, members=False)
    need = type(listed_need).objects.select_related("community").get(pk=listed_need.pk)  # its community's new path
    user = make_user("sibling_member", Role.PARTY_MEMBER, region.sibling_branch)
    person = Person.objects.create(organization=region.sibling_village, name="邻区党员", gender="F")
    MemberAccount.objects.create(user=user, member=Member.objects.create(person=person, branch=region.sibling_branch, stage=Stage.FULL))
    today = timezone.localdate()
    assert not selectors.claimable(user, today).exists()
    with pytest.raises(PermissionDenied, match="本区"):
        services.need_claim(actor=user, need=need)
    own = User.objects.get(pk=world.member1.pk)  # grants read anew: the paths moved under the city
    assert selectors.claimable(own, today).filter(pk=need.pk).exists()
    assert services.need_claim(actor=own, need=need).member == world.m1


def test_a_liaison_claims_for_the_unit(world: World) -> None:
    need = listed(world, capacity=2)
    claim = services.need_claim(actor=world.liaison, need=need, unit=world.unit)
    assert claim.unit == world.unit and claim.member is None


def test_withdraw_before_start_returns_the_place(world: World) -> None:
    need = listed(world, capacity=1)
    claim = services.need_claim(actor=world.member1, need=need)
    with pytest.raises(PermissionDenied):
        services.claim_withdraw(actor=world.member2, claim=claim)
    services.claim_withdraw(actor=world.member1, claim=claim)
    need.refresh_from_db()
    assert need.status == S.LISTED
    again = services.need_claim(actor=world.member1, need=need)  # a withdrawn claim does not block the claimer
    services.claim_start(actor=world.member1, claim=again)
    with pytest.raises(ValidationError, match="尚未开始"):
        services.claim_withdraw(actor=world.member1, claim=again)


def test_an_expired_claim_is_released_and_the_need_returns_to_the_board(world: World) -> None:
    need = listed(world, capacity=1)
    claim = services.need_claim(actor=world.member1, need=need)
    assert services.release_expired_claims(now=timezone.now()) == 0
    later = timezone.now() + timedelta(days=(claim.due_on - timezone.localdate()).days + 1)
    assert services.release_expired_claims(now=later) == 1
    claim.refresh_from_db()
    need.refresh_from_db()
    assert claim.status == ClaimStatus.RELEASED and need.status == S.LISTED
    assert Event.objects.filter(action="need.claim_release").count() == 1


def test_the_command_releases_expired_claims(world: World) -> None:
    from django.core.management import call_command

    need = listed(world)
    claim = services.need_claim(actor=world.member1, need=need)
    Claim.objects.filter(pk=claim.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    call_command("release_expired_claims", stdout=__import__("io").StringIO())
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RELEASED


# ---- fulfilling and confirming ---------------------------------------------------------------------


def test_only_the_claimer_fulfils_and_with_sane_hours(world: World) -> None:
    need = listed(world)
    claim = services.need_claim(actor=world.member1, need=need)
    with pytest.raises(PermissionDenied):
        _fulfil(world, claim, world.member2)
    with pytest.raises(ValidationError, match="服务时长"):
        services.claim_fulfil(actor=world.member1, claim=claim, fulfilled_on=timezone.localdate(), hours=Decimal("30"), note="x")
    with pytest.raises(ValidationError, match="晚于今天"):
        services.claim_fulfil(
            actor=world.member1, claim=claim, fulfilled_on=timezone.localdate() + timedelta(days=1), hours=Decimal("1"), note="x"
        )


def test_the_whole_loop_credits_points_only_after_confirmation(world: World) -> None:
    need = listed(world, capacity=1, points=5)
    claim = services.need_claim(actor=world.member1, need=need)
    services.claim_fulfil(
        actor=world.member1,
        claim=claim,
        fulfilled_on=timezone.localdate(),
        hours=Decimal("2.5"),
        note="修好了",
        photos=[SimpleUploadedFile("e.png", png_bytes())],
    )
    need.refresh_from_db()
    assert need.status == S.DELIVERED and need.delivered_at is not None
    assert not PointEntry.objects.exists()
    services.need_confirm(need=need, code=_resident_code(need), rating=5, comment="很好")
    need.refresh_from_db()
    assert need.status == S.CONFIRMED and need.rating == 5 and need.confirm_mode == ConfirmMode.RESIDENT
    entry = PointEntry.objects.get()
    assert entry.member == world.m1 and entry.points == 5 and entry.hours == Decimal("2.5") and not entry.auto_confirmed
    claim.refresh_from_db()
    assert claim.credited_at is not None


def test_a_wrong_code_does_not_confirm(world: World) -> None:
    need = listed(world)
    _fulfil(world, services.need_claim(actor=world.member1, need=need))
    need.refresh_from_db()
    right = _resident_code(need)
    with pytest.raises(ValidationError, match="验证码"):
        services.need_confirm(need=need, code="000000" if right != "000000" else "111111", rating=5)
    need.refresh_from_db()
    assert need.status == S.DELIVERED and not PointEntry.objects.exists()


def test_the_code_of_another_need_does_not_confirm_this_one(world: World) -> None:
    mine = listed(world)
    theirs = listed(world, phone="13900000002")
    for n in (mine, theirs):
        _fulfil(world, services.need_claim(actor=world.member1, need=n))
        n.refresh_from_db()
    services.send_confirm_code(need=theirs)
    their_code = code_for("13900000002")
    with pytest.raises(ValidationError, match="验证码"):
        services.need_confirm(need=mine, code=their_code, rating=1)
    mine.refresh_from_db()
    assert mine.status == S.DELIVERED


def test_nobody_confirms_before_delivery_or_rates_out_of_range(world: World) -> None:
    need = listed(world)
    with pytest.raises(ValidationError, match="不需要评价"):
        services.send_confirm_code(need=need)
    _fulfil(world, services.need_claim(actor=world.member1, need=need))
    need.refresh_from_db()
    with pytest.raises(ValidationError, match="1 至 5"):
        services.need_confirm(need=need, code=_resident_code(need), rating=6)


def test_a_dispute_goes_back_to_the_community_without_points(world: World) -> None:
    need = listed(world)
    claim = _fulfil(world, services.need_claim(actor=world.member1, need=need))
    need.refresh_from_db()
    services.need_dispute(need=need, code=_resident_code(need), reason="没修好")
    need.refresh_from_db()
    claim.refresh_from_db()
    assert need.status == S.DISPUTED and claim.status == ClaimStatus.DISPUTED and not PointEntry.objects.exists()
    # The community may list it again; the disputed claim no longer holds a place.
    services.need_list(actor=world.p.secretary_a, need=need, capacity=1, claim_deadline=timezone.localdate(), points=1)
    services.need_claim(actor=world.member2, need=need)


def test_silence_confirms_after_the_period_and_is_marked(world: World) -> None:
    need = listed(world)
    _fulfil(world, services.need_claim(actor=world.member1, need=need))
    assert services.confirm_silent_needs(now=timezone.now() + timedelta(days=services.silence_days() - 1)) == 0
    assert services.confirm_silent_needs(now=timezone.now() + timedelta(days=services.silence_days(), minutes=1)) == 1
    need.refresh_from_db()
    assert need.status == S.CONFIRMED and need.confirm_mode == ConfirmMode.SILENCE
    entry = PointEntry.objects.get()
    assert entry.auto_confirmed and "逾期未评价，系统确认" in entry.note


def test_a_micro_wish_earns_by_the_wish_rule(world: World) -> None:
    need = listed(world, kind=NeedKind.WISH_GOODS, category="goods", points=0)
    _fulfil(world, services.need_claim(actor=world.member1, need=need))
    need.refresh_from_db()
    services.need_confirm(need=need, code=_resident_code(need), rating=4)
    assert PointEntry.objects.get().rule.code == "wish_done"


def test_a_need_with_two_places_is_delivered_when_every_claimer_has_served(world: World) -> None:
    need = listed(world, capacity=2)
    c1 = services.need_claim(actor=world.member1, need=need)
    c2 = services.need_claim(actor=world.member2, need=need)
    _fulfil(world, c1)
    need.refresh_from_db()
    assert need.status == S.CLAIMED
    _fulfil(world, c2, world.member2)
    need.refresh_from_db()
    assert need.status == S.DELIVERED
    services.need_confirm(need=need, code=_resident_code(need), rating=5)
    assert PointEntry.objects.count() == 2


def test_photos_are_served_only_inside_the_scope(world: World) -> None:
    from django.test import Client
    from django.urls import reverse

    need = services.need_submit(
        community=world.tree.village_a, data=need_input(), actor=world.grid_worker, photos=[SimpleUploadedFile("a.png", png_bytes())]
    )
    url = reverse("needs:photo", args=[need.photos.get().pk])
    own, other, anonymous = Client(), Client(), Client()
    own.force_login(world.p.secretary_a)
    other.force_login(world.p.secretary_b)
    response = own.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"\x89PNG")  # type: ignore[attr-defined]
    assert other.get(url).status_code == 404
    assert anonymous.get(url).status_code == 302
