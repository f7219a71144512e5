"""Demo data of the needs app, loaded by manage.py load_demo after the organizations and grids.

Needs at every state in 三堡村, 雅怡社区 and two more places, micro-wishes among them, all made
through the services (so the audit ledger and the points agree) with back-dated times. The demo
member account `sanbao_member` is linked to its registry member (MemberAccount) and can claim;
`unit_liaison` claims for 区委组织部. Online submissions go through the console SMS gateway.
Loads once: skipped when any need exists. At its end, the other half of issue 4 loads its own
demo (`jiceng.needs.demo_service`) if that module exists.
"""

import contextlib
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from importlib.util import find_spec
from typing import IO, Any

from django.utils import timezone

from jiceng.accounts.models import User
from jiceng.needs import otp, services
from jiceng.needs.models import Claim, MemberAccount, Need, NeedCategory, NeedKind
from jiceng.orgs.models import Member, Organization, Stage

PLACES = ("三堡村", "雅怡社区", "松岭村", "周郡村")
STAFF = {"三堡村": "sanbao_sec", "雅怡社区": "yayi_sec", "松岭村": "songling_sec", "周郡村": "tangxia_staff"}


@dataclass(frozen=True)
class Spec:
    title: str
    category: str
    state: str  # submitted, rejected, merged, listed, claimed, delivered, confirmed, silent, disputed, dispatched, closed
    kind: str = NeedKind.SERVICE
    capacity: int = 1
    online: bool = True
    age: int = 20  # days ago it was filed


SPECS = (
    Spec("楼道灯坏了，晚上上下楼看不清", NeedCategory.LIFE, "submitted", age=1),
    Spec("想开个人网店，请人指导", NeedCategory.OTHER, "rejected", age=12),
    Spec("独居老人家中水管漏水", NeedCategory.ELDER, "listed", capacity=2, age=6),
    Spec("老人家水管漏水需要维修", NeedCategory.ELDER, "merged", age=5),
    Spec("帮忙接送孩子上下学一周", NeedCategory.EDUCATION, "claimed", age=3),
    Spec("清理屋后积水和杂物", NeedCategory.ENVIRONMENT, "delivered", capacity=2, age=5),
    Spec("陪同行动不便老人到卫生院复诊", NeedCategory.HEALTH, "confirmed", age=30),
    Spec("咨询宅基地继承手续", NeedCategory.LEGAL, "silent", age=40),
    Spec("修理门口破损的台阶", NeedCategory.SAFETY, "disputed", age=25),
    Spec("帮忙搬运旧家具", NeedCategory.LIFE, "dispatched", age=4, online=False),
    Spec("建议组织广场舞比赛", NeedCategory.CULTURE, "closed", age=15, online=False),
    Spec("孩子想要一套课外读物", NeedCategory.GOODS, "listed", kind=NeedKind.WISH_GOODS, capacity=1, age=3),
    Spec("想学用智能手机视频通话", NeedCategory.ELDER, "confirmed", kind=NeedKind.WISH_SERVICE, age=20),
)
# The other places get a lighter mix, so the statistics have more than two rows.
LIGHT = ("submitted", "listed", "confirmed", "claimed")


def _say(stdout: Any, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def _at(days_ago: float, hour: int = 9) -> datetime:
    base = timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0)
    return base - timedelta(days=days_ago)


