"""A village secretary browses members, imports a file with a bad row, and cannot reach village B."""

import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect

from jiceng.browser_tests.conftest import log_in, shot
from jiceng.conftest import Personas, Tree
from jiceng.orgs.importing import COLUMNS
from jiceng.orgs.models import Person

pytestmark = pytest.mark.django_db(transaction=True)


def _import_file(path: Path, tree: Tree) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append([c.header for c in COLUMNS])
    rows = [
        {
            "name": "王小明",
            "gender": "男",
            "id_number": "440703199203041233",
            "organization": tree.village_a.code,
            "branch": tree.branch_a.code,
            "stage": "入党申请人",
            "applied_on": "2025-03-01",
        },
        {"name": "错误行", "gender": "男", "id_number": "440703199203041230", "organization": tree.village_a.code},
    ]
    for row in rows:
        ws.append([row.get(c.key, "") for c in COLUMNS])
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def test_village_secretary_flow(
    live_server, page: Page, personas: Personas, tree: Tree, person_a: Person, person_b: Person, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url
    log_in(page, base, "secretary_a")
    expect(page.get_by_role("heading", name="secretary_a，您好")).to_be_visible()

    page.get_by_role("link", name="党员", exact=True).click()
    expect(page.get_by_role("cell", name="张三")).to_be_visible()
    expect(page.get_by_text("李四")).to_have_count(0)
    shot(page, "members")

    page.get_by_role("link", name="张三").click()
    expect(page.locator("#id-number")).to_have_text("440703********1234")
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("#id-number + button").click()
    expect(page.locator("#id-number")).to_have_text("440703198001011234")

    page.get_by_role("link", name="导入").click()
    page.locator("input[type=file]").set_input_files(str(_import_file(tmp_path / "名单.xlsx", tree)))
    page.get_by_role("button", name="上传并检查").click()
    errors = page.locator("table", has=page.get_by_text("校验位"))
    expect(errors).to_contain_text("3")  # the bad row is row 3 of the sheet
    expect(errors).to_contain_text("身份证号")
    expect(page.get_by_role("button", name="全部导入")).to_be_disabled()
    shot(page, "import-preview")
    page.get_by_role("button", name="仅导入有效行").click()
    expect(page.get_by_text("已导入")).to_be_visible()
    assert Person.objects.filter(name="王小明").exists() and not Person.objects.filter(name="错误行").exists()

    page.goto(f"{base}/orgs/people/{person_b.pk}/")
    expect(page.get_by_role("heading", name="页面不存在")).to_be_visible()
    expect(page.get_by_text("李四")).to_have_count(0)


def test_lockout_is_shown_in_chinese(live_server, page: Page, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        log_in(page, live_server.url, "secretary_b", "wrong-password")
    expect(page.get_by_role("heading", name="账号已锁定")).to_be_visible()


def test_a_large_file_is_checked_in_the_background_and_the_page_follows(  # type: ignore[no-untyped-def]
    live_server, page: Page, personas: Personas, tree: Tree, tmp_path: Path, settings, monkeypatch
) -> None:
    from jiceng.orgs import importing_jobs

    settings.IMPORT_BACKGROUND_ROWS = 1  # the two-row file counts as large
    task, queued = importing_jobs.run_preview_job, []

    class Queue:  # hold the preview job back, as a busy worker would, to see the page poll
        @staticmethod
        def enqueue(pk: int) -> None:
            queued.append(pk)

    monkeypatch.setattr(importing_jobs, "run_preview_job", Queue)
    log_in(page, live_server.url, "secretary_a")
    page.goto(f"{live_server.url}/orgs/import/")
    page.locator("input[type=file]").set_input_files(str(_import_file(tmp_path / "大名单.xlsx", tree)))
    page.get_by_role("button", name="上传并检查").click()
    expect(page.get_by_text("已排队在后台逐行检查")).to_be_visible()

    task.call(queued[0])  # the worker runs it; the page's poll (every 2 s) picks up the result
    errors = page.locator("table", has=page.get_by_text("校验位"))
    expect(errors).to_contain_text("身份证号", timeout=10_000)
    expect(page.get_by_text("共 2 行数据：有效 1 行，有错误 1 行。")).to_be_visible()
    expect(page.get_by_role("button", name="全部导入")).to_be_disabled()
    shot(page, "import-preview-background")
    page.get_by_role("button", name="仅导入有效行").click()
    expect(page.get_by_text("已导入 1 行")).to_be_visible()
    assert Person.objects.filter(name="王小明").exists() and not Person.objects.filter(name="错误行").exists()


def test_the_people_list_links_each_person_in_scope(  # type: ignore[no-untyped-def]
    live_server, page: Page, personas: Personas, person_a: Person, person_b: Person
) -> None:
    """The list's rows (orgs.views._people_rows): gender label, masked ID, a link to the person's page."""
    log_in(page, live_server.url, "secretary_a")
    page.goto(f"{live_server.url}/orgs/people/")
    row = page.locator("#people-rows tbody tr", has=page.get_by_role("link", name="张三"))
    expect(row).to_contain_text("男")
    expect(row).to_contain_text("440703********1234")
    expect(page.get_by_text("李四")).to_have_count(0)  # village B's person is not listed
    row.get_by_role("link", name="张三").click()
    expect(page).to_have_url(f"{live_server.url}/orgs/people/{person_a.pk}/")
    expect(page.locator("#id-number")).to_have_text("440703********1234")
