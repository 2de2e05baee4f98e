"""Generate Jekyll posts in the seed's format (front matter, HTML paragraphs, source autolink).

Deterministic for a given seed, so the examples and benchmark inputs are the same on every machine.
``python -m bench.genposts OUT_DIR COUNT`` writes COUNT posts.
"""

from __future__ import annotations

import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

# (slug as the site writes it in `categories`, the paper's name)
PAPERS = [
    ("zhengquanshibaowang", "证券时报网"),
    ("dongfangcaifuwang", "东方财富网"),
    ("zhongguozhengquanbao", "中国证券报"),
    ("shanghaizhengquanbao", "上海证券报"),
    ("jingjicankaobao", "经济参考报"),
]
SUBJECTS = [
    "工信部",
    "证监会",
    "央行",
    "国家统计局",
    "商务部",
    "发改委",
    "财政部",
    "深交所",
    "上交所",
    "银保监会",
]
ACTIONS = ["发布", "部署", "召开新闻发布会介绍", "明确", "推进", "出台", "研究", "加快", "启动", "回应"]
TOPICS = [
    "中小企业数字化转型",
    "专精特新企业培育",
    "普惠小微贷款",
    "稳增长政策",
    "资本市场改革",
    "注册制改革",
    "新能源汽车产业链",
    "跨境贸易便利化",
    "基础设施投资",
    "消费恢复",
]
SENTENCES = [
    "会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。",
    "数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。",
    "业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。",
    "下一步，将加强统筹协调，推动各项政策措施落地见效。",
    "分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。",
    "截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。",
]
TZ = timezone(timedelta(hours=8))


def info_code(moment: datetime, serial: int) -> str:
    return f"NW{moment:%Y%m%d%H%M}{serial:08d}"


def post_text(
    rng: random.Random, moment: datetime, code: str, paper: tuple[str, str], paragraphs: int
) -> str:
    """One post exactly in the seed's shape."""
    slug, name = paper
    title = f"{rng.choice(SUBJECTS)}：{rng.choice(ACTIONS)}{rng.choice(TOPICS)}相关工作"
    body = "\n ".join(
        f"<p>{''.join(rng.choice(SENTENCES) for _ in range(rng.randint(3, 6)))}</p>"
        for _ in range(paragraphs)
    )
    return (
        "---\n"
        "layout: post\n"
        f'title: "{title}"\n'
        f"date: {moment:%Y-%m-%d %H:%M:%S} +0800\n"
        f"categories: {slug}\n"
        f"tags: {name}新闻\n"
        "---\n"
        f'{body}<p class="em_media">（文章来源：{name}）</p>\n\n'
        f"<http://finews.zning.xyz/html_News/NewsShare.html?infoCode={code}>\n\n"
        f"[返回{name}新闻](//finews.withounder.com/category/{slug}.html)｜[返回首页](//finews.withounder.com/)\n"
    )


def generate(out: Path, count: int, seed: int = 20220124, paragraphs: int = 12) -> list[Path]:
    """Write ``count`` posts under ``out`` (file names like the seed's: NNN_<hex>.txt)."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    start = datetime(2022, 1, 1, 8, 0, 0, tzinfo=TZ)
    written = []
    for serial in range(count):
        moment = start + timedelta(minutes=serial * 7 + rng.randint(0, 6), seconds=rng.randint(0, 59))
        path = out / f"{serial:05d}_{rng.getrandbits(64):016x}.txt"
        path.write_text(
            post_text(rng, moment, info_code(moment, serial), rng.choice(PAPERS), paragraphs), "utf-8"
        )
        written.append(path)
    return written


if __name__ == "__main__":
    generate(Path(sys.argv[1]), int(sys.argv[2]))
