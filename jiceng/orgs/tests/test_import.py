"""Excel import: preview lists every bad row, all-or-nothing writes, idempotent re-import, scope."""

from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from jiceng.accounts.models import User
from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.lib import fieldcrypto
from jiceng.lib.validators import id_check_digit
from jiceng.orgs import importing, importing_files
from jiceng.orgs import importing_uploads as uploads
from jiceng.orgs.models import Member, Person, Post, PostRole, Stage

HEADERS = [c.header for c in importing_files.COLUMNS]
VILLAGE_A, BRANCH_A = "440799100201", "440799100201D1"
VILLAGE_B, BRANCH_B = "440799100202", "440799100202D1"


def make_id(birth: str = "19900101", seq: str = "12", male: bool = True) -> str:
    first17 = "440703" + birth + seq + ("1" if male else "2")
    return first17 + id_check_digit(first17)


def xlsx(rows: list[dict[str, Any]], headers: list[str] = HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h) for h in headers])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def person_row(name: str = "王五", id_number: str | None = None, org: str = VILLAGE_A, **extra: Any) -> dict[str, Any]:
    return {"姓名": name, "性别": "男", "身份证号": id_number or make_id(), "手机号": "13900139000", "所属组织编码": org, **extra}


def member_row(**extra: Any) -> dict[str, Any]:
    return person_row(
        **{
            "党组织编码": BRANCH_A,
            "发展阶段": "预备党员",
            "申请入党日期": "2020-03-01",
            "确定积极分子日期": "2020/9/1",
            "确定发展对象日期": datetime(2021, 10, 1),
            "接收预备党员日期": "2022年1月5日",
            **extra,
        }
    )


