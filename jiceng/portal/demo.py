"""Demo content of the public portal, loaded by manage.py load_demo after the other demos.

News at district, town and village level in several categories (published, one scheduled for
later, one unpublished, one draft), with comments from verified phones (approved with staff
replies, one rejected with its reason, one pending); 党务公开 and 村务公开 items following the
rhythm of domain.md §1.7 for 三堡村, 雅怡社区 and (a lighter set) the other villages of 棠下镇,
except 松岭村, which misses it so the staff page "公开节奏" has something to show; and 留言咨询 questions, answered and published or still open.

Everything is written through jiceng.portal.services (validated and audited) with times counted
back from today. Phones go through the console SMS gateway, whose printed codes are kept quiet.
Loads once: skipped when the portal has any news, disclosure or question.
"""

import contextlib
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import IO, Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from jiceng.accounts.models import User
from jiceng.needs import otp
from jiceng.orgs.models import GRASSROOTS_KINDS, Organization
from jiceng.portal import services
from jiceng.portal.models import Article, ArticleStatus, Category, Consultation, Disclosure
from jiceng.portal.models import DisclosureCategory as C
from jiceng.portal.models import DisclosureDomain as D

CATEGORIES = ("党建动态", "乡村振兴", "基层治理", "便民服务", "通知公告")
# Who writes for each place (orgs.demo's accounts).
AUTHORS = {
    "蓬江区": "qu_admin",
    "棠下镇": "tangxia_staff",
    "三堡村": "sanbao_sec",
    "松岭村": "songling_sec",
    "雅怡社区": "yayi_sec",
}
# Banner colours of the generated covers: top, bottom.
COVERS = {"red": ((183, 28, 28), (239, 154, 154)), "green": ((46, 125, 50), (200, 230, 201)), "blue": ((21, 101, 192), (187, 222, 251))}


@dataclass(frozen=True)
class Story:
    place: str
    category: str
    title: str
    body: str
    days_ago: float = 1
    status: str = ArticleStatus.PUBLISHED
    cover: str = ""


