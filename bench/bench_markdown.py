"""Faster CommonMark renderers against markdown-it-py, on this site's posts: speed and sameness.

feeds renders post bodies with markdown-it-py (``feeds.parse.post``). A renderer written in C or Rust
would be several times faster, but it is only worth taking if it gives the same HTML after our
sanitizer (``feeds.normalize.clean_html``) for every post, since that HTML is stored, hashed and
published. For each candidate that is installed (``pip install -c constraints.txt '.[renderers]'``)
this prints its time per post and how many bodies differ after sanitizing:

- the corpus: ``examples/posts`` and ``--posts`` generated posts in the seed's format;
- constructs: the site's (raw HTML blocks, ``<http://…>`` autolinks, ``[text](//host/path)``,
  tables, images) and their near misses (Unicode hosts, full-width spaces, unsafe links);
- random: ``--random`` bodies made of markdown pieces, a fixed seed; a renderer that raises (a Rust
  panic) counts as a difference.

``python -m bench.bench_markdown [--posts 2000] [--random 20000]``
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from feeds.normalize import clean_html
from feeds.parse.post import _MARKDOWN, _split, decode

ROOT = Path(__file__).parent.parent
BASE = "https://finews.example.com"
Render = Callable[[str], str]

CONSTRUCTS = [
    '<p>正文。</p>\n <p>第二段。</p><p class="em_media">（文章来源：证券时报网）</p>\n',
    "<http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202201242259595178>\n",
    "[返回新闻](//finews.withounder.com/category/x.html)｜[返回首页](//finews.withounder.com/)\n",
    "| 指数 | 涨跌 |\n|---|---|\n| 沪指 | +1% |\n",
    "![图](//img.example/a.png)\n",
    "本周**A股**震荡。\n\n- 北向资金\n- 新能源\n",
    "<https://中文.example/>\n",
    "\u3000\u3000全角空格缩进的段落。\n",
    "<div>\n*x*\n</div>",
    "[a](javascript:alert(1))\n",
    "~~删除~~ www.example.com\n",
    "> \n",
]
PIECES = [
    *("*", "_", "**", "`", "[", "]", "(", ")", "<", ">", "&", "#", "-", "1.", "|", "!", "\\", "\n", "\n\n"),
    *("    ", " ", "  \n", "http://a.example/p?q=1", "//h.example/x", "<http://b.example/>", "\u3000"),
    *("<https://中.example/>", "<x@y.example>", "中文", "&amp;", "&#65;", "&nbsp;", "<p>", "</p>", "<div>"),
    *("</div>", "<br>", "<!--", "-->", '<img src="/a.png">', "```", "~~~", "---", "> ", "|---|---|", "\t"),
    *("[t](http://x.example/a b)", "[t](<http://x.example/a b>)", "![i](i.png)", "[r]: http://r.example"),
]


def candidates() -> dict[str, Render | None]:
    """Each renderer configured as close to feeds' markdown-it (CommonMark, raw HTML, tables) as it goes."""
    found: dict[str, Render | None] = {"markdown-it-py (feeds)": _MARKDOWN.render}
    if importlib.util.find_spec("markdown_it_pyrs"):
        import markdown_it_pyrs

        found["markdown-it-pyrs"] = markdown_it_pyrs.MarkdownIt("commonmark").enable("table").render
    else:
        found["markdown-it-pyrs"] = None
    if importlib.util.find_spec("cmarkgfm"):
        import cmarkgfm
        from cmarkgfm.cmark import Options

        found["cmarkgfm (GFM)"] = lambda text: cmarkgfm.github_flavored_markdown_to_html(
            text, options=Options.CMARK_OPT_UNSAFE
        )
    else:
        found["cmarkgfm (GFM)"] = None
    if importlib.util.find_spec("pyromark"):
        import pyromark

        found["pyromark"] = lambda text: pyromark.html(text, options=pyromark.Options.ENABLE_TABLES)
    else:
        found["pyromark"] = None
    if importlib.util.find_spec("mistune"):
        import mistune

        found["mistune"] = mistune.create_markdown(escape=False, plugins=["table"])  # type: ignore[assignment]
    else:
        found["mistune"] = None
    return found


def corpus(count: int) -> list[tuple[str, str]]:
    from bench.genposts import generate

    bodies = []
    with tempfile.TemporaryDirectory(prefix="feeds-bench-md-") as tmp:
        paths = sorted((ROOT / "examples" / "posts").iterdir()) + generate(Path(tmp), count)
        for path in paths:
            bodies.append((path.name, _split(decode(path.read_bytes(), str(path)), str(path))[1]))
    return bodies


def sanitized(render: Render, text: str) -> str:
    try:
        return clean_html(render(text), BASE)
    except BaseException as exc:  # a Rust panic is a BaseException
        return f"raised {type(exc).__name__}"


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """File descriptor 2 to /dev/null for a while (Rust writes there, not to ``sys.stderr``)."""
    saved = os.dup(2)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--random", type=int, default=20_000)
    args = parser.parse_args(argv)
    posts = corpus(args.posts)
    rng = random.Random(20220124)
    fuzz = ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12))) for _ in range(args.random)]
    expected = {text: sanitized(_MARKDOWN.render, text) for text in [b for _, b in posts] + CONSTRUCTS + fuzz}
    print(f"markdown renderers on {len(posts):,} post bodies (examples/posts + generated), sanitized")
    for name, render in candidates().items():
        if render is None:
            print(f"  {name:24} not installed (pip install -c constraints.txt '.[renderers]')")
            continue
        render(posts[0][1])  # loads what the renderer loads on first use
        started = time.perf_counter()
        for _, text in posts:
            render(text)
        micros = (time.perf_counter() - started) / len(posts) * 1e6
        differ = [n for n, text in posts if sanitized(render, text) != expected[text]]
        constructs = [text for text in CONSTRUCTS if sanitized(render, text) != expected[text]]
        with quiet_stderr():  # a Rust panic prints its message whether or not Python catches it
            random_results = [sanitized(render, text) for text in fuzz]
        random_differ = sum(got != expected[text] for got, text in zip(random_results, fuzz, strict=True))
        raised = sum(got.startswith("raised ") for got in random_results)
        print(
            f"  {name:24} {micros:7.1f} µs/post; differ: posts {len(differ)}, "
            f"constructs {len(constructs)}/{len(CONSTRUCTS)}, random {random_differ:,}/{len(fuzz):,}"
            f" (of which {raised:,} raised)"
        )
        for text in constructs[:6]:
            print(f"      {text!r}: {sanitized(render, text)!r} (feeds: {expected[text]!r})")


if __name__ == "__main__":
    main()