@pytest.fixture(autouse=True)
def var_dir(settings: Any, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path
    return tmp_path


def upload(client: Client, data: bytes, name: str = "名单.xlsx") -> Any:
    return client.post(reverse("orgs:import"), {"file": SimpleUploadedFile(name, data, content_type=importing_files.XLSX_TYPE)})


def token_of(response: Any) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(response.url.rstrip("/").split("/")[-1])


def confirm(client: Client, token: str, mode: str = "all") -> Any:
    return client.post(reverse("orgs:import_confirm", args=[token]), {"mode": mode})


def run(client: Client, user: User, rows: list[dict[str, Any]], mode: str = "all") -> Any:
    client.force_login(user)
    token = token_of(upload(client, xlsx(rows)))
    assert client.get(reverse("orgs:import_preview", args=[token])).status_code == 200
    return confirm(client, token, mode)


def messages_of(client: Client, response: Any) -> list[str]:
    from django.contrib.messages import get_messages

    return [str(m) for m in get_messages(response.wsgi_request)]


def errors_of(user: User, rows: list[dict[str, Any]]) -> set[tuple[int, str, str]]:
    report = importing.validate(actor=user, data=xlsx(rows))
    return {(e.row, e.column, e.message) for e in report.errors}


def columns_of(user: User, rows: list[dict[str, Any]]) -> set[tuple[int, str]]:
    return {(row, column) for row, column, _m in errors_of(user, rows)}


# ---- the happy path ----------------------------------------------------------------------------


def test_it_imports_people_members_and_posts_with_audit_events(client: Client, personas: Personas, tree: Tree, var_dir: Path) -> None:
    rows = [
        member_row(**{"职务": "书记", "任职组织编码": BRANCH_A, "任职日期": "2023-01-01", "学历": "本科", "住址": "甲村一巷1号"}),
        person_row("赵六", make_id("19850505", "34", male=False), **{"性别": "女", "出生日期": "1985-05-05", "民族": "壮族"}),
    ]
    response = run(client, personas.secretary_a, rows)

    assert response.status_code == 302 and response.url == reverse("orgs:members")
    wang = Person.objects.get(name="王五")
    assert wang.organization == tree.village_a and wang.education == "bachelor" and wang.birth_date == date(1990, 1, 1)
    assert wang.id_number_hash == fieldcrypto.lookup_hash(make_id()) and wang.phone_masked == "139****9000"
    assert wang.member.branch == tree.branch_a and wang.member.stage == Stage.PROBATIONARY
    assert wang.member.candidate_on == date(2021, 10, 1) and wang.member.probationary_on == date(2022, 1, 5)
    post = Post.objects.get(person=wang)
    assert (post.organization, post.role, post.start_date) == (tree.branch_a, PostRole.SECRETARY, date(2023, 1, 1))
    zhao = Person.objects.get(name="赵六")
    assert zhao.gender == "F" and zhao.ethnicity == "壮族" and not Member.objects.filter(person=zhao).exists()

    # One ledger event for the whole file, naming every record it created.
    assert list(Event.objects.values_list("action", flat=True)) == ["registry.import"]
    event = Event.objects.get(action="registry.import")
    assert event.changes["ids"] == {
        "people_created": importing.id_ranges([wang.pk, zhao.pk]),
        "members_created": [[wang.member.pk, wang.member.pk]],
        "posts_created": [[post.pk, post.pk]],
    }
    assert event.actor_id == personas.secretary_a.pk and event.org_path == tree.village_a.path
    assert event.changes["file_name"] == "名单.xlsx" and len(event.changes["sha256"]) == 64
    assert event.changes | {"sha256": "", "file_name": "", "ids": {}} == {
        "ids": {},
        "file_name": "",
        "sha256": "",
        "mode": "all",
        "rows": 2,
        "imported": 2,
        "skipped": 0,
        "people_created": 2,
        "members_created": 1,
        "posts_created": 1,
    }
    assert "已导入 2 行：新增 2 人、更新 0 人" in messages_of(client, response)[0]
    assert list((var_dir / "imports").iterdir()) == []  # the upload with plain IDs is gone


def test_it_updates_a_known_id_number_instead_of_duplicating(client: Client, personas: Personas, person_a: Person) -> None:
    row = person_row("张三", "440703198001011234", **{"住址": "新地址", "手机号": "13700137000"})
    response = run(client, personas.secretary_a, [row])

    assert response.status_code == 302
    assert Person.objects.count() == 1
    person_a.refresh_from_db()
    assert person_a.address == "新地址" and person_a.phone_hash == fieldcrypto.lookup_hash("13700137000")
    event = Event.objects.get()
    assert event.action == "registry.import" and event.changes["people_updated"] == 1
    assert event.changes["fields_changed"] == {"address": 1, "phone": 1}
    assert event.changes["ids"] == {"people_updated": [[person_a.pk, person_a.pk]]}
    assert "13700137000" not in str(event.changes)  # the ledger never holds a plain phone
    assert person_a.member.stage == Stage.FULL  # no member columns: the member record is left alone


def test_importing_the_same_file_twice_creates_no_duplicates(client: Client, personas: Personas) -> None:
    rows = [member_row(**{"职务": "委员", "任职组织编码": BRANCH_A, "任职日期": "2023-01-01"}), person_row("赵六", make_id(seq="34"))]
    run(client, personas.secretary_a, rows)
    events_before = Event.objects.count()
    response = run(client, personas.secretary_a, rows)

    assert response.status_code == 302
    assert Person.objects.count() == 2 and Member.objects.count() == 1 and Post.objects.count() == 1
    assert Event.objects.count() == events_before + 1  # only the import itself
    second = Event.objects.filter(action="registry.import").order_by("-seq").first()
    assert second is not None
    assert (second.changes["people_unchanged"], second.changes["members_unchanged"], second.changes["posts_existing"]) == (2, 1, 1)
    assert "people_created" not in second.changes


def test_it_updates_the_stage_of_a_known_member(client: Client, personas: Personas) -> None:
    run(client, personas.secretary_a, [member_row()])
    response = run(client, personas.secretary_a, [member_row(**{"发展阶段": "正式党员", "转正日期": "2023-01-05"})])

    assert response.status_code == 302
    member = Member.objects.get()
    assert member.stage == Stage.FULL and member.full_on == date(2023, 1, 5) and member.applied_on == date(2020, 3, 1)
    second = Event.objects.filter(action="registry.import").order_by("-seq").first()
    assert second is not None and second.changes["members_updated"] == 1
    assert second.changes["ids"] == {"members_updated": [[member.pk, member.pk]]}


# ---- bad rows ----------------------------------------------------------------------------------


def test_a_bad_row_writes_nothing_and_the_preview_lists_it(client: Client, personas: Personas) -> None:
    client.force_login(personas.secretary_a)
    right = make_id(seq="34")
    wrong = right[:17] + ("0" if right[17] != "0" else "1")
    token = token_of(upload(client, xlsx([person_row(), person_row("赵六", wrong)])))

    page = client.get(reverse("orgs:import_preview", args=[token])).content.decode()
    assert "<td>3</td><td>身份证号</td><td>身份证号校验位不正确，请核对。</td>" in page
    assert "共 2 行数据：有效 1 行，有错误 1 行。" in page
    assert "文件中有错误行，不能全部导入" in page

    response = confirm(client, token, "all")
    assert response.status_code == 302 and response.url == reverse("orgs:import_preview", args=[token])
    assert Person.objects.count() == 0 and Event.objects.count() == 0
    assert "未导入任何数据" in messages_of(client, response)[0]


def test_only_valid_rows_imports_the_good_rows(client: Client, personas: Personas) -> None:
    rows = [person_row(), person_row("赵六", make_id(seq="34"), **{"性别": "未知"}), person_row("孙七", make_id(seq="56"))]
    response = run(client, personas.secretary_a, rows, mode="valid")

    assert response.status_code == 302 and response.url == reverse("orgs:members")
    assert set(Person.objects.values_list("name", flat=True)) == {"王五", "孙七"}
    event = Event.objects.get(action="registry.import")
    assert (event.changes["mode"], event.changes["imported"], event.changes["skipped"]) == ("valid_only", 2, 1)
    assert "跳过有错误的 1 行" in messages_of(client, response)[0]


def test_it_lists_every_bad_row_with_row_column_and_message(personas: Personas, tree: Tree) -> None:
    dup = make_id(seq="90")
    rows = [
        person_row(name="", id_number=make_id(seq="01")),  # 2
        person_row(id_number=make_id(seq="02"), **{"性别": "X"}),  # 3
        person_row(id_number="12345"),  # 4
        person_row(id_number=dup),  # 5
        person_row(id_number=dup),  # 6
        person_row(id_number=make_id(seq="07"), **{"手机号": "12345"}),  # 7
        person_row(id_number=make_id(seq="08"), **{"出生日期": "去年"}),  # 8
        person_row(id_number=make_id(seq="09"), org="999999"),  # 9
        member_row(id_number=make_id(seq="10"), **{"确定积极分子日期": "2019-01-01"}),  # 10: before the application
        person_row(id_number=make_id(seq="11"), **{"职务": "村长", "任职组织编码": VILLAGE_A, "任职日期": "2023-01-01"}),  # 11
        {**person_row(), "身份证号": int(make_id(seq="12")[:17])},  # 12: stored as a number by Excel
        person_row(id_number=make_id(seq="13"), **{"性别": "女"}),  # 13: the ID says male
        person_row(id_number=make_id(seq="14"), **{"党组织编码": BRANCH_A}),  # 14: no stage
        person_row(id_number=make_id(seq="15"), **{"发展阶段": "预备党员"}),  # 15: no branch
        person_row(id_number=make_id(seq="16"), **{"学历": "幼儿园"}),  # 16
        person_row(id_number=make_id(seq="17"), **{"出生日期": "1991-01-01"}),  # 17: ID says 1990-01-01
        person_row(id_number=make_id(seq="18"), **{"职务": "书记"}),  # 18: no post org or start
        person_row(id_number=make_id(seq="19"), org=BRANCH_A),  # 19: a branch is not where a person belongs
        person_row(id_number=make_id(seq="20"), **{"党组织编码": VILLAGE_A, "发展阶段": "入党申请人", "申请入党日期": "2020-01-01"}),
    ]
    errors = errors_of(personas.secretary_a, rows)
    assert {(r, c) for r, c, _m in errors} == {
        (2, "姓名"),
        (3, "性别"),
        (4, "身份证号"),
        (6, "身份证号"),
        (7, "手机号"),
        (8, "出生日期"),
        (9, "所属组织编码"),
        (10, "确定积极分子日期"),
        (11, "职务"),
        (12, "身份证号"),
        (13, "性别"),
        (14, "发展阶段"),
        (15, "党组织编码"),
        (16, "学历"),
        (17, "出生日期"),
        (18, "任职组织编码"),
        (18, "任职日期"),
        (19, "所属组织编码"),
        (20, "党组织编码"),
    }
    messages = {(r, c): m for r, c, m in errors}
    assert messages[2, "姓名"] == "姓名不能为空。"
    assert messages[4, "身份证号"] == "身份证号应为18位，前17位为数字，最后一位为数字或X。"
    assert messages[6, "身份证号"] == "与第 5 行的身份证号重复。"
    assert messages[7, "手机号"] == "手机号应为11位，以1开头。"
    assert messages[8, "出生日期"] == "无法识别的日期“去年”，请填写如 2001-07-01 的日期。"
    assert messages[9, "所属组织编码"] == "组织编码不存在或不在您的管辖范围内。"
    assert messages[10, "确定积极分子日期"] == "“入党积极分子”日期不能早于上一阶段。"
    assert "未知的职务“村长”" in messages[11, "职务"]
    assert "文本格式" in messages[12, "身份证号"]
    assert "不一致" in messages[13, "性别"] and "1990-01-01" in messages[17, "出生日期"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2001-07-01", date(2001, 7, 1)),
        ("2001/7/1", date(2001, 7, 1)),
        ("2001.7.1", date(2001, 7, 1)),
        ("2001年7月1日", date(2001, 7, 1)),
        (" 2001 年 7 月 1 日 ", date(2001, 7, 1)),
        ("20010701", date(2001, 7, 1)),
        ("2001-07-1 ", date(2001, 7, 1)),  # ISO-sized but not ISO: the full path still reads it
        ("2001-7 -01", date(2001, 7, 1)),
        ("2001-07-01 00:00:00", date(2001, 7, 1)),
        (datetime(2001, 7, 1, 0, 0), date(2001, 7, 1)),
        (date(2001, 7, 1), date(2001, 7, 1)),
        (None, None),
        ("", None),
    ],
)
def test_it_reads_excel_and_text_dates(value: Any, expected: date | None) -> None:
    assert importing_files.parse_date(value) == expected