STORIES = (
    Story(
        "蓬江区",
        "党建动态",
        "蓬江区部署推进“四议两公开”工作规范化",
        "<p>近日，蓬江区召开村级重大事项决策工作推进会，部署全区村（社区）进一步规范落实“四议两公开”工作法。</p>"
        "<h2>明确事项清单</h2><p>会议要求各村（社区）对照经镇（街）审核备案的事项清单，凡属清单内的重大事项，"
        "一律按照党组织提议、“两委”商议、党员大会审议、村民（代表）会议决议的程序办理，决议和实施结果及时公开。</p>"
        "<h2>强化全程留痕</h2><ul><li>会议记录、表决结果在平台登记；</li><li>公告加印核验码，群众扫码即可核验；</li>"
        "<li>村务监督委员会全程监督。</li></ul>",
        days_ago=21,
        cover="red",
    ),
    Story(
        "蓬江区",
        "基层治理",
        "全区开展“党建+网格”走访大排查",
        "<p>为及时发现和化解群众身边的矛盾纠纷和安全隐患，全区各镇（街）组织网格员、在职党员开展入户走访大排查。</p>"
        "<p>走访中发现的问题统一登记、分类流转，能当场解决的当场解决，不能当场解决的按时限逐级上报，"
        "做到<strong>件件有回音、事事有着落</strong>。</p>",
        days_ago=12,
    ),
    Story(
        "蓬江区",
        "党建动态",
        "在职党员回社区报到服务常态化",
        "<p>区委组织部近日印发通知，要求机关企事业单位在职党员到居住地社区报到，参与社区志愿服务和“微心愿”认领。</p>"
        "<blockquote>报到党员每半年至少参加两次社区服务活动，服务情况纳入党员积分管理。</blockquote>",
        days_ago=6,
    ),
    Story(
        "棠下镇",
        "党建动态",
        "棠下镇举办村（社区）“两委”干部业务培训班",
        "<p>棠下镇组织全镇村（社区）“两委”干部开展为期两天的业务培训，内容涵盖村级财务管理、"
        "“四议两公开”工作法、党务村务公开和基层矛盾纠纷调处等。</p><p>参训干部表示，培训内容贴近实际，回去后将学以致用。</p>",
        days_ago=15,
    ),
    Story(
        "棠下镇",
        "乡村振兴",
        "棠下镇推进农村人居环境整治提升",
        "<p>棠下镇以“三清三拆三整治”为抓手，组织各村开展房前屋后环境清理，拆除危旧泥砖房和乱搭乱建，"
        "整治村道、池塘和排水沟渠。</p><ol><li>清理积存垃圾；</li><li>整治黑臭水体；</li><li>建设村口小公园。</li></ol>",
        days_ago=9,
        cover="green",
    ),
    Story(
        "三堡村",
        "乡村振兴",
        "三堡村文化广场完成升级改造",
        "<p>经村民代表会议决议，三堡村对村文化广场进行升级改造，新增健身器材、休闲座椅和夜间照明，"
        "铺设透水砖约一千二百平方米。</p><p>工程已于本月完工并通过验收，实施结果已在村务公开栏公示。"
        "欢迎村民在评论区提出使用建议。</p>",
        days_ago=8,
        cover="blue",
    ),
    Story(
        "三堡村",
        "便民服务",
        "三堡村开展“敬老月”志愿服务活动",
        "<p>三堡村党支部组织党员志愿者走访村内八十岁以上老人，送上慰问品，帮助打扫卫生、检查家中用电安全。</p>"
        "<p>村卫生站同步提供免费量血压、测血糖服务。</p>",
        days_ago=4,
    ),
    Story(
        "三堡村",
        "通知公告",
        "关于开展防溺水安全宣传的通知",
        "<p>暑期将至，请各位家长加强对孩子的看护，<strong>不私自下水游泳</strong>，不到无安全设施、无救援人员的水域游玩。</p>"
        "<p>村委会将在各池塘、河涌边增设警示牌，并安排巡查。</p>",
        days_ago=2,
    ),
    Story(
        "三堡村",
        "通知公告",
        "三堡村本周六上午在文化室开展义诊",
        "<p>本周六上午九时至十一时，区人民医院医生到村文化室开展义诊，提供内科、骨科咨询和常规检查，请有需要的村民携带医保卡前往。</p>",
        status=ArticleStatus.SCHEDULED,
    ),
    Story(
        "三堡村",
        "通知公告",
        "三堡村东片临时停水通知",
        "<p>因供水管道抢修，东片将临时停水半天。（供水已恢复，本通知撤回。）</p>",
        days_ago=3,
        status=ArticleStatus.UNPUBLISHED,
    ),
    Story(
        "三堡村",
        "党建动态",
        "三堡村党支部主题党日活动安排（草稿）",
        "<p>待支委会确定后发布。</p>",
        status=ArticleStatus.DRAFT,
    ),
    Story(
        "松岭村",
        "党建动态",
        "松岭村召开党员大会审议村道硬化项目",
        "<p>松岭村党支部召开党员大会，审议“两委”联席会议商议通过的村道硬化项目方案。应到党员四十二名，实到三十八名，"
        "表决同意三十六票，方案获得通过，将提交村民代表会议决议。</p>",
        days_ago=10,
    ),
    Story(
        "松岭村",
        "乡村振兴",
        "松岭村举办蔬菜种植技术培训班",
        "<p>松岭村联合镇农业服务中心举办蔬菜种植技术培训，农技人员现场讲解病虫害绿色防控和水肥一体化技术，五十余名种植户参加。</p>",
        days_ago=5,
    ),
    Story(
        "雅怡社区",
        "便民服务",
        "雅怡社区长者饭堂正式开餐",
        "<p>雅怡社区长者饭堂正式开餐，为辖区六十岁以上老人提供午餐，八十岁以上、独居和困难老人享受用餐补贴。</p>"
        "<p>行动不便的老人可由网格员登记后送餐上门。报名请到社区党群服务中心一楼服务窗口。</p>",
        days_ago=11,
        cover="green",
    ),
    Story(
        "雅怡社区",
        "基层治理",
        "雅怡社区开展垃圾分类入户宣传",
        "<p>社区党员志愿者和网格员组成宣传小分队，逐楼逐户发放垃圾分类指引，现场演示分类投放方法。</p>",
        days_ago=5,
    ),
)


@dataclass(frozen=True)
class Remark:
    story: str
    body: str
    nickname: str = ""
    days_after: float = 0.5
    verdict: str = "approve"  # approve, reject, pending
    reply: str = ""
    reason: str = ""


