"""CSV files, batched queries, background jobs and the fast pinyin initials of the bulk import."""

import csv
import io
import random
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from jiceng.audit.models import Event
from jiceng.conftest import Personas, Tree
from jiceng.orgs import importing, importing_files, importing_jobs
from jiceng.orgs import importing_uploads as uploads
from jiceng.orgs.models import ImportJob, ImportStatus, Member, Person
from jiceng.orgs.models_import import ImportKind
from jiceng.orgs.services import name_initials
from jiceng.orgs.tests.test_import import HEADERS, make_id, member_row, person_row, xlsx


@pytest.fixture(autouse=True)
def var_dir(settings: Any, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path
    return tmp_path


def csv_bytes(rows: list[dict[str, Any]], encoding: str = "utf-8-sig", headers: list[str] = HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if row.get(h) is None else str(row.get(h)) for h in headers])
    return out.getvalue().encode(encoding)


def upload(client: Client, data: bytes, name: str) -> Any:
    return client.post(reverse("orgs:import"), {"file": SimpleUploadedFile(name, data)})


def token_of(response: Any) -> str:
    assert response.status_code == 302, response.content.decode()[:3000]
    return str(response.url.rstrip("/").split("/")[-1])


# ---- CSV ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_it_imports_a_csv_file_in_each_encoding_excel_writes(client: Client, personas: Personas, tree: Tree, encoding: str) -> None:
    client.force_login(personas.secretary_a)
    rows = [member_row(**{"确定发展对象日期": "2021-10-01"}), person_row("赵六", make_id(seq="34"), **{"住址": "甲村二巷"})]
    token = token_of(upload(client, csv_bytes(rows, encoding), "名单.csv"))
    page = client.get(reverse("orgs:import_preview", args=[token])).content.decode()
    assert "共 2 行数据：有效 2 行，有错误 0 行。" in page

    response: Any = client.post(reverse("orgs:import_confirm", args=[token]), {"mode": "all"})
    assert response.status_code == 302 and response.url == reverse("orgs:members")
    zhao = Person.objects.get(name="赵六")
    assert zhao.address == "甲村二巷" and zhao.organization == tree.village_a
    assert Member.objects.get().person.name == "王五"
    assert list(Event.objects.values_list("action", flat=True)) == ["registry.import"]


def test_a_csv_file_is_checked_with_the_same_rules_and_messages(personas: Personas) -> None:
    rows = [person_row(name=""), person_row(id_number="4.40703E+17"), person_row(id_number=make_id(seq="56"), org="999999")]
    report = importing.validate(actor=personas.secretary_a, data=csv_bytes(rows), file_name="名单.csv")
    found = {(e.row, e.column, e.message) for e in report.errors}
    assert (2, "姓名", "姓名不能为空。") in found
    assert (4, "所属组织编码", "组织编码不存在或不在您的管辖范围内。") in found
    assert any(row == 3 and column == "身份证号" and "文本格式" in message for row, column, message in found)
    assert report.total == 3 and report.valid == 0


def test_a_tab_separated_file_reads_too(personas: Personas) -> None:
    data = csv_bytes([person_row()], encoding="utf-8").decode().replace(",", "\t").encode()
    report = importing.validate(actor=personas.secretary_a, data=data, file_name="名单.txt")
    assert report.errors == [] and report.valid == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('姓名,性别,身份证号,所属组织编码\n"王五,男,1,2\n'.encode(), "CSV 文件格式有误"),
        (b"\xff\xfe\x00\x00garbage", "文件无法读取"),
        ("姓名,性别\n王五,男\n".encode("gb18030"), "缺少必填列：身份证号、所属组织编码。"),
        (",".join(HEADERS).encode() + b"\n", "文件中没有数据行。"),
    ],
)
def test_a_malformed_csv_is_refused_with_a_chinese_message(client: Client, personas: Personas, data: bytes, message: str) -> None:
    client.force_login(personas.secretary_a)
    response = upload(client, data, "名单.csv")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not list(Path(uploads._upload_dir()).iterdir())