@pytest.mark.parametrize("value", ["2001-13-01", "2001-02-30", "7/1/2001", "01.07.2001", "明年", "2001", 37073])
def test_it_refuses_unreadable_dates(value: Any) -> None:
    with pytest.raises(ValueError):
        importing_files.parse_date(value)


# ---- scope -------------------------------------------------------------------------------------


def test_another_villages_code_is_refused_without_revealing_it(personas: Personas) -> None:
    rows = [
        person_row(org=VILLAGE_B),
        member_row(id_number=make_id(seq="34"), **{"党组织编码": BRANCH_B}),
        person_row(id_number=make_id(seq="56"), org="000000"),
    ]
    rows.append(person_row(id_number=make_id(seq="78"), **{"职务": "书记", "任职组织编码": BRANCH_B, "任职日期": "2023-01-01"}))
    errors = errors_of(personas.secretary_a, rows)
    hidden = "组织编码不存在或不在您的管辖范围内。"
    assert errors == {(2, "所属组织编码", hidden), (3, "党组织编码", hidden), (4, "所属组织编码", hidden), (5, "任职组织编码", hidden)}


def test_town_staff_may_import_into_both_villages(personas: Personas) -> None:
    rows = [person_row(org=VILLAGE_B), member_row(id_number=make_id(seq="34"), **{"党组织编码": BRANCH_B})]
    assert errors_of(personas.town_staff, rows) == set()


