"""/api/v1/people: people in the registry. ID numbers and phones go in plain and come out masked."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Status

from jiceng.accounts.access import scope
from jiceng.api.auth import current_user
from jiceng.api.common import DETAIL_ERRORS, LIST_ERRORS, WRITE_ERRORS, org_for, paginate, patch_changes, person_for
from jiceng.api.schemas import PersonIn, PersonOut, PersonPage, PersonPatch, PersonQuery
from jiceng.lib import fieldcrypto
from jiceng.lib.validators import normalize_id_number
from jiceng.orgs import services
from jiceng.orgs.access import roles
from jiceng.orgs.models import Person
from jiceng.orgs.selectors import filter_people

router = Router(tags=["人员"])


@router.get(
    "",
    response={200: PersonPage, **LIST_ERRORS},
    summary="人员列表",
    description="按姓名或拼音首字母模糊查找，或按身份证号精确查找（比对密钥哈希，明文不落库）。",
)
def list_people(request: HttpRequest, filters: Query[PersonQuery]) -> dict[str, object]:
    user = current_user(request)
    qs = scope(Person.objects.select_related("organization"), user, roles("person.view"), "organization__path")
    qs = qs.order_by("organization__path", "name_initials", "pk")
    qs = filter_people(qs, {"q": filters.q or ""})
    if filters.id_number:
        try:
            id_number = normalize_id_number(filters.id_number)
        except ValidationError as exc:
            raise ValidationError({"id_number": exc.messages}) from None
        qs = qs.filter(id_number_hash__in=fieldcrypto.lookup_hashes(id_number))
    return paginate(qs, filters)


@router.get("/{int:person_id}", response={200: PersonOut, **DETAIL_ERRORS}, summary="人员详情")
def get_person(request: HttpRequest, person_id: int) -> Person:
    return person_for(current_user(request), person_id)


@router.post("", response={201: PersonOut, **WRITE_ERRORS}, summary="新建人员")
def create_person(request: HttpRequest, payload: PersonIn) -> Status[Person]:
    user = current_user(request)
    person = services.person_create(
        actor=user,
        organization=org_for(user, payload.organization),
        name=payload.name,
        gender=payload.gender,
        birth_date=payload.birth_date,
        ethnicity=payload.ethnicity,
        education=payload.education or "",
        address=payload.address,
        id_number=payload.id_number,
        phone=payload.phone,
    )
    return Status(201, person)


@router.patch(
    "/{int:person_id}", response={200: PersonOut, **WRITE_ERRORS}, summary="修改人员", description="身份证号、手机号只能更正，不能清空。"
)
def update_person(request: HttpRequest, person_id: int, payload: PersonPatch) -> Person:
    user = current_user(request)
    person = person_for(user, person_id)
    changes = patch_changes(payload, required=("name", "gender", "ethnicity", "address", "id_number", "phone"))
    if "education" in changes:
        changes["education"] = changes["education"] or ""
    id_number, phone = changes.pop("id_number", None), changes.pop("phone", None)
    return services.person_update(actor=user, person=person, id_number=id_number, phone=phone, **changes)
