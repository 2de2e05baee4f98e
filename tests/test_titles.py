"""Title keys: copies of one headline from two feeds match; different stories never do."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from feeds.titles import title_key


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("ＡＢＣ公司发布２０２２年报", "ABC公司发布2022年报"),
        ("沪深３００ＥＴＦ成交额创新高", "沪深300ETF成交额创新高"),
        ("【快讯】沪指收涨0.5%", "沪指收涨0.5%"),
        ("【快讯】【独家】宁德时代拟赴港上市", "宁德时代拟赴港上市"),
        ("［独家］宁德时代拟赴港上市", "宁德时代拟赴港上市"),
        ("[独家] 央行宣布降准0.25个百分点", "央行宣布降准0.25个百分点"),
        ("央行宣布降准0.25个百分点 - 证券时报网", "央行宣布降准0.25个百分点"),
        ("北向资金净流入52亿元_东方财富网", "北向资金净流入52亿元"),
        ("北向资金净流入52亿元 | 财联社", "北向资金净流入52亿元"),
        ("北向资金净流入52亿元｜财联社", "北向资金净流入52亿元"),
        ("北向资金净流入52亿元——新华网", "北向资金净流入52亿元"),
        ("【快讯】沪指收涨0.5% - 证券时报网", "沪指 收涨 0.5％"),
        ("沪指：收涨0.5%", "沪指 收涨0.5%"),
        ("“十四五”规划：稳增长！", "十四五规划 稳增长"),
        ("《证券法》修订草案通过", "证券法修订草案通过"),
        ("创业板ETF份额增长", "创业板etf份额增长"),
        ("Tesla Q3 deliveries beat", "TESLA Q3 DELIVERIES BEAT"),
        ("贵州茅台营收1,000亿元", "贵州茅台营收1000亿元"),
        ("沪指收涨\u30000.5%", "沪指收涨 0.5%"),
        ("GDP同比增长-1.5%", "GDP同比增长 -1.5%"),
        ("COVID-19疫苗获批", "COVID 19疫苗获批"),
    ],
)
def test_copies_of_one_headline_match(first: str, second: str) -> None:
    assert title_key(first) == title_key(second) != ""


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # numbers
        ("沪指收涨0.5%", "沪指收涨0.6%"),
        ("创业板指上涨1.5%", "创业板指上涨15%"),
        ("1月CPI同比上涨2.1%", "11月CPI同比上涨2.1%"),
        ("2022年净利润增长20%", "2021年净利润增长20%"),
        ("恒指跌-1.5%", "恒指跌1.5%"),
        ("GDP同比增长-1.5%", "GDP同比增长1.5%"),
        ("1-2月规模以上工业企业利润增长", "12月规模以上工业企业利润增长"),
        ("1、2月社会消费品零售总额", "12月社会消费品零售总额"),
        ("央行下调存款准备金率0.25个百分点", "央行下调存款准备金率25个百分点"),
        ("印花税下调至1‰", "印花税下调至1%"),
        ("沪指报3,050.5点", "沪指报3,0505点"),
        # names and codes
        ("贵州茅台净利润增长20%", "五粮液净利润增长20%"),
        ("宁德时代股价创新高", "比亚迪股价创新高"),
        ("600519盘中涨停", "000858盘中涨停"),
        ("【600519】关于回购股份的公告", "【000858】关于回购股份的公告"),
        # direction words
        ("沪指收涨0.5%", "沪指收跌0.5%"),
        ("营收同比增长12%", "营收同比减少12%"),
        ("国债收益率上升5个基点", "国债收益率下降5个基点"),
        ("中金上调腾讯目标价至450港元", "中金下调腾讯目标价至450港元"),
        ("高盛增持贵州茅台", "高盛减持贵州茅台"),
        ("机构给予买入评级", "机构给予卖出评级"),
        ("北向资金净流入52亿元", "北向资金净流出52亿元"),
        ("中国平安午后涨停", "中国平安午后跌停"),
        ("贝莱德增持A股ETF", "贝莱德减持A股ETF"),
        # units
        ("主力资金净流入3亿元", "主力资金净流入3万元"),
        ("原油期货收涨2美元", "原油期货收涨2元"),
        # a last part that continues the headline is no site name
        ("沪指收涨 | 创业板指收跌", "沪指收涨 | 创业板指收涨"),
        ("中标 | 国家电网", "中标 | 南方电网"),
        ("贵州茅台 - 年报", "贵州茅台 - 季报"),
        # a bracketed summary with a direction is part of the story, not a label
        ("【沪指收涨】两市成交额破万亿", "【沪指收跌】两市成交额破万亿"),
        ("[北向资金净流入]外资加仓银行股", "[北向资金净流出]外资加仓银行股"),
    ],
)
def test_different_stories_never_match(first: str, second: str) -> None:
    assert title_key(first) != title_key(second)


@pytest.mark.parametrize(
    "title", ["", "   ", "\u3000\n", "【快讯】", "【快讯】【独家】 ", "[独家]", "！？。…"]
)
def test_nothing_left_is_the_empty_key(title: str) -> None:
    assert title_key(title) == ""


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("【快讯】沪指收涨0.5% - 证券时报网", "沪指收涨0.5"),
        ("恒指跌-1.5%", "恒指跌-1.5"),
        ("1-2月工业利润", "1/2月工业利润"),
        ("A-B股价差扩大", "ab股价差扩大"),
        ("央行：1-2月新增贷款 - 一二月", "央行1/2月新增贷款一二月"),
        ("年度报告_2022", "年度报告2022"),
        ("研报 - 36氪", "研报36氪"),
        ("【快讯】 - 新华网", "新华网"),
    ],
)
def test_rules_in_detail(title: str, key: str) -> None:
    assert title_key(title) == key


_HEADLINE_CHARS = st.sampled_from(
    "0123456789０１２３４５６７８９①²½٣"
    "沪指收涨跌增减网社财经新闻abcＡＢＣ"
    ".,-−%‰【】[]［］ |_—–、，。：“”《》！？\u3000"
)
_TITLES = st.text(st.one_of(_HEADLINE_CHARS, st.characters()), max_size=40)


def _digits(title: str) -> list[str]:
    return re.findall(r"\d", unicodedata.normalize("NFKC", title))


@given(_TITLES)
def test_key_is_deterministic(title: str) -> None:
    assert title_key(title) == title_key(str(title))


@given(_TITLES, _TITLES)
@example("【1】公告", "【2】公告")
@example("标题 - 1网", "标题 - 2网")
def test_titles_with_different_digits_never_match(first: str, second: str) -> None:
    if _digits(first) != _digits(second):
        assert title_key(first) != title_key(second)


@given(_TITLES, st.integers(min_value=0), st.sampled_from("0123456789０１٣"))
def test_inserting_a_digit_changes_the_key(title: str, where: int, digit: str) -> None:
    at = where % (len(title) + 1)
    assert title_key(title[:at] + digit + title[at:]) != title_key(title)