def test_a_person_registered_outside_scope_is_not_touched(client: Client, personas: Personas, tree: Tree) -> None:
    outside = make_id(seq="77")
    Person.objects.create(organization=tree.village_b, name="钱八", gender="M", id_number_hash=fieldcrypto.lookup_hash(outside))
    errors = errors_of(personas.secretary_a, [person_row("钱八", outside)])
    assert errors == {(2, "身份证号", "该身份证号已登记在您管辖范围以外的人员名下，不能通过导入修改。")}


def test_import_does_not_move_a_person_or_transfer_a_member(personas: Personas, person_a: Person) -> None:
    moved = person_row("张三", "440703198001011234", org=VILLAGE_B)
    transfer = person_row("张三", "440703198001011234", **{"党组织编码": BRANCH_B, "发展阶段": "正式党员", "转正日期": "2002-09-01"})
    assert errors_of(personas.town_staff, [moved]) == {(2, "所属组织编码", "该人员已登记在“甲村”，导入不能变更所属组织。")}
    assert columns_of(personas.town_staff, [transfer]) == {(2, "党组织编码")}
    assert "组织关系转接" in next(iter(errors_of(personas.town_staff, [transfer])))[2]


def test_outsider_and_party_member_get_403(client: Client, personas: Personas) -> None:
    for user in (personas.outsider, personas.member, personas.auditor):
        client.force_login(user)
        assert client.get(reverse("orgs:import")).status_code == 403
        assert client.get(reverse("orgs:import") + "?template=1").status_code == 403
        assert upload(client, xlsx([person_row()])).status_code == 403
        assert confirm(client, "x" * 43).status_code == 403
    assert not list(Path(uploads._upload_dir()).iterdir())


