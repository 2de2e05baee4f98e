"""The post renderer's fast paths change nothing: its HTML equals stock markdown-it-py's, byte for byte.

``feeds.parse.post`` renders with a markdown-it subclass that skips the URL parser for plain ASCII
links. These tests hold its output to the stock renderer's (same preset and options) over the shipped
example posts, generated posts in the seed's format, the constructs the site's posts use, and random
link texts: any difference would change stored content, digests and every feed's bytes.
"""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import pytest
from conftest import SEED
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from feeds.normalize import clean_html
from feeds.parse.post import _MARKDOWN, _split, decode

ROOT = Path(__file__).parent.parent
STOCK = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable("table")
BASE = "https://finews.example.com"

# What this site's posts are made of, and their near misses.
CONSTRUCTS = [
    '<p>正文。</p>\n <p>第二段。</p><p class="em_media">（文章来源：证券时报网）</p>\n',
    "<http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202201242259595178>\n",
    "[返回证券时报网新闻](//finews.withounder.com/category/zhengquanshibaowang.html)｜[返回首页](//finews.withounder.com/)\n",
    "<HTTP://EXAMPLE.COM/A?b=1&c=2#frag>\n",
    "<https://example.com:8080/path;p?q=1>\n",
    "<//host.example/x>\n",
    "<http://xn--fiq228c.example/>\n",  # punycode host: shown in Unicode
    "<http://XN--FIQ228C.example/>\n",
    "<https://中文.example/路径>\n",  # Unicode host and path
    "<http://a.example/%E4%B8%AD>\n",  # an escape: decoded for display
    "<http://a.example/%zz>\n",
    "<mailto:someone@example.com>\n",
    "<someone@example.com>\n",
    "<ftp://files.example/x>\n",
    "<http://a.example/x\\y>\n",
    "<http://user:pass@host.example/>\n",
    "<http://host.example:99999/>\n",
    "<http://[::1]:80/>\n",
    "<http://a.example/it's>\n",
    '[x](http://a.example/ü?q=中) [y](<http://a.example/a b>) [z](//h.example/p "t")\n',
    "![图](//img.example/a.png)\n",
    "| 指数 | 涨跌 |\n|---|---|\n| 沪指 | +1% |\n",
    "本周**A股**震荡。\n\n- 北向资金\n- 新能源\n\n详见[原文](http://finews.zning.xyz/x?infoCode=NW1)。\n",
    "<div>\n*不是强调*\n</div>\n\n*强调*\n",
    "\u3000\u3000全角缩进的段落。\n",
    "<script>alert(1)</script>\n[a](javascript:alert(1))\n",
    "a\r\nb\rc\n\n<p>\0</p>\r\n[x](http://a.example/\0)\n",  # line ends and NUL: markdown-it rewrites them
]


def generated_posts(count: int) -> list[str]:
    spec = importlib.util.spec_from_file_location("genposts", ROOT / "bench" / "genposts.py")
    assert spec is not None and spec.loader is not None
    genposts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(genposts)
    from datetime import datetime

    rng = random.Random(13)
    texts = []
    for serial in range(count):
        moment = datetime(2022, 1, 1, 8, tzinfo=genposts.TZ)
        paper = rng.choice(genposts.PAPERS)
        code = genposts.info_code(moment, serial)
        texts.append(genposts.post_text(rng, moment, code, paper, rng.randint(1, 12)))
    return texts


def body(text: str) -> str:
    return _split(decode(text.encode(), "post"), "post")[1]


def corpus() -> list[tuple[str, str]]:
    posts = [(path.name, path.read_text("utf-8")) for path in sorted((ROOT / "examples" / "posts").iterdir())]
    posts.append((SEED.name, SEED.read_text("utf-8")))
    posts += [(f"generated-{n}", text) for n, text in enumerate(generated_posts(300))]
    return [(name, body(text)) for name, text in posts]


def test_example_and_generated_posts_render_as_stock_markdown_it() -> None:
    for name, markdown in corpus():
        assert _MARKDOWN.render(markdown) == STOCK.render(markdown), name


def test_the_seed_renders_its_links() -> None:
    html = _MARKDOWN.render(body(SEED.read_text("utf-8")))
    assert (
        '<a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202201242259595178">'
        "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202201242259595178</a>"
    ) in html
    assert '<a href="//finews.withounder.com/">返回首页</a>' in html


@pytest.mark.parametrize("markdown", CONSTRUCTS)
def test_constructs_render_as_stock_markdown_it(markdown: str) -> None:
    assert _MARKDOWN.render(markdown) == STOCK.render(markdown)
    assert clean_html(_MARKDOWN.render(markdown), BASE) == clean_html(STOCK.render(markdown), BASE)


def test_a_punycode_host_is_still_shown_in_unicode() -> None:
    """The fast path must leave these to markdown-it: it spells the host for readers."""
    assert ">http://中文.example/</a>" in _MARKDOWN.render("<http://xn--fiq228c.example/>\n")


URL_PIECES = [chr(c) for c in range(32, 127)] + ["xn--", "中", "é", "%41", "%e4%b8%ad", "%zz", "\t", "::1"]
URL_PIECES += [
    "(",
    ")",
    "\\",
    "&amp;",
    "&#41;",
    "\x01",
    "\x7f",
    "\u3000",
]  # what ends or escapes a destination
URL_PART = st.lists(st.sampled_from(URL_PIECES), max_size=16).map("".join)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["http://", "https://", "HTTPS://", "//", "mailto:", "ftp://", "http://xn--", ""]),
    URL_PART,
)
@example("http://", "a.example:99999/")
@example("https://", "host.example/%41")
def test_random_links_render_as_stock_markdown_it(scheme: str, rest: str) -> None:
    for markdown in (f"<{scheme}{rest}>\n", f"[t]({scheme}{rest})\n", f"[t](<{scheme}{rest}>)\n"):
        assert _MARKDOWN.render(markdown) == STOCK.render(markdown)


def test_bench_markdown_stays_runnable(capsys: pytest.CaptureFixture[str]) -> None:
    """bench/bench_markdown.py at toy size: feeds' own renderer differs from itself nowhere."""
    import sys

    sys.path.insert(0, str(ROOT))
    from bench import bench_markdown

    bench_markdown.main(["--posts", "5", "--random", "50"])
    out = capsys.readouterr().out
    assert "markdown-it-py (feeds)" in out
    constructs = len(bench_markdown.CONSTRUCTS)
    assert f"differ: posts 0, constructs 0/{constructs}, random 0/50 (of which 0 raised)" in out


BODY_PIECES = [
    *("*", "_", "**", "`", "[", "]", "(", ")", "<", ">", "&", "#", "-", "1.", "|", "!", "\\", " ", "\t"),
    *("\n", "\n\n", "\r", "\r\n", "\0", "\u3000", "中文", "&amp;", "<p>", "</p>", "<div>", "```", "> "),
    *("http://a.example/p?q=1", "//h.example/x", "<http://b.example/>", "<https://中.example/>", "|---|"),
    *("[t](http://x.example/a)", "[t](//x.example/a b)", "![i](i.png)", "[r]: http://r.example", "[r]"),
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(BODY_PIECES), max_size=20).map("".join))
def test_random_bodies_render_as_stock_markdown_it(markdown: str) -> None:
    assert _MARKDOWN.render(markdown) == STOCK.render(markdown)