class Loader:
    def __init__(self) -> None:
        self.users = {
            u.username: u
            for u in User.objects.filter(username__in=[*STAFF.values(), "sanbao_grid", "sanbao_member", "unit_liaison", "qu_admin"])
        }
        self.phone_seq = 0

    def phone(self) -> str:
        self.phone_seq += 1
        return f"1390750{self.phone_seq:04d}"

    def submit(self, place: Organization, spec: Spec, at: datetime, phone: str) -> Need:
        data = services.NeedInput(
            kind=spec.kind,
            category=spec.category,
            title=spec.title,
            description=f"{spec.title}。联系后上门了解情况。",
            requester_name="陈" + "丽华明芳建国秀英志强"[self.phone_seq % 10],
            phone=phone,
            consent=True,
            address=f"{place.name}{self.phone_seq}号",
            grid_id=place.grids.filter(is_active=True).values_list("pk", flat=True).first(),
        )
        actor = None
        if not spec.online:
            actor = self.users.get("sanbao_grid") if place.name == "三堡村" else self.users.get(STAFF.get(place.name, ""))
        if actor is None:
            with contextlib.redirect_stdout(io.StringIO()):  # the console gateway prints the code
                otp.send_code(phone=phone, purpose=services.SUBMIT_PURPOSE, now=at - timedelta(minutes=2))
            code = otp.ConsoleGateway.last_code(phone) or ""
            return services.need_submit(community=place, data=data, code=code, now=at)
        return services.need_submit(community=place, data=data, actor=actor, now=at)

    def resident(self, need: Need, at: datetime, *, rating: int | None = None, dispute: str = "") -> None:
        phone = services.fieldcrypto.decrypt(need.phone_encrypted)
        with contextlib.redirect_stdout(io.StringIO()):
            otp.send_code(phone=phone, purpose=services.confirm_purpose(need), now=at - timedelta(minutes=1))
        code = otp.ConsoleGateway.last_code(phone) or ""
        if dispute:
            services.need_dispute(need=need, code=code, reason=dispute, now=at)
        else:
            services.need_confirm(need=need, code=code, rating=rating or 5, comment="服务热情周到，谢谢！", now=at)

    def run(self, place: Organization, specs: tuple[Spec, ...], staff: User) -> int:
        member_user = self.users.get("sanbao_member")
        liaison = self.users.get("unit_liaison")
        kept: Need | None = None
        made = 0
        for spec in specs:
            t0 = _at(spec.age)
            need = self.submit(place, spec, t0, self.phone())
            made += 1
            state = spec.state
            if state == "submitted":
                continue
            t1 = t0 + timedelta(hours=20)
            if state == "rejected":
                services.need_reject(actor=staff, need=need, reason="不属于社区服务范围，已告知可咨询区就业服务中心。", now=t1)
                continue
            if state == "merged":
                if kept is not None:
                    services.need_merge(actor=staff, need=need, into=kept, now=t1)
                continue
            if state == "closed":
                services.need_close(actor=staff, need=need, reason="已转社区文体队统筹安排。")
                continue
            if state == "dispatched":
                members = services.members_for_dispatch(place)
                units = services.paired_units(place, t1.date())
                if units:
                    services.need_dispatch(actor=staff, need=need, unit=units[0], points=2, now=t1)
                elif members:
                    services.need_dispatch(actor=staff, need=need, member=members[0], points=2, now=t1)
                continue
            deadline = (timezone.localdate() + timedelta(days=7)) if state in ("listed",) else (t1 + timedelta(days=5)).date()
            need = services.need_list(
                actor=staff,
                need=need,
                capacity=spec.capacity,
                claim_deadline=deadline,
                points=3 if spec.kind != NeedKind.SERVICE else 2,
                now=t1,
            )
            if kept is None and spec.capacity > 1:
                kept = need
            claimers = [u for u in (member_user, liaison) if u is not None][: spec.capacity]
            if state == "listed":
                if spec.capacity > 1 and claimers:
                    services.need_claim(actor=claimers[0], need=need, now=t1 + timedelta(hours=5))
                continue
            claims: list[Claim] = []
            for i, user in enumerate(claimers):
                unit = services.claimers_of(user)[0].unit if user == liaison else None
                claims.append(services.need_claim(actor=user, need=need, unit=unit, now=t1 + timedelta(hours=6 + i)))
            if state == "claimed" or not claims:
                continue
            t3 = t1 + timedelta(days=2)
            for claim, user in zip(claims, claimers, strict=False):
                services.claim_fulfil(
                    actor=user, claim=claim, fulfilled_on=t3.date(), hours=Decimal("2.5"), note="已上门完成，群众当面确认。", now=t3
                )
            need.refresh_from_db()
            if state == "confirmed":
                self.resident(need, t3 + timedelta(days=1), rating=5)
            elif state == "disputed":
                self.resident(need, t3 + timedelta(days=1), dispute="台阶只修了一半，下雨还是积水。")
            elif state == "silent":
                services.confirm_silent_needs(now=t3 + timedelta(days=services.silence_days(), hours=1))
        return made


def _link_member(stdout: Any) -> None:
    user = User.objects.filter(username="sanbao_member").first()
    branch = Organization.objects.filter(name="三堡村党支部").first()
    if user is None or branch is None or MemberAccount.objects.filter(user=user).exists():
        return
    # The same person orgs.demo named the account after (_holder_name).
    member = Member.objects.filter(branch=branch, stage=Stage.FULL, person__posts__isnull=True).order_by("person__pk").first()
    if member is not None:
        MemberAccount.objects.create(user=user, member=member)
        _say(stdout, f"  sanbao_member → 党员 {member.person.name}\n")


def load(stdout: IO[str] | Any = None) -> dict[str, int]:
    counts: dict[str, int] = {}
    if Need.objects.exists():
        _say(stdout, "Needs demo already loaded.\n")
    else:
        _link_member(stdout)
        loader = Loader()
        places = {o.name: o for o in Organization.objects.filter(name__in=PLACES)}
        for name in PLACES:
            place = places.get(name)
            staff = loader.users.get(STAFF.get(name, "")) or loader.users.get("qu_admin")
            if place is None or staff is None:
                continue
            specs = SPECS if name in ("三堡村", "雅怡社区") else tuple(s for s in SPECS if s.state in LIGHT and s.kind == NeedKind.SERVICE)
            counts[name] = loader.run(place, specs, staff)
        # A silent confirmation older than the silence period, and claims past due, as the daily job would find them.
        services.release_expired_claims()
        _say(stdout, f"Needs demo: {sum(counts.values())} needs in {len(counts)} places.\n")
    if find_spec("jiceng.needs.demo_service") is not None:
        from importlib import import_module

        import_module("jiceng.needs.demo_service").load(stdout)
    return counts