def test_a_nul_far_into_a_csv_file_is_refused_before_anything_is_written(personas: Personas) -> None:
    rows = [person_row(name=f"王{i}", id_number=make_id(seq=f"{i % 100:02d}")) for i in range(1500)]
    data = csv_bytes([*rows, person_row(name="王\x00五")])
    assert data.index(b"\x00") > 65536
    with pytest.raises(importing_files.ImportFileError, match="文件无法读取"):
        importing.import_file(actor=personas.secretary_a, data=data, file_name="名单.csv", only_valid=False)
    assert Person.objects.count() == 0 and Event.objects.count() == 0


def test_the_upload_page_accepts_csv_and_lists_my_recent_jobs(client: Client, personas: Personas) -> None:
    ImportJob.objects.create(user=personas.secretary_a, token="t" * 43, file_name="大名单.csv", sha256="0" * 64, rows=5000)
    ImportJob.objects.create(user=personas.secretary_b, token="u" * 43, file_name="乙村名单.csv", sha256="0" * 64, rows=5000)
    client.force_login(personas.secretary_a)
    page = client.get(reverse("orgs:import")).content.decode()
    assert ".csv" in page and "大名单.csv" in page and "乙村名单.csv" not in page


# ---- batches -----------------------------------------------------------------------------------


def test_validation_queries_do_not_grow_with_rows(personas: Personas, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "BATCH", 10)

    def queries(n: int) -> int:
        rows = [member_row(id_number=make_id(seq=f"{i:02d}")) for i in range(n)]
        data = xlsx(rows)
        with CaptureQueriesContext(connection) as ctx:
            report = importing.validate(actor=personas.secretary_a, data=data)
        assert report.valid == n
        return len(ctx)

    queries(10)  # the user's grants are loaded once and cached on the user
    # Per batch of 10: one query for known people (none known here); codes are resolved once per run.
    assert queries(10) == 2 and queries(30) == 4


def test_a_large_import_writes_in_batches_with_one_event(personas: Personas, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "BATCH", 7)
    rows = [member_row(name=f"王{i}", id_number=make_id(seq=f"{i:02d}")) for i in range(25)]
    with CaptureQueriesContext(connection) as ctx:
        result = importing.import_file(actor=personas.secretary_a, data=xlsx(rows), file_name="a.xlsx", only_valid=False)
    assert result.imported == 25 and Person.objects.count() == 25 and Member.objects.count() == 25
    assert len(ctx) < 60  # 4 batches; one query per row would be well over 100
    event = Event.objects.get()
    ids = sorted(Person.objects.values_list("pk", flat=True))
    assert importing.id_ranges(ids) == event.changes["ids"]["people_created"]


def test_a_malformed_row_far_into_the_file_stops_the_import_with_its_message(personas: Personas, monkeypatch: pytest.MonkeyPatch) -> None:
    # Batches are read one ahead in a worker thread: its error must reach the caller, and nothing stays written.
    monkeypatch.setattr(importing, "BATCH", 3)
    rows = [person_row(name=f"王{i}", id_number=make_id(seq=f"{i:02d}")) for i in range(10)]
    data = csv_bytes(rows) + '"王五,男,1,2\n'.encode()
    with pytest.raises(importing_files.ImportFileError, match="CSV 文件格式有误"):
        importing.import_file(actor=personas.secretary_a, data=data, file_name="名单.csv", only_valid=False)
    assert Person.objects.count() == 0 and Event.objects.count() == 0


def test_all_or_nothing_rolls_back_batches_already_written(personas: Personas, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "BATCH", 2)
    rows = [person_row(name=f"王{i}", id_number=make_id(seq=f"{i:02d}")) for i in range(5)] + [person_row(name="")]
    with pytest.raises(importing.ImportRefused, match="有 1 行存在错误"):
        importing.import_file(actor=personas.secretary_a, data=xlsx(rows), file_name="a.xlsx", only_valid=False)
    assert Person.objects.count() == 0 and Event.objects.count() == 0