REMARKS = (
    Remark("三堡村文化广场完成升级改造", "广场灯光很亮，晚上散步安全多了，点赞！", "村民老陈", reply="感谢支持，欢迎多提宝贵意见。"),
    Remark(
        "三堡村文化广场完成升级改造",
        "建议在广场边上多放几个垃圾桶。",
        "热心村民",
        days_after=1,
        reply="已安排在广场东西两侧各增设两组分类垃圾桶，本周内完成。",
    ),
    Remark("三堡村文化广场完成升级改造", "希望能加装一个遮阳棚，夏天中午太晒了。", days_after=2),
    Remark("三堡村开展“敬老月”志愿服务活动", "谢谢志愿者来看望我家老人！", "三堡村民", days_after=0.3),
    Remark("三堡村开展“敬老月”志愿服务活动", "下次活动能不能也到我们南便街走走？", days_after=1, verdict="pending"),
    Remark(
        "雅怡社区长者饭堂正式开餐",
        "饭菜清淡可口，价钱也实惠。",
        "雅怡居民",
        reply="谢谢肯定！菜单每周更新，欢迎提出口味建议。",
    ),
    Remark(
        "雅怡社区长者饭堂正式开餐",
        "楼下那家店的饭更便宜，大家去那里吃。",
        days_after=1,
        verdict="reject",
        reason="评论内容含商业广告，与本文无关。",
    ),
)


@dataclass(frozen=True)
class Question:
    place: str
    question: str
    days_ago: float
    answer: str = ""
    public: bool = True


QUESTIONS = (
    Question(
        "三堡村",
        "孩子明年上小学，入学报名需要准备哪些材料？",
        18,
        "需准备户口簿、出生医学证明、房产证明或租赁登记证明、预防接种证。具体以区教育局当年发布的招生公告为准，村委会可协助打印证明。",
    ),
    Question("三堡村", "村道北段的路灯坏了好几天，什么时候修？", 7, "已报镇供电所，维修人员已于三天前完成更换，如仍有不亮的请再告知。"),
    Question("三堡村", "申请临时救助需要什么条件？到哪里办理？", 1),
    Question(
        "雅怡社区", "长者饭堂怎么报名？子女可以代办吗？", 9, "可以代办。请携带老人身份证到社区党群服务中心一楼登记，当天即可办理用餐卡。"
    ),
    Question(
        "棠下镇",
        "外地户籍在棠下务工，办理居住证去哪里？",
        12,
        "请到镇政务服务中心出入境和户政窗口办理，需携带身份证和居住证明。",
        public=False,
    ),
    Question("蓬江区", "区里有没有面向退役军人的创业扶持政策？", 2),
)


