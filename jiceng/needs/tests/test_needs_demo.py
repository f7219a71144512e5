"""The needs demo: loaded by `load_demo`, once; needs at every state in 三堡村 and 雅怡社区; the demo
member account can claim. Loading takes several seconds, so one test checks everything in turn."""

import io

from django.core.management import call_command
from django.utils import timezone

from jiceng.accounts.models import User
from jiceng.audit.services import verify
from jiceng.needs import selectors, services
from jiceng.needs.models import WISH_KINDS, ConfirmMode, MemberAccount, Need, NeedStatus
from jiceng.needs.models_service import PointEntry


def test_the_demo_has_needs_at_every_state_and_a_member_who_can_claim(db: None) -> None:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    for place in ("三堡村", "雅怡社区"):
        states = set(Need.objects.filter(community__name=place).values_list("status", flat=True))
        assert states == set(NeedStatus.values), (place, set(NeedStatus.values) - states)
        assert Need.objects.filter(community__name=place, kind__in=WISH_KINDS).count() >= 2
    assert Need.objects.filter(confirm_mode=ConfirmMode.SILENCE).exists()
    assert PointEntry.objects.filter(auto_confirmed=True).exists() and PointEntry.objects.filter(auto_confirmed=False).exists()
    assert Need.objects.filter(community__name="松岭村").exists()
    assert verify().ok

    user = User.objects.get(username="sanbao_member")
    assert MemberAccount.objects.filter(user=user).exists()
    open_needs = list(selectors.claimable(user, timezone.localdate()))
    assert open_needs
    target = next(
        n for n in open_needs if not n.claims.filter(member__account__user=user, status__in=("active", "started", "fulfilled")).exists()
    )
    assert services.need_claim(actor=user, need=target).member == MemberAccount.objects.get(user=user).member

    count = Need.objects.count()
    call_command("load_demo", stdout=io.StringIO())
    assert Need.objects.count() == count