def test_a_party_post_in_a_village_is_a_row_error_not_a_failed_import(personas: Personas) -> None:
    row = person_row(**{"职务": "书记", "任职组织编码": "440799100201", "任职日期": "2023-01-01"})
    report = importing.validate(actor=personas.secretary_a, data=xlsx([row]))
    assert [(e.row, e.column) for e in report.errors] == [(2, "任职组织编码")]
    assert "党组织的职务" in report.errors[0].message


@pytest.mark.parametrize("seed", [1, 2])
def test_fast_initials_match_the_service(seed: int) -> None:
    rng = random.Random(seed)
    chars = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单解朴乐长重行"
    names = ["".join(rng.choice(chars) for _ in range(rng.randint(2, 4))) for _ in range(300)]
    names += ["曾国藩", "单田芳", "解放", "长孙无忌", "欧阳修", "阿卜杜·热合曼", "王A", "重庆"]
    assert [importing.initials(n) for n in names] == [name_initials(n) for n in names]


# ---- background jobs ---------------------------------------------------------------------------


def _uploaded(client: Client, personas: Personas, rows: list[dict[str, Any]], capture: Any) -> str:
    """Upload a file over the background line and open its preview: the request queues a preview job and redirects to it."""
    client.force_login(personas.secretary_a)
    token = token_of(upload(client, csv_bytes(rows), "名单.csv"))
    with capture(execute=True):
        response: Any = client.get(reverse("orgs:import_preview", args=[token]))
    job = ImportJob.objects.get(token=token, kind=ImportKind.PREVIEW)
    assert response.status_code == 302 and response.url == reverse("orgs:import_job", args=[job.pk])
    return token


