"""The per-page helpers of list pages give what the per-row calls they replace gave."""

from datetime import date

from django.urls import reverse

from jiceng.decisions.models import Classification, Decision, Status
from jiceng.grid.models import CaseStatus
from jiceng.lib.listing import choice_labels, label, pk_url


def test_labels_are_what_get_display_shows() -> None:
    for status in Status:
        decision = Decision(status=status.value, classification=Classification.GENERAL, created_on=date(2026, 1, 1))
        assert label(Status, decision.status) == decision.get_status_display()
    assert choice_labels(CaseStatus)[CaseStatus.CLOSED] == "已结案"
    assert all(isinstance(v, str) for v in choice_labels(CaseStatus).values())  # translated, not lazy


def test_an_unknown_value_is_shown_as_it_is() -> None:
    assert label(Status, "no-such-status") == "no-such-status"


def test_pk_url_is_reverse_for_every_id() -> None:
    detail = pk_url("decisions:detail")
    for pk in (1, 42, 987654, 9876543210):
        assert detail(pk) == reverse("decisions:detail", args=[pk])
    assert pk_url("grid:case")(7) == reverse("grid:case", args=[7])