def test_anonymous_is_sent_to_login(client: Client, tree: Tree) -> None:
    response: Any = client.get(reverse("orgs:import"))
    assert response.status_code == 302 and "/login/" in response.url


def test_another_users_token_is_404(client: Client, personas: Personas) -> None:
    client.force_login(personas.secretary_a)
    token = token_of(upload(client, xlsx([person_row()])))

    client.force_login(personas.secretary_b)
    assert client.get(reverse("orgs:import_preview", args=[token])).status_code == 404
    assert confirm(client, token).status_code == 404
    client.force_login(personas.district_admin)  # even one whose scope covers the rows
    assert confirm(client, token).status_code == 404
    assert Person.objects.count() == 0


@pytest.mark.parametrize("token", ["..", "....", "..%2F..%2Fsecret_key", "abc", "a" * 31, "%2e%2e", "x" * 43])
def test_bad_or_unknown_tokens_are_404(client: Client, personas: Personas, token: str) -> None:
    client.force_login(personas.secretary_a)
    assert client.get(f"/orgs/import/{token}/").status_code == 404
    assert client.post(f"/orgs/import/{token}/confirm/", {"mode": "all"}).status_code == 404


def test_path_traversal_tokens_never_reach_the_disk(personas: Personas) -> None:
    for token in ("../secret_key", "../../etc/passwd", "/etc/passwd", "a/" + "b" * 40):
        assert uploads.load_upload(user=personas.secretary_a, token=token) is None


def test_a_tampered_upload_is_404(client: Client, personas: Personas, var_dir: Path) -> None:
    client.force_login(personas.secretary_a)
    token = token_of(upload(client, xlsx([person_row()])))
    blob = var_dir / "imports" / f"{token}.xlsx.enc"
    assert b"440703" not in blob.read_bytes()  # kept encrypted at rest
    blob.write_bytes(blob.read_bytes()[:-1] + b"\x00")
    assert client.get(reverse("orgs:import_preview", args=[token])).status_code == 404


# ---- the file as a whole -----------------------------------------------------------------------


def test_a_non_excel_file_gets_a_clear_message(client: Client, personas: Personas) -> None:
    client.force_login(personas.secretary_a)
    for name, data, message in (
        ("名单.xlsx", b"not a spreadsheet", "文件无法读取，请上传 .xlsx 格式的 Excel 文件或 .csv 文件。"),
        ("名单.xlsx", b"PK\x03\x04broken zip", "文件无法读取，请上传 .xlsx 格式的 Excel 文件或 .csv 文件。"),
        ("名单.pdf", b"%PDF-1.4", "文件无法读取，请上传 .xlsx 格式的 Excel 文件或 .csv 文件。"),
        ("名单.csv", b"\x00\x01binary\x00", "文件无法读取，请上传 .xlsx 格式的 Excel 文件或 .csv 文件。"),
        ("名单.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old", "这是旧版 .xls 文件"),
        ("名单.csv", "姓名,性别\n王五,男\n".encode(), "缺少必填列：身份证号、所属组织编码。"),
    ):
        response = upload(client, data, name)
        assert response.status_code == 200
        assert message in response.content.decode(), name
    assert not list(Path(uploads._upload_dir()).iterdir())