def test_a_large_file_is_imported_in_the_background(
    client: Client, personas: Personas, settings: Any, var_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    settings.IMPORT_BACKGROUND_ROWS = 1
    token = _uploaded(client, personas, [member_row(), person_row("赵六", make_id(seq="34"))], django_capture_on_commit_callbacks)
    preview = ImportJob.objects.get(kind=ImportKind.PREVIEW)
    assert "确认后将在后台导入" in client.get(reverse("orgs:import_job", args=[preview.pk])).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response: Any = client.post(reverse("orgs:import_confirm", args=[token]), {"mode": "all"})
    job = ImportJob.objects.get(kind=ImportKind.IMPORT)
    assert response.status_code == 302 and response.url == reverse("orgs:import_job", args=[job.pk])
    # The immediate backend ran the task when the job was committed.
    assert (job.status, job.rows, job.imported, job.skipped) == (ImportStatus.DONE, 2, 2, 0)
    assert job.counts["people_created"] == 2 and job.user == personas.secretary_a
    event = Event.objects.get()
    assert job.event_seq == event.seq and event.changes["rows"] == 2
    assert Person.objects.count() == 2
    assert list((var_dir / "imports").iterdir()) == []

    page = client.get(reverse("orgs:import_job", args=[job.pk])).content.decode()
    assert "已完成" in page and "已导入 2 行：新增 2 人" in page and "hx-trigger" not in page
    # The preview now points at the import instead of offering the buttons again.
    page = client.get(reverse("orgs:import_job", args=[preview.pk])).content.decode()
    assert "该文件已确认导入" in page and reverse("orgs:import_job", args=[job.pk]) in page and 'name="mode"' not in page


# ---- previews of large files in the background ---------------------------------------------------


def test_a_large_preview_is_a_background_job_listing_every_bad_row(
    client: Client, personas: Personas, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.IMPORT_BACKGROUND_ROWS = 2
    rows = [member_row(), person_row("赵六", make_id(seq="34")), person_row("", make_id(seq="56")), person_row("钱七", "12345")]
    token = _uploaded(client, personas, rows, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert (job.kind, job.status, job.rows, job.valid, job.skipped) == (ImportKind.PREVIEW, ImportStatus.DONE, 4, 2, 2)
    assert job.counts["people_created"] == 2 and job.counts["members_created"] == 1
    assert job.errors == [
        [4, "姓名", "姓名不能为空。"],
        [5, "身份证号", "身份证号应为18位，前17位为数字，最后一位为数字或X。"],
    ]
    # Nothing is written by a preview; the upload waits for the confirm step, which now knows its size.
    assert Person.objects.count() == 0 and Event.objects.count() == 0
    upload_ = uploads.load_upload(user=personas.secretary_a, token=token)
    assert upload_ is not None and upload_.rows == 4

    page = client.get(reverse("orgs:import_job", args=[job.pk])).content.decode()
    assert "检查完成" in page and "共 4 行数据：有效 2 行，有错误 2 行。" in page and "hx-trigger" not in page
    assert "姓名不能为空。" in page and "<td>5</td><td>身份证号</td>" in page
    assert "仅导入有效行（2 行）" in page and "确认后将在后台导入" in page
    # Opening the preview again shows the same job; the file is not checked twice.
    again: Any = client.get(reverse("orgs:import_preview", args=[token]))
    assert again.url == reverse("orgs:import_job", args=[job.pk]) and ImportJob.objects.count() == 1
    # The full error list downloads from the job page.
    sheet = client.get(reverse("orgs:import_job", args=[job.pk]), {"format": "xlsx"})
    cells = list(load_workbook(BytesIO(b"".join(sheet.streaming_content))).active.iter_rows(values_only=True))  # type: ignore[attr-defined, union-attr]
    assert cells == [
        ("行号", "列", "错误说明"),
        (4, "姓名", "姓名不能为空。"),
        (5, "身份证号", "身份证号应为18位，前17位为数字，最后一位为数字或X。"),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("orgs:import_confirm", args=[token]), {"mode": "valid"})
    imported = ImportJob.objects.get(kind=ImportKind.IMPORT)
    assert (imported.status, imported.imported, imported.skipped) == (ImportStatus.DONE, 2, 2) and Person.objects.count() == 2


def test_no_request_checks_the_rows_of_a_large_file(
    client: Client, personas: Personas, settings: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    settings.IMPORT_BACKGROUND_ROWS = 2
    client.force_login(personas.secretary_a)
    token = token_of(upload(client, csv_bytes([person_row(id_number=make_id(seq=f"{i:02d}")) for i in range(10, 13)]), "名单.csv"))

    def refuse(**kwargs: Any) -> None:
        raise AssertionError("the request validated the rows")

    monkeypatch.setattr(importing, "validate", refuse)  # what the view would call; the task holds its own reference
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response: Any = client.get(reverse("orgs:import_preview", args=[token]))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.status == ImportStatus.QUEUED and len(queued) == 1
    fragment = client.get(reverse("orgs:import_job", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in fragment and "已排队在后台逐行检查" in fragment and "<html" not in fragment

    assert importing_jobs.run_preview_job.call(job.pk) == ImportStatus.DONE
    assert importing_jobs.run_preview_job.call(job.pk) == "skipped"  # delivered twice, checked once
    fragment = client.get(reverse("orgs:import_job", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment and "共 3 行数据：有效 3 行，有错误 0 行。" in fragment and 'value="all"' in fragment


def test_a_small_file_is_still_previewed_at_once(client: Client, personas: Personas, settings: Any) -> None:
    settings.IMPORT_BACKGROUND_ROWS = 2
    client.force_login(personas.secretary_a)
    token = token_of(upload(client, csv_bytes([person_row(), person_row("", make_id(seq="34"))]), "名单.csv"))
    page = client.get(reverse("orgs:import_preview", args=[token])).content.decode()
    assert "共 2 行数据：有效 1 行，有错误 1 行。" in page and "姓名不能为空。" in page and not ImportJob.objects.exists()


def test_every_error_of_a_large_preview_is_kept_beyond_the_page_limit(
    client: Client, personas: Personas, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.IMPORT_BACKGROUND_ROWS = 2
    rows = [person_row("", make_id(seq=f"{i:02d}")) for i in range(10, 10 + 30)]
    _uploaded(client, personas, rows, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert len(job.errors) == 30 and [e[0] for e in job.errors] == list(range(2, 32))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("jiceng.orgs.views_import.PREVIEW_ERROR_LIMIT", 10)
        page = client.get(reverse("orgs:import_job", args=[job.pk])).content.decode()
    assert page.count('class="error-row"') == 10 and "此处仅列出前 10 条" in page and "下载完整错误清单" in page
    assert "文件中没有有效行" in page


def test_a_preview_of_an_unreadable_large_file_fails_with_its_reason(
    client: Client, personas: Personas, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.IMPORT_BACKGROUND_ROWS = 1
    data = csv_bytes([person_row(id_number=make_id(seq=f"{i:02d}")) for i in range(10, 13)]) + b'\n"unclosed,quote\n'
    client.force_login(personas.secretary_a)
    token = token_of(upload(client, data, "名单.csv"))
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("orgs:import_preview", args=[token]))
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.FAILED and "CSV 文件格式有误" in job.reason
    page = client.get(reverse("orgs:import_job", args=[job.pk])).content.decode()
    assert "文件检查未完成。" in page and "CSV 文件格式有误" in page and 'name="mode"' not in page


def test_another_villages_staff_cannot_see_a_preview_job(
    client: Client, personas: Personas, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.IMPORT_BACKGROUND_ROWS = 1
    token = _uploaded(client, personas, [person_row(), person_row("", make_id(seq="34"))], django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    for user in (personas.secretary_b, personas.town_staff, personas.district_admin):
        client.force_login(user)
        assert client.get(reverse("orgs:import_job", args=[job.pk])).status_code == 404
        assert client.get(reverse("orgs:import_job", args=[job.pk]), {"format": "xlsx"}).status_code == 404
        assert client.get(reverse("orgs:import_preview", args=[token])).status_code == 404
        assert "名单.csv" not in client.get(reverse("orgs:import")).content.decode()
    client.force_login(personas.member)
    assert client.get(reverse("orgs:import_job", args=[job.pk])).status_code == 403
    assert ImportJob.objects.count() == 1


def test_a_failed_background_import_shows_its_reason_and_writes_nothing(
    client: Client, personas: Personas, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.IMPORT_BACKGROUND_ROWS = 1
    token = _uploaded(client, personas, [person_row(), person_row("", make_id(seq="34"))], django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("orgs:import_confirm", args=[token]), {"mode": "all"})
    job = ImportJob.objects.get(kind=ImportKind.IMPORT)
    assert job.status == ImportStatus.FAILED and "有 1 行存在错误" in job.reason
    assert Person.objects.count() == 0 and Event.objects.count() == 0
    page = client.get(reverse("orgs:import_job", args=[job.pk])).content.decode()
    assert "导入失败" in page and "有 1 行存在错误" in page
    # The preview offers the buttons again, with a word on the failed import.
    preview = ImportJob.objects.get(kind=ImportKind.PREVIEW)
    page = client.get(reverse("orgs:import_job", args=[preview.pk])).content.decode()
    assert "上次导入未成功" in page and 'value="valid"' in page
    # The upload is released, so the user may go back and import the valid rows only.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("orgs:import_confirm", args=[token]), {"mode": "valid"})
    assert ImportJob.objects.filter(kind=ImportKind.IMPORT, status=ImportStatus.DONE).count() == 1 and Person.objects.count() == 1


def test_a_queued_job_polls_with_htmx(client: Client, personas: Personas) -> None:
    job = ImportJob.objects.create(user=personas.secretary_a, token="t" * 43, file_name="大名单.csv", sha256="0" * 64, rows=5000)
    client.force_login(personas.secretary_a)
    fragment = client.get(reverse("orgs:import_job", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in fragment and "已排队" in fragment and "<html" not in fragment


def test_only_the_uploader_sees_a_job(client: Client, personas: Personas) -> None:
    job = ImportJob.objects.create(user=personas.secretary_a, token="t" * 43, file_name="a.csv", sha256="0" * 64, rows=5000)
    for user in (personas.secretary_b, personas.district_admin):
        client.force_login(user)
        assert client.get(reverse("orgs:import_job", args=[job.pk])).status_code == 404
    client.force_login(personas.member)
    assert client.get(reverse("orgs:import_job", args=[job.pk])).status_code == 403


def test_a_job_runs_once_and_an_expired_upload_fails_it(personas: Personas) -> None:
    job = ImportJob.objects.create(user=personas.secretary_a, token="t" * 43, file_name="a.csv", sha256="0" * 64, rows=5000)
    importing_jobs.run_import_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "已过期" in job.reason and job.finished_at is not None
    assert importing_jobs.run_import_job.call(job.pk) == "skipped"
    assert not importing_jobs.transition(job, ImportStatus.RUNNING)
    # A preview job is never run as an import, nor an import job as a preview.
    preview = ImportJob.objects.create(
        user=personas.secretary_a, token="t" * 43, kind=ImportKind.PREVIEW, file_name="a.csv", sha256="0" * 64
    )
    assert importing_jobs.run_import_job.call(preview.pk) == "skipped"
    assert importing_jobs.run_preview_job.call(job.pk) == "skipped"
    assert importing_jobs.run_preview_job.call(preview.pk) == ImportStatus.FAILED
    preview.refresh_from_db()
    assert "已过期" in preview.reason


def test_stage_dates_and_age_are_checked_in_bulk(personas: Personas) -> None:
    young = make_id(birth="20100101", seq="45")
    rows = [
        member_row(
            id_number=young, **{"发展阶段": "入党申请人", "确定积极分子日期": None, "确定发展对象日期": None, "接收预备党员日期": None}
        )
    ]
    report = importing.validate(actor=personas.secretary_a, data=xlsx(rows))
    assert [(e.column, e.message) for e in report.errors] == [("申请入党日期", "申请入党时须年满十八岁（《中国共产党章程》第一条）。")]
    assert importing_files.parse_date("2020-03-01") == date(2020, 3, 1)


def test_xlsx_cells_read_as_before_numbers_dates_blanks_and_an_empty_first_column() -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append([None, *HEADERS])  # column A left empty: calamine starts its rows at column B
    ws.append([None, "王五", "男", 440703199001011234, 13900139000, datetime(1990, 1, 1), "  "])
    ws.append([])  # a blank row is skipped but still counts in the row numbers
    ws.append([None, "赵六", "女", make_id(male=False), None, date(1990, 1, 1), "汉族"])
    out = io.BytesIO()
    wb.save(out)
    rows = list(importing_files.read_rows(out.getvalue(), "a.xlsx"))
    assert [number for number, _ in rows] == [2, 4]
    (_, first), (_, second) = rows
    assert first["name"] == "王五" and importing_files.text(first["ethnicity"]) == "" and first["address"] is None
    assert importing_files.number_like_id(first["id_number"]) and importing_files.text(first["phone"]) == "13900139000"
    assert importing_files.parse_date(first["birth_date"]) == importing_files.parse_date(second["birth_date"]) == date(1990, 1, 1)
    assert second["id_number"] == make_id(male=False) and second["phone"] is None and second["branch"] is None


def test_a_number_typed_id_and_an_excel_date_behave_as_before(personas: Personas) -> None:
    typed: dict[str, Any] = {"出生日期": date(1990, 1, 1), "手机号": 13900139000}
    rows = [person_row(**typed), person_row("赵六") | {"身份证号": 440703199001011234}]
    report = importing.validate(actor=personas.secretary_a, data=xlsx(rows))
    assert report.valid == 1
    assert [(e.row, e.column) for e in report.errors] == [(3, "身份证号")]
    assert "存成了数字" in report.errors[0].message
