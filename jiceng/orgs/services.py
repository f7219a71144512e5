"""Writes to the organization registry. Each runs in one transaction and writes its audit event."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from pypinyin import Style, lazy_pinyin

from jiceng.accounts.access import can
from jiceng.accounts.models import User
from jiceng.audit import services as audit
from jiceng.lib import fieldcrypto
from jiceng.lib.validators import birth_date_from_id, normalize_id_number, normalize_phone
from jiceng.orgs import access
from jiceng.orgs.models import (
    ALLOWED_PARENTS,
    GRASSROOTS_KINDS,
    PARTY_COMMITTEE_ROLES,
    PARTY_ORG_KINDS,
    STAGE_DATE_FIELD,
    STAGE_ORDER,
    TWO_NEW_KINDS,
    UNIT_KINDS,
    Formation,
    GrandCommitteeUnit,
    Member,
    Organization,
    OrgKind,
    Pairing,
    Person,
    Post,
    PostRole,
    ReserveCadre,
    Stage,
)


def require(actor: User, action: str, org: Organization) -> None:
    if not can(actor, access.roles(action), org):
        raise PermissionDenied("您无权在该组织中进行此操作。")


def name_initials(name: str) -> str:
    return "".join(p[0] for p in lazy_pinyin(name, style=Style.FIRST_LETTER) if p).lower()


# ---- organizations -------------------------------------------------------------------------


def _check_formation(kind: str, formation: str, joint_party_org: Organization | None) -> None:
    if kind not in TWO_NEW_KINDS:
        if formation or joint_party_org:
            raise ValidationError({"formation": "只有非公企业和社会组织需要填写党组织组建方式。"})
        return
    if formation not in Formation.values:
        raise ValidationError({"formation": "请选择党组织组建方式：单独组建、联合组建或未组建。"})
    if formation == Formation.JOINT and (joint_party_org is None or joint_party_org.kind != OrgKind.JOINT_BRANCH):
        raise ValidationError({"joint_party_org": "联合组建的单位须指明所属的联合党支部。"})
    if formation != Formation.JOINT and joint_party_org is not None:
        raise ValidationError({"joint_party_org": "只有联合组建的单位才有所属联合党支部。"})


def org_create(
    *,
    actor: User,
    parent: Organization | None,
    name: str,
    code: str,
    kind: str,
    formation: str = "",
    joint_party_org: Organization | None = None,
    address: str = "",
) -> Organization:
    parent_kind = parent.kind if parent is not None else None
    if kind not in ALLOWED_PARENTS:
        raise ValidationError({"kind": "未知的组织类型。"})
    if parent_kind not in ALLOWED_PARENTS[kind]:
        parent_label = OrgKind(parent_kind).label if parent_kind else "顶层"
        raise ValidationError({"kind": f"“{OrgKind(kind).label}”不能设在“{parent_label}”之下。"})
    if parent is None:
        if not actor.is_superuser:
            raise PermissionDenied("只有系统初始化可以创建顶层组织。")
    else:
        require(actor, "org.change", parent)
    _check_formation(kind, formation, joint_party_org)
    fields = {
        "name": name.strip(),
        "code": code.strip(),
        "kind": kind,
        "formation": formation,
        "joint_party_org": joint_party_org,
        "address": address,
    }
    with transaction.atomic():
        if Organization.objects.filter(code=fields["code"]).exists():
            raise ValidationError({"code": f"编码 {code} 已被使用。"})
        if parent is not None:
            org = Organization.objects.add_child(parent, create_kwargs=fields)
        else:
            org = Organization.objects.add_root(create_kwargs=fields)
        audit.record(actor=actor, action="org.create", obj=org, org=org, changes={"name": org.name, "code": org.code, "kind": kind})
    return org


def org_update(*, actor: User, org: Organization, **changes: Any) -> Organization:
    require(actor, "org.change", org)
    allowed = {"name", "address", "formation", "joint_party_org", "is_active"}
    if unknown := set(changes) - allowed:
        raise ValidationError(f"不能修改字段：{', '.join(sorted(unknown))}")
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=org.pk)
        before = audit.snapshot(org, changes)
        for key, value in changes.items():
            setattr(org, key, value)
        _check_formation(org.kind, org.formation, org.joint_party_org)
        org.save(update_fields=list(changes))
        after = audit.snapshot(org, changes)
        if "joint_party_org" in changes:
            before["joint_party_org"] = getattr(before["joint_party_org"], "pk", None)
            after["joint_party_org"] = getattr(after["joint_party_org"], "pk", None)
        audit.record(actor=actor, action="org.update", obj=org, org=org, changes=audit.diff(before, after))
    return org


# ---- people --------------------------------------------------------------------------------


def _secret_fields(id_number: str, phone: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    if id_number:
        value = normalize_id_number(id_number)
        fields |= {
            "id_number_encrypted": fieldcrypto.encrypt(value),
            "id_number_hash": fieldcrypto.lookup_hash(value),
            "id_number_masked": fieldcrypto.mask_id_number(value),
        }
    if phone:
        value = normalize_phone(phone)
        fields |= {
            "phone_encrypted": fieldcrypto.encrypt(value),
            "phone_hash": fieldcrypto.lookup_hash(value),
            "phone_masked": fieldcrypto.mask_phone(value),
        }
    return fields


PERSON_PLAIN_FIELDS = ("name", "gender", "birth_date", "ethnicity", "education", "address")


def person_create(
    *,
    actor: User,
    organization: Organization,
    name: str,
    gender: str,
    birth_date: date | None = None,
    ethnicity: str = "汉族",
    education: str = "",
    address: str = "",
    id_number: str = "",
    phone: str = "",
) -> Person:
    require(actor, "person.change", organization)
    if not name.strip():
        raise ValidationError({"name": "姓名不能为空。"})
    birth_date = _birth_date(id_number, birth_date)
    person = Person(
        organization=organization,
        name=name.strip(),
        name_initials=name_initials(name.strip()),
        gender=gender,
        birth_date=birth_date,
        ethnicity=ethnicity,
        education=education,
        address=address,
        **_secret_fields(id_number, phone),
    )
    person.full_clean(exclude=["organization"], validate_constraints=False)
    try:
        with transaction.atomic():
            _refuse_duplicate_id(person)
            person.save()
            # The event never holds plain ID numbers or phones, only their masked forms.
            audit.record(actor=actor, action="person.create", obj=person, org=organization, changes=_person_public(person))
    except IntegrityError:
        raise ValidationError({"id_number": "该身份证号已登记，请勿重复录入。"}) from None
    return person


def _birth_date(id_number: str | None, given: date | None) -> date | None:
    """The ID number carries the birth date (GB 11643-1999); a different typed date is an error."""
    if not id_number:
        return given
    born = birth_date_from_id(normalize_id_number(id_number))
    if given is not None and given != born:
        raise ValidationError({"birth_date": f"出生日期与身份证号中的出生日期（{born.isoformat()}）不一致。"})
    return born


def _refuse_duplicate_id(person: Person) -> None:
    # The unique constraint still catches two imports racing; this gives the usual case a clear message.
    if not person.id_number_encrypted:
        return
    hashes = fieldcrypto.lookup_hashes(fieldcrypto.decrypt(person.id_number_encrypted))
    if Person.objects.filter(id_number_hash__in=hashes).exclude(pk=person.pk).exists():
        raise ValidationError({"id_number": "该身份证号已登记，请勿重复录入。"})


def _person_public(person: Person) -> dict[str, Any]:
    return {f: getattr(person, f) for f in (*PERSON_PLAIN_FIELDS, "id_number_masked", "phone_masked")}


def person_update(*, actor: User, person: Person, id_number: str | None = None, phone: str | None = None, **changes: Any) -> Person:
    require(actor, "person.change", person.organization)
    if unknown := set(changes) - set(PERSON_PLAIN_FIELDS):
        raise ValidationError(f"不能修改字段：{', '.join(sorted(unknown))}")
    secrets = _secret_fields(id_number or "", phone or "")
    if id_number:
        changes["birth_date"] = _birth_date(id_number, changes.get("birth_date"))
    elif changes.get("birth_date") is not None and person.id_number_encrypted:
        _birth_date(fieldcrypto.decrypt(person.id_number_encrypted), changes["birth_date"])
    try:
        with transaction.atomic():
            person = Person.objects.select_for_update().get(pk=person.pk)
            before = _person_public(person)
            for key, value in (changes | secrets).items():
                setattr(person, key, value)
            if "name" in changes:
                person.name_initials = name_initials(person.name)
            person.full_clean(exclude=["organization"], validate_constraints=False)
            _refuse_duplicate_id(person)
            person.save()
            if "name" in changes:
                member_names_sync(person_ids=[person.pk])
            audit.record(
                actor=actor, action="person.update", obj=person, org=person.organization, changes=audit.diff(before, _person_public(person))
            )
    except IntegrityError:
        raise ValidationError({"id_number": "该身份证号已登记在另一人员名下。"}) from None
    return person


def person_reveal(*, actor: User, person: Person, field: str) -> str:
    """Show one unmasked value; the look itself is an audited event (domain.md §9.1 recommendation)."""
    require(actor, "person.reveal", person.organization)
    source = {"id_number": person.id_number_encrypted, "phone": person.phone_encrypted}.get(field)
    if source is None:
        raise ValidationError("只能查看身份证号或手机号。")
    with transaction.atomic():
        audit.record(actor=actor, action="person.reveal", obj=person, org=person.organization, changes={"field": field})
    return fieldcrypto.decrypt(source) if source else ""


def find_person_by_id_number(id_number: str) -> Person | None:
    return Person.objects.filter(id_number_hash__in=fieldcrypto.lookup_hashes(normalize_id_number(id_number))).first()


# ---- members and posts ---------------------------------------------------------------------


MIN_APPLICATION_AGE = 18  # 《中国共产党章程》第一条：年满十八岁 (domain.md §3.4)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def check_stage_dates(stage: str, dates: dict[str, date | None], birth_date: date | None = None) -> None:
    """The dates of the steps reached must be present and in order (domain.md §3.4)."""
    reached = STAGE_ORDER[: STAGE_ORDER.index(Stage(stage)) + 1]
    previous: date | None = None
    for step in reached:
        field = STAGE_DATE_FIELD[step]
        value = dates.get(field)
        if step == stage and value is None:
            raise ValidationError({field: f"阶段为“{Stage(stage).label}”时须填写该阶段的日期。"})
        if value is not None and previous is not None and value < previous:
            raise ValidationError({field: f"“{Stage(step).label}”日期不能早于上一阶段。"})
        previous = value or previous
    for step in STAGE_ORDER[len(reached) :]:
        if dates.get(STAGE_DATE_FIELD[step]):
            raise ValidationError({STAGE_DATE_FIELD[step]: f"尚未到“{Stage(step).label}”阶段，不应填写该日期。"})
    applied, probation, full = dates.get("applied_on"), dates.get("probationary_on"), dates.get("full_on")
    if applied and birth_date and applied < _add_years(birth_date, MIN_APPLICATION_AGE):
        raise ValidationError({"applied_on": "申请入党时须年满十八岁（《中国共产党章程》第一条）。"})
    # 《中国共产党章程》第七条：预备期为一年 — full membership comes one year after the assembly at the earliest.
    if probation and full and full < _add_years(probation, 1):
        raise ValidationError({"full_on": "预备期为一年，转正日期不能早于接收预备党员满一年（《中国共产党章程》第七条）。"})


def member_save(
    *,
    actor: User,
    person: Person,
    branch: Organization,
    stage: str,
    dates: dict[str, date | None],
    work_unit: Organization | None = None,
    residence_community: Organization | None = None,
) -> Member:
    """Create or update the member record of a person (the person must be in the actor's scope too)."""
    require(actor, "member.change", branch)
    require(actor, "person.change", person.organization)
    if branch.kind not in PARTY_ORG_KINDS or branch.kind == OrgKind.PARTY_GROUP:
        raise ValidationError({"branch": "党员须隶属于党委、党总支、党支部或联合党支部。"})
    if stage not in Stage.values:
        raise ValidationError({"stage": "未知的发展阶段。"})
    check_stage_dates(stage, dates, person.birth_date)
    values = {"branch": branch, "stage": stage, "work_unit": work_unit, "residence_community": residence_community, **dates}
    values |= {"name": person.name, "name_initials": person.name_initials}  # the search columns (Member.name)
    with transaction.atomic():
        member = Member.objects.select_for_update().filter(person=person).first()
        if member is not None:
            require(actor, "member.change", member.branch)
            before = _member_public(member)
            for key, value in values.items():
                setattr(member, key, value)
            member.save()
            audit.record(actor=actor, action="member.update", obj=member, org=branch, changes=audit.diff(before, _member_public(member)))
        else:
            member = Member.objects.create(person=person, **values)
            audit.record(actor=actor, action="member.create", obj=member, org=branch, changes=_member_public(member))
    return member


def member_names_sync(*, person_ids: Iterable[int] | None = None) -> int:
    """Copy people's names and initials onto their member rows (Member.name, the search columns), for
    writes that bypass member_save and person_update: the Excel import, bulk loads. All members when
    person_ids is None. Returns the number of member rows written."""
    qs = Member.objects.all() if person_ids is None else Member.objects.filter(person_id__in=list(person_ids))
    person = Person.objects.filter(pk=OuterRef("person_id"))
    return qs.update(name=Subquery(person.values("name")[:1]), name_initials=Subquery(person.values("name_initials")[:1]))


def _member_public(member: Member) -> dict[str, Any]:
    data: dict[str, Any] = {"branch": member.branch_id, "stage": member.stage}
    data["work_unit"] = member.work_unit_id
    data["residence_community"] = member.residence_community_id
    data |= {field: getattr(member, field) for field in STAGE_DATE_FIELD.values()}
    return data


# Posts of the villagers' (residents') committee, the economic association and the supervision
# committee belong to the place, not to its party organization (domain.md §10.1).
PLACE_ROLES = frozenset({PostRole.CHAIR, PostRole.VICE_CHAIR, PostRole.COMMITTEE_MEMBER_VC, PostRole.COOP_HEAD, PostRole.SUPERVISION_CHAIR})


def _check_post_role(role: str, organization: Organization) -> None:
    if role not in PostRole.values:
        raise ValidationError({"role": "未知的职务。"})
    if role in PARTY_COMMITTEE_ROLES and organization.kind not in PARTY_ORG_KINDS:
        raise ValidationError({"organization": "书记、副书记、委员是党组织的职务，请选择党组织。"})
    if role in PLACE_ROLES and organization.kind in PARTY_ORG_KINDS:
        raise ValidationError(
            {"organization": "主任、副主任、村（居）委委员、经联社社长、监委会主任不是党组织的职务，请选择村（社区）或单位。"}
        )


def post_create(
    *,
    actor: User,
    person: Person,
    organization: Organization,
    role: str,
    start_date: date,
    elected: bool = True,
    end_date: date | None = None,
) -> Post:
    require(actor, "post.change", organization)
    require(actor, "person.view", person.organization)
    _check_post_role(role, organization)
    if end_date is not None and end_date < start_date:
        raise ValidationError({"end_date": "离任日期不能早于任职日期。"})
    with transaction.atomic():
        duplicate = Post.objects.filter(person=person, organization=organization, role=role, end_date__isnull=True).exists()
        if duplicate and end_date is None:
            raise ValidationError({"role": "此人已在该组织担任该职务。"})
        post = Post.objects.create(
            person=person, organization=organization, role=role, start_date=start_date, end_date=end_date, elected=elected
        )
        audit.record(
            actor=actor,
            action="post.create",
            obj=post,
            org=organization,
            changes={"person": person.pk, "role": role, "start_date": start_date},
        )
    return post


def post_end(*, actor: User, post: Post, end_date: date) -> Post:
    require(actor, "post.change", post.organization)
    with transaction.atomic():
        post = Post.objects.select_for_update().get(pk=post.pk)
        if post.end_date is not None:
            raise ValidationError("该职务已离任。")
        if end_date < post.start_date:
            raise ValidationError({"end_date": "离任日期不能早于任职日期。"})
        post.end_date = end_date
        post.save(update_fields=["end_date"])
        audit.record(actor=actor, action="post.end", obj=post, org=post.organization, changes={"end_date": [None, end_date]})
    return post


# ---- reserve cadres, grand-committee member units, pairings --------------------------------

# Local practice, not law (domain.md §10.2, [U]): reserves aged about 35 or under, at least 2 per
# village or community. Shown as warnings and never refused; a county with other rules changes these.
RESERVE_MAX_AGE = 35  # [U] local practice
RESERVE_MIN_PER_PLACE = 2  # [U] local practice


def reserve_age_warning(person: Person, on: date) -> str:
    """A note (not a refusal) when a reserve cadre is older than local practice suggests."""
    age = person.age_on(on)
    if age is None or age <= RESERVE_MAX_AGE:
        return ""
    return f"{person.name} 现年 {age} 岁，超过后备干部一般不超过 {RESERVE_MAX_AGE} 岁的本地惯例。"


def reserve_cadre_add(*, actor: User, organization: Organization, person: Person, since: date, note: str = "") -> ReserveCadre:
    """Put a person on a village's or community's reserve list (domain.md §10.2)."""
    require(actor, "post.change", organization)
    require(actor, "person.view", person.organization)
    if organization.kind not in GRASSROOTS_KINDS:
        raise ValidationError({"organization": "后备干部按村（社区）登记。"})
    try:
        with transaction.atomic():
            if ReserveCadre.objects.filter(organization=organization, person=person).exists():
                raise ValidationError({"person": "此人已在本村（社区）后备干部名单中。"})
            reserve = ReserveCadre.objects.create(organization=organization, person=person, since=since, note=note.strip())
            audit.record(
                actor=actor,
                action="reserve_cadre.add",
                obj=reserve,
                org=organization,
                changes={"person": person.pk, "since": since, "note": reserve.note},
            )
    except IntegrityError:
        raise ValidationError({"person": "此人已在本村（社区）后备干部名单中。"}) from None
    return reserve


def reserve_cadre_remove(*, actor: User, reserve: ReserveCadre) -> None:
    require(actor, "post.change", reserve.organization)
    with transaction.atomic():
        changes = {"person": reserve.person_id, "since": reserve.since}
        audit.record(actor=actor, action="reserve_cadre.remove", obj=reserve, org=reserve.organization, changes=changes)
        ReserveCadre.objects.filter(pk=reserve.pk).delete()


def grand_committee_unit_add(
    *,
    actor: User,
    community: Organization,
    unit: Organization,
    agreement_date: date,
    part_time_member: Person | None = None,
) -> GrandCommitteeUnit:
    """Enrol a unit in a community's grand party committee (社区大党委, domain.md §7.6)."""
    require(actor, "org.change", community)
    require(actor, "org.view", unit)
    if part_time_member is not None:
        require(actor, "person.view", part_time_member.organization)
    if community.kind != OrgKind.COMMUNITY:
        raise ValidationError({"community": "大党委成员单位只能设在社区之下。"})
    if unit.kind not in UNIT_KINDS:
        raise ValidationError({"unit": "大党委成员单位须为机关单位、非公企业或社会组织。"})
    try:
        with transaction.atomic():
            if GrandCommitteeUnit.objects.filter(community=community, unit=unit).exists():
                raise ValidationError({"unit": "该单位已是本社区大党委成员单位。"})
            row = GrandCommitteeUnit.objects.create(
                community=community, unit=unit, part_time_member=part_time_member, agreement_date=agreement_date
            )
            audit.record(
                actor=actor,
                action="grand_committee.add",
                obj=row,
                org=community,
                changes={"unit": unit.pk, "part_time_member": getattr(part_time_member, "pk", None), "agreement_date": agreement_date},
            )
    except IntegrityError:
        raise ValidationError({"unit": "该单位已是本社区大党委成员单位。"}) from None
    return row


def grand_committee_unit_remove(*, actor: User, row: GrandCommitteeUnit) -> None:
    require(actor, "org.change", row.community)
    with transaction.atomic():
        audit.record(actor=actor, action="grand_committee.remove", obj=row, org=row.community, changes={"unit": row.unit_id})
        GrandCommitteeUnit.objects.filter(pk=row.pk).delete()


def pairing_add(
    *,
    actor: User,
    unit: Organization,
    community: Organization,
    agreement_date: date,
    end_date: date | None = None,
) -> Pairing:
    """An organ paired with a village or community under a 结对共建协议 (domain.md §7.6)."""
    require(actor, "org.change", community)
    require(actor, "org.view", unit)
    if unit.kind != OrgKind.ORGAN:
        raise ValidationError({"unit": "结对共建的一方须为区直机关单位。"})
    if community.kind not in GRASSROOTS_KINDS:
        raise ValidationError({"community": "结对对象须为村或社区。"})
    if end_date is not None and end_date < agreement_date:
        raise ValidationError({"end_date": "协议终止日期不能早于签订日期。"})
    try:
        with transaction.atomic():
            pairs = Pairing.objects.filter(unit=unit, community=community)
            if pairs.filter(agreement_date=agreement_date).exists():
                raise ValidationError({"agreement_date": "该单位与本村（社区）在该日签订的结对协议已登记。"})
            if end_date is None and pairs.filter(end_date__isnull=True).exists():
                raise ValidationError({"unit": "该单位与本村（社区）已有未终止的结对协议。"})
            pairing = Pairing.objects.create(unit=unit, community=community, agreement_date=agreement_date, end_date=end_date)
            audit.record(
                actor=actor,
                action="pairing.add",
                obj=pairing,
                org=community,
                changes={"unit": unit.pk, "agreement_date": agreement_date, "end_date": end_date},
            )
    except IntegrityError:
        raise ValidationError({"agreement_date": "该单位与本村（社区）在该日签订的结对协议已登记。"}) from None
    return pairing


def pairing_end(*, actor: User, pairing: Pairing, end_date: date) -> Pairing:
    require(actor, "org.change", pairing.community)
    with transaction.atomic():
        pairing = Pairing.objects.select_for_update().select_related("unit", "community").get(pk=pairing.pk)
        if pairing.end_date is not None:
            raise ValidationError("该结对协议已终止。")
        if end_date < pairing.agreement_date:
            raise ValidationError({"end_date": "协议终止日期不能早于签订日期。"})
        pairing.end_date = end_date
        pairing.save(update_fields=["end_date"])
        audit.record(actor=actor, action="pairing.end", obj=pairing, org=pairing.community, changes={"end_date": [None, end_date]})
    return pairing