def test_an_oversized_file_gets_a_clear_message(client: Client, personas: Personas, settings: Any) -> None:
    settings.MAX_UPLOAD_MB = 1
    client.force_login(personas.secretary_a)
    response = upload(client, b"PK\x03\x04" + b"0" * (1024 * 1024 + 1))
    assert "文件超过 1 MB 的上限" in response.content.decode()
    assert Person.objects.count() == 0


def test_missing_headers_are_listed(client: Client, personas: Personas) -> None:
    client.force_login(personas.secretary_a)
    headers = [h for h in HEADERS if h not in ("身份证号", "所属组织编码")]
    response = upload(client, xlsx([{"姓名": "王五"}], headers))
    assert "缺少必填列：身份证号、所属组织编码。" in response.content.decode()


def test_headers_with_marks_and_hints_are_recognised(personas: Personas) -> None:
    marked = {"姓名": "姓名*", "性别": "性别（男/女）", "身份证号": " 身份证号 ", "所属组织编码": "所属组织编码(村/社区)"}
    row = {marked.get(h, h): v for h, v in person_row().items()}
    report = importing.validate(actor=personas.secretary_a, data=xlsx([row], [marked.get(h, h) for h in HEADERS]))
    assert report.errors == [] and report.valid == 1


def test_an_empty_file_is_refused(client: Client, personas: Personas) -> None:
    client.force_login(personas.secretary_a)
    assert "文件中没有数据行。" in upload(client, xlsx([])).content.decode()


def test_too_many_rows_are_refused(personas: Personas, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing_files, "MAX_ROWS", 2)
    rows = [person_row(id_number=make_id(seq=f"{i:02d}")) for i in range(3)]
    with pytest.raises(importing_files.ImportFileError, match="数据超过 2 行的上限"):
        importing.validate(actor=personas.secretary_a, data=xlsx(rows))


def test_the_template_downloads_and_reads_back(client: Client, personas: Personas) -> None:
    client.force_login(personas.secretary_a)
    response: Any = client.get(reverse("orgs:import") + "?template=1")
    assert response.status_code == 200 and response["Content-Type"] == importing_files.XLSX_TYPE
    data = b"".join(response.streaming_content)
    ws = load_workbook(BytesIO(data)).active
    assert ws is not None
    assert [str(c.value).rstrip("*") for c in ws[1]] == HEADERS
    with pytest.raises(importing_files.ImportFileError, match="没有数据行"):
        importing_files.check_file(data)


def test_the_upload_page_links_the_template(client: Client, personas: Personas) -> None:
    client.force_login(personas.secretary_a)
    page = client.get(reverse("orgs:import")).content.decode()
    assert "?template=1" in page and "下载导入模板" in page


# ---- confirm -----------------------------------------------------------------------------------


def test_confirm_is_post_only(client: Client, personas: Personas) -> None:
    client.force_login(personas.secretary_a)
    token = token_of(upload(client, xlsx([person_row()])))
    assert client.get(reverse("orgs:import_confirm", args=[token])).status_code == 405
    assert Person.objects.count() == 0


def test_confirm_needs_the_csrf_token(personas: Personas) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.secretary_a)
    token = uploads.save_upload(user=personas.secretary_a, file_name="a.xlsx", data=xlsx([person_row()]))
    assert confirm(client, token).status_code == 403
    assert Person.objects.count() == 0


def test_confirm_validates_again_and_never_trusts_the_preview(client: Client, personas: Personas, tree: Tree) -> None:
    client.force_login(personas.secretary_a)
    rows = [person_row(), person_row("赵六", make_id(seq="34"))]
    token = token_of(upload(client, xlsx(rows)))
    assert "有效 2 行，有错误 0 行" in client.get(reverse("orgs:import_preview", args=[token])).content.decode()
    # Meanwhile the second ID number is registered in village B, outside secretary_a's scope.
    Person.objects.create(organization=tree.village_b, name="赵六", gender="M", id_number_hash=fieldcrypto.lookup_hash(make_id(seq="34")))

    response = confirm(client, token, "all")
    assert response.status_code == 302 and response.url == reverse("orgs:import_preview", args=[token])
    assert Person.objects.count() == 1 and Event.objects.count() == 0