def _say(stdout: Any, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def _at(days_ago: float, hour: int = 9) -> datetime:
    base = timezone.localtime().replace(hour=hour, minute=30, second=0, microsecond=0)
    return base - timedelta(days=days_ago)


def banner(colour: str) -> SimpleUploadedFile:
    """A plain banner (a gradient sky, a sun and green hills) standing in for a photo."""
    top, bottom = COVERS[colour]
    width, height = 1200, 480
    strip = Image.new("RGB", (1, 2))
    strip.putpixel((0, 0), top)
    strip.putpixel((0, 1), bottom)
    picture = strip.resize((width, height), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(picture)
    draw.ellipse((880, 70, 1020, 210), fill=(255, 236, 179))
    draw.polygon([(0, 400), (300, 260), (620, 380), (900, 300), (1200, 390), (1200, 480), (0, 480)], fill=(56, 142, 60))
    draw.polygon([(0, 440), (420, 360), (820, 450), (1200, 420), (1200, 480), (0, 480)], fill=(27, 94, 32))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return SimpleUploadedFile(f"{colour}.png", out.getvalue(), content_type="image/png")


class Loader:
    def __init__(self) -> None:
        self.users = {u.username: u for u in User.objects.filter(username__in=AUTHORS.values())}
        self.places = {o.name: o for o in Organization.objects.filter(name__in=AUTHORS)}
        self.categories = {
            name: Category.objects.get_or_create(name=name, defaults={"position": i})[0] for i, name in enumerate(CATEGORIES)
        }
        self.phone_seq = 0

    def author(self, place: str) -> tuple[Organization, User] | None:
        org, user = self.places.get(place), self.users.get(AUTHORS[place])
        return (org, user) if org is not None and user is not None else None

    def phone(self) -> str:
        self.phone_seq += 1
        return f"1376750{self.phone_seq:04d}"

    def code(self, purpose: str, at: datetime) -> tuple[str, str]:
        phone = self.phone()
        services.send_code(phone=phone, purpose=purpose, now=at - timedelta(minutes=2))
        return phone, otp.ConsoleGateway.last_code(phone) or ""

    def stories(self) -> dict[str, Article]:
        made = {}
        now = timezone.now()
        for story in STORIES:
            who = self.author(story.place)
            if who is None:
                continue
            org, user = who
            item = services.article_save(
                actor=user,
                organization=org,
                title=story.title,
                body=story.body,
                category=self.categories[story.category],
                cover=banner(story.cover) if story.cover else None,
            )
            if story.status == ArticleStatus.SCHEDULED:
                services.article_set_status(actor=user, article=item, status=story.status, publish_at=_at(-2, hour=8))
            elif story.status != ArticleStatus.DRAFT:
                services.article_set_status(actor=user, article=item, status=ArticleStatus.PUBLISHED, now=min(_at(story.days_ago), now))
                if story.status == ArticleStatus.UNPUBLISHED:
                    services.article_set_status(actor=user, article=item, status=story.status, now=_at(story.days_ago - 0.2))
            made[story.title] = item
        return made

    def remarks(self, articles: dict[str, Article]) -> int:
        made = 0
        for remark in REMARKS:
            item = articles.get(remark.story)
            if item is None or item.publish_at is None:
                continue
            at = min(item.publish_at + timedelta(days=remark.days_after), timezone.now() - timedelta(hours=1))
            phone, code = self.code(services.COMMENT_PURPOSE, at)
            comment = services.comment_submit(article=item, phone=phone, code=code, body=remark.body, nickname=remark.nickname, now=at)
            made += 1
            if remark.verdict == "pending":
                continue
            staff = self.users[AUTHORS[item.organization.name]]
            decided = at + timedelta(minutes=40)
            services.comment_moderate(actor=staff, comment=comment, approve=remark.verdict == "approve", reason=remark.reason, now=decided)
            if remark.reply:
                comment.refresh_from_db()
                services.comment_reply(actor=staff, comment=comment, body=remark.reply, now=decided + timedelta(minutes=5))
        return made

    def questions(self) -> int:
        made = 0
        for q in QUESTIONS:
            who = self.author(q.place)
            if who is None:
                continue
            org, user = who
            at = _at(q.days_ago, hour=20)
            phone, code = self.code(services.CONSULT_PURPOSE, at)
            item = services.consultation_submit(organization=org, phone=phone, code=code, question=q.question, now=at)
            made += 1
            if q.answer:
                services.consultation_answer(actor=user, item=item, answer=q.answer, publish=q.public, now=at + timedelta(hours=14))
        return made


# ---- disclosures (domain.md §1.7) ----------------------------------------------------------------


def _month_start(day: date, back: int) -> date:
    """The first day of the month `back` months before the month of `day`."""
    months = day.year * 12 + day.month - 1 - back
    return date(months // 12, months % 12 + 1, 1)


def _quarter_start(day: date, back: int) -> date:
    first = _month_start(day, 0).replace(month=(day.month - 1) // 3 * 3 + 1)
    return _month_start(first, 3 * back)


@dataclass(frozen=True)
class Item:
    domain: str
    category: str
    title: str
    body: str
    start: date
    end: date
    published: date


def on_rhythm(place: str, today: date) -> list[Item]:
    """Six months of finances (published on the 5th of the next month), the last two quarters of
    general items in both domains (on the 10th after the quarter), and a major matter at once."""
    items = []
    for back in range(6, 0, -1):
        start = _month_start(today, back)
        end = _month_start(today, back - 1) - timedelta(days=1)
        items.append(
            Item(
                D.VILLAGE,
                C.FINANCE,
                f"{place}{start.year}年{start.month}月财务收支情况",
                f"本月收入：集体物业租金、土地发包收入等；支出：干部补贴、环境卫生保洁费、水电费等。"
                f"收支明细表张贴于{place}村务公开栏，村务监督委员会已审核。",
                start,
                end,
                min(end + timedelta(days=5), today),
            )
        )
    for back in (2, 1):
        start = _quarter_start(today, back)
        end = _quarter_start(today, back - 1) - timedelta(days=1)
        quarter = f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
        published = min(end + timedelta(days=10), today)
        items.append(
            Item(
                D.VILLAGE,
                C.GENERAL,
                f"{place}{quarter}村务公开",
                "一、最低生活保障和临时救助对象名单；二、宅基地审批情况；三、村民医疗保险缴费情况；四、本季度“两委”工作事项。",
                start,
                end,
                published,
            )
        )
        items.append(
            Item(
                D.PARTY,
                C.GENERAL,
                f"{place}党组织{quarter}党务公开",
                "一、“三会一课”开展情况；二、党费收缴情况；三、发展党员工作情况；四、党员积分管理情况。",
                start,
                end,
                published,
            )
        )
    arose = today - timedelta(days=26)
    items.append(
        Item(
            D.VILLAGE,
            C.MAJOR,
            f"{place}集体物业出租招标结果公开",
            "经村民代表会议决议，集体物业按程序公开招租，中标价格、租期和承租方已在村务公开栏公示，公示期七天。",
            arose,
            arose,
            arose + timedelta(days=2),
        )
    )
    return items


def off_rhythm(place: str, today: date) -> list[Item]:
    """A village behind its rhythm: finances stop two months ago, the last general item is more
    than a quarter old, and a major matter was published nine days after it arose."""
    items = [i for i in on_rhythm(place, today) if i.category == C.FINANCE and i.end < _month_start(today, 1)]
    old = today - timedelta(days=130)
    items.append(
        Item(
            D.VILLAGE,
            C.GENERAL,
            f"{place}村务公开（上半年）",
            "低保对象、宅基地审批和计划生育奖励扶助对象名单。",
            old - timedelta(days=90),
            old,
            old,
        )
    )
    arose = today - timedelta(days=20)
    items.append(
        Item(
            D.VILLAGE,
            C.MAJOR,
            f"{place}村道硬化工程施工单位确定",
            "村道硬化工程经公开比选确定施工单位，工程造价和工期已公示。",
            arose,
            arose,
            arose + timedelta(days=9),
        )
    )
    return items


def light_rhythm(place: str, today: date) -> list[Item]:
    """The last quarter of on_rhythm: enough to keep a village off the staff page's list."""
    return [i for i in on_rhythm(place, today) if i.category != C.MAJOR and i.start >= _quarter_start(today, 1)]


def plan(loader: Loader, today: date) -> list[tuple[Organization, User, list[Item]]]:
    """Three places with their own staff; the other villages of 棠下镇 registered by the town, so
    that the town's rhythm page names the one village behind (松岭村) and not every village."""
    plans = []
    for place, items in (
        ("三堡村", on_rhythm("三堡村", today)),
        ("雅怡社区", on_rhythm("雅怡社区", today)),
        ("松岭村", off_rhythm("松岭村", today)),
    ):
        if (who := loader.author(place)) is not None:
            plans.append((*who, items))
    town = loader.author("棠下镇")
    if town is not None:
        org, user = town
        villages = Organization.objects.filter(path__startswith=org.path, kind__in=GRASSROOTS_KINDS, is_active=True)
        for village in villages.exclude(name__in=AUTHORS).order_by("path"):
            plans.append((village, user, light_rhythm(village.name, today)))
    return plans


def disclose(loader: Loader, today: date) -> int:
    made = 0
    for village, user, items in plan(loader, today):
        for i in items:
            services.disclosure_publish(
                actor=user,
                village=village,
                domain=i.domain,
                category=i.category,
                title=i.title,
                body=i.body,
                period_start=i.start,
                period_end=i.end,
                published_on=i.published,
            )
            made += 1
    return made


@contextlib.contextmanager
def quiet_sms() -> Iterator[None]:
    """The console gateway prints and logs every code and message; the demo's are of no use on screen."""
    sms = logging.getLogger("jiceng.sms")
    level = sms.level
    sms.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        sms.setLevel(level)


def load(stdout: IO[str] | Any = None) -> dict[str, int]:
    if Article.objects.exists() or Disclosure.objects.exists() or Consultation.objects.exists():
        _say(stdout, "Portal demo already loaded.\n")
        return {}
    loader = Loader()
    with quiet_sms():
        articles = loader.stories()
        counts = {
            "articles": len(articles),
            "comments": loader.remarks(articles),
            "disclosures": disclose(loader, timezone.localdate()),
            "questions": loader.questions(),
        }
    _say(
        stdout,
        f"Portal demo: {counts['articles']} articles, {counts['comments']} comments, "
        f"{counts['disclosures']} disclosures, {counts['questions']} questions.\n",
    )
    return counts
