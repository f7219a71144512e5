"""Writes of a village's matter catalogue (事项清单, domain.md §2.2).

A catalogue is versioned: the village drafts a new version (a copy of the current one), changes
its categories, and records the villagers' (representatives') meeting that approved it; from then
on new decisions classify against it (`services.current_catalogue`). The town records its filing
(备案). An approved version is never changed again: decisions already point at its categories.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from jiceng.accounts.models import User
from jiceng.audit import services as audit
from jiceng.decisions.models import MatterCatalogue, MatterCategory, MatterGroup
from jiceng.decisions.services import current_catalogue, require
from jiceng.orgs.models import GRASSROOTS_KINDS, Organization


def draft_of(village: Organization) -> MatterCatalogue | None:
    return village.matter_catalogues.filter(approved_on__isnull=True).order_by("-version").first()


def _locked_draft(catalogue: MatterCatalogue) -> MatterCatalogue:
    catalogue = MatterCatalogue.objects.select_for_update().select_related("village").get(pk=catalogue.pk)
    if catalogue.approved_on is not None:
        raise ValidationError("已表决通过的清单不能修改；请新建草稿版本。")
    return catalogue


def catalogue_draft(*, actor: User, village: Organization) -> MatterCatalogue:
    """Start the next version as a copy of the current approved one."""
    require(actor, "catalogue.change", village)
    if village.kind not in GRASSROOTS_KINDS:
        raise ValidationError("事项清单只能由村或社区制定。")
    with transaction.atomic():
        # One draft at a time: lock the village row so two clicks cannot both start one.
        village = Organization.objects.select_for_update().get(pk=village.pk)
        if draft_of(village) is not None:
            raise ValidationError("已有尚未表决的草稿版本，请继续修改该草稿。")
        current = current_catalogue(village)
        latest = village.matter_catalogues.aggregate(v=Max("version"))["v"] or 0
        try:
            with transaction.atomic():
                draft = MatterCatalogue.objects.create(village=village, version=latest + 1)
        except IntegrityError:
            raise ValidationError("该版本已存在，请刷新页面。") from None
        copied = 0
        if current is not None:
            copies = [
                MatterCategory(
                    catalogue=draft,
                    name=c.name,
                    group=c.group,
                    amount_threshold=c.amount_threshold,
                    needs_town_review=c.needs_town_review,
                    basis=c.basis,
                )
                for c in current.categories.order_by("group", "pk")
            ]
            copied = len(MatterCategory.objects.bulk_create(copies))
        audit.record(
            actor=actor,
            action="catalogue.draft",
            obj=draft,
            org=village,
            changes={"version": draft.version, "copied_from": current.version if current else None, "categories": copied},
        )
    return draft


def category_add(
    *,
    actor: User,
    catalogue: MatterCatalogue,
    name: str,
    group: str,
    amount_threshold: Decimal | None = None,
    needs_town_review: bool = False,
    basis: str = "",
) -> MatterCategory:
    require(actor, "catalogue.change", catalogue.village)
    if not name.strip():
        raise ValidationError({"name": "请填写事项名称。"})
    if group not in MatterGroup.values:
        raise ValidationError({"group": "请选择事项类别。"})
    if amount_threshold is not None and amount_threshold < 0:
        raise ValidationError({"amount_threshold": "金额门槛不能为负数。"})
    with transaction.atomic():
        catalogue = _locked_draft(catalogue)
        if catalogue.categories.filter(name=name.strip()).exists():
            raise ValidationError({"name": f"清单中已有“{name.strip()}”。"})
        category = MatterCategory.objects.create(
            catalogue=catalogue,
            name=name.strip(),
            group=group,
            amount_threshold=amount_threshold,
            needs_town_review=needs_town_review,
            basis=basis.strip(),
        )
        audit.record(
            actor=actor,
            action="catalogue.category_add",
            obj=category,
            org=catalogue.village,
            changes={
                "version": catalogue.version,
                "name": category.name,
                "group": group,
                "amount_threshold": amount_threshold,
                "needs_town_review": needs_town_review,
            },
        )
    return category


def category_remove(*, actor: User, category: MatterCategory) -> None:
    require(actor, "catalogue.change", category.catalogue.village)
    with transaction.atomic():
        catalogue = _locked_draft(category.catalogue)
        # A draft's categories are never used by decisions (they classify against approved versions only).
        name = category.name
        MatterCategory.objects.filter(pk=category.pk, catalogue=catalogue).delete()
        audit.record(
            actor=actor,
            action="catalogue.category_remove",
            obj=catalogue,
            org=catalogue.village,
            changes={"version": catalogue.version, "name": name},
        )


def catalogue_approve(*, actor: User, catalogue: MatterCatalogue, approved_on: date, approved_by: str) -> MatterCatalogue:
    """Record the villagers' (representatives') meeting that approved the draft (domain.md §2.2)."""
    require(actor, "catalogue.change", catalogue.village)
    if approved_on > timezone.localdate():
        raise ValidationError({"approved_on": "表决日期不能晚于今天。"})
    if not approved_by.strip():
        raise ValidationError({"approved_by": "请填写表决通过的会议。"})
    with transaction.atomic():
        catalogue = _locked_draft(catalogue)
        if not catalogue.categories.exists():
            raise ValidationError("清单中还没有事项。")
        previous = current_catalogue(catalogue.village)
        if previous is not None and previous.approved_on is not None and approved_on < previous.approved_on:
            raise ValidationError({"approved_on": f"表决日期不能早于现行清单的表决日期（{previous.approved_on}）。"})
        catalogue.approved_on, catalogue.approved_by = approved_on, approved_by.strip()
        catalogue.save(update_fields=["approved_on", "approved_by"])
        audit.record(
            actor=actor,
            action="catalogue.approve",
            obj=catalogue,
            org=catalogue.village,
            changes={"version": catalogue.version, "approved_on": approved_on, "approved_by": catalogue.approved_by},
        )
    return catalogue


def catalogue_file(*, actor: User, catalogue: MatterCatalogue) -> MatterCatalogue:
    """The town records that the approved catalogue was filed with it (备案, domain.md §2.2)."""
    require(actor, "catalogue.file", catalogue.village)
    with transaction.atomic():
        catalogue = MatterCatalogue.objects.select_for_update().select_related("village").get(pk=catalogue.pk)
        if catalogue.approved_on is None:
            raise ValidationError("清单经村民会议或村民代表会议表决通过后方可备案。")
        if catalogue.filed_on is not None:
            raise ValidationError("该版本清单已备案。")
        catalogue.filed_on, catalogue.filed_by = timezone.localdate(), actor
        catalogue.save(update_fields=["filed_on", "filed_by"])
        audit.record(
            actor=actor,
            action="catalogue.file",
            obj=catalogue,
            org=catalogue.village,
            changes={"version": catalogue.version, "filed_on": catalogue.filed_on},
        )
    return catalogue