def test_confirm_all_with_errors_is_refused_even_if_posted_directly(client: Client, personas: Personas) -> None:
    client.force_login(personas.secretary_a)
    token = token_of(upload(client, xlsx([person_row(), person_row("", make_id(seq="34"))])))
    response = confirm(client, token, "all")
    assert "有 1 行存在错误" in messages_of(client, response)[0]
    assert Person.objects.count() == 0


def test_an_unknown_mode_writes_nothing(client: Client, personas: Personas) -> None:
    client.force_login(personas.secretary_a)
    token = token_of(upload(client, xlsx([person_row()])))
    assert confirm(client, token, "everything").status_code == 302
    assert Person.objects.count() == 0


def test_a_double_submit_imports_once(client: Client, personas: Personas) -> None:
    client.force_login(personas.secretary_a)
    token = token_of(upload(client, xlsx([person_row()])))
    assert uploads.claim_upload(token)  # the first submit is still running
    response = confirm(client, token)
    assert "请勿重复提交" in messages_of(client, response)[0]
    assert Person.objects.count() == 0
    uploads.release_upload(token)
    assert confirm(client, token).url == reverse("orgs:members")
    assert Person.objects.count() == 1
    assert confirm(client, token).status_code == 404  # the upload is gone after a successful import


def test_the_preview_offers_the_full_error_list_as_a_spreadsheet(client: Client, personas: Personas) -> None:
    client.force_login(personas.secretary_a)
    token = token_of(upload(client, xlsx([person_row(name="")])))
    response: Any = client.get(reverse("orgs:import_preview", args=[token]) + "?format=xlsx")
    ws = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    assert ws is not None
    assert [[c.value for c in row] for row in ws.iter_rows()] == [["行号", "列", "错误说明"], [2, "姓名", "姓名不能为空。"]]


def test_stale_uploads_are_purged(personas: Personas, var_dir: Path) -> None:
    token = uploads.save_upload(user=personas.secretary_a, file_name="a.xlsx", data=xlsx([person_row()]))
    uploads.purge_stale_uploads(max_age=-1)
    assert uploads.load_upload(user=personas.secretary_a, token=token) is None


def test_a_person_hashed_under_an_older_field_key_is_still_found(
    client: Client, personas: Personas, person_a: Person, settings: Any
) -> None:
    settings.FIELD_KEYS = ["a-newer-field-key-mid-rotation", *settings.FIELD_KEYS]
    response = run(client, personas.secretary_a, [person_row("张三", "440703198001011234", **{"手机号": "13800138000"})])

    assert response.status_code == 302
    assert Person.objects.count() == 1
    assert list(Event.objects.values_list("action", flat=True)) == ["registry.import"]  # same phone under the old key: unchanged


def test_imported_and_renamed_members_are_found_by_the_member_search(client: Client, personas: Personas, person_a: Person) -> None:
    """The member row carries a copy of the person's name (orgs 0007): the import writes it and keeps it in step."""
    from jiceng.orgs.selectors import members_for_user

    new_member = member_row(name="欧阳修", id_number=make_id(seq="56"))
    renamed = person_row("张叁", "440703198001011234")  # person_a, a member of branch A, renamed by the file
    assert run(client, personas.secretary_a, [new_member, renamed]).status_code == 302
    created = Member.objects.get(person__name="欧阳修")
    assert (created.name, created.name_initials) == ("欧阳修", "oyx")
    assert Member.objects.get(person=person_a).name == "张叁"

    def found(q: str) -> set[str]:
        return {m.person.name for m in members_for_user(personas.secretary_a, {"q": q})}

    assert found("欧阳") == {"欧阳修"} and found("张叁") == {"张叁"} and found("张三") == set()
    assert found("oyx") == {"欧阳修"}
