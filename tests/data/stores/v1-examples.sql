BEGIN TRANSACTION;
CREATE TABLE categories (
    slug TEXT PRIMARY KEY,
    title TEXT NOT NULL
);
INSERT INTO "categories" VALUES('zhengquanshibaowang','证券时报网');
INSERT INTO "categories" VALUES('shanghaizhengquanbao','上海证券报');
INSERT INTO "categories" VALUES('dongfangcaifuwang','东方财富网');
INSERT INTO "categories" VALUES('zhongguozhengquanbao','中国证券报');
INSERT INTO "categories" VALUES('jingjicankaobao','经济参考报');
INSERT INTO "categories" VALUES('zhengce','政策');
INSERT INTO "categories" VALUES('waihui','外汇');
INSERT INTO "categories" VALUES('jijin','基金');
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    event_seq INTEGER NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
    endpoint TEXT NOT NULL REFERENCES endpoints (url),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'delivered', 'dead', 'disabled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    queued TEXT NOT NULL,          -- fan-out (or replay) time: the retry deadline counts from here
    next_attempt TEXT NOT NULL,
    last_attempt TEXT,
    last_status INTEGER,           -- HTTP status of the last attempt; NULL for a network error
    last_error TEXT,
    delivered_at TEXT,
    UNIQUE (event_seq, endpoint)
);
CREATE TABLE dirty_feeds (
    slug TEXT PRIMARY KEY
);
CREATE TABLE endpoints (
    url TEXT PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    first_seen TEXT NOT NULL,
    disabled_at TEXT,
    disabled_reason TEXT
);
CREATE TABLE entries (
    key TEXT PRIMARY KEY,
    info_code TEXT,
    title TEXT NOT NULL,
    link TEXT,
    content TEXT NOT NULL,
    summary TEXT,
    author TEXT,
    published TEXT NOT NULL,       -- RFC 3339 UTC, "2022-01-24T14:56:53Z": sorts as text
    updated TEXT NOT NULL,
    categories TEXT NOT NULL,      -- JSON list of slugs: the union over the entry's sources
    tags TEXT NOT NULL,            -- JSON list
    content_hash TEXT NOT NULL,
    first_seen TEXT NOT NULL
);
INSERT INTO "entries" VALUES('NW20220101080200000000','NW20220101080200000000','证监会：启动专精特新企业培育相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101080200000000','<p>分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。</p>
 <p>下一步，将加强统筹协调，推动各项政策措施落地见效。下一步，将加强统筹协调，推动各项政策措施落地见效。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。</p>
 <p>会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。下一步，将加强统筹协调，推动各项政策措施落地见效。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。</p>
 <p>数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。</p><p>（文章来源：证券时报网）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101080200000000">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101080200000000</a></p>
<p><a href="https://finews.withounder.com/category/zhengquanshibaowang.html">返回证券时报网新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T00:02:09Z','2022-01-01T00:02:09Z','["zhengquanshibaowang"]','["证券时报网新闻"]','ef2036bcbe6526268b577c7e93ef70d20514159eafd944db932ff43f527dd545','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101081100000001','NW20220101081100000001','工信部：明确中小企业数字化转型相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101081100000001','<p>业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。下一步，将加强统筹协调，推动各项政策措施落地见效。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。</p>
 <p>分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。</p>
 <p>会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。</p>
 <p>业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。</p><p>（文章来源：上海证券报）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101081100000001">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101081100000001</a></p>
<p><a href="https://finews.withounder.com/category/shanghaizhengquanbao.html">返回上海证券报新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T00:11:03Z','2022-01-01T00:11:03Z','["shanghaizhengquanbao"]','["上海证券报新闻"]','a3d3165f502e4e9bfb2692fee6d3269a65011592785368a9830b95587853c289','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101081400000002','NW20220101081400000002','深交所：启动新能源汽车产业链相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101081400000002','<p>下一步，将加强统筹协调，推动各项政策措施落地见效。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。下一步，将加强统筹协调，推动各项政策措施落地见效。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。</p>
 <p>数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。</p>
 <p>分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。下一步，将加强统筹协调，推动各项政策措施落地见效。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。下一步，将加强统筹协调，推动各项政策措施落地见效。</p>
 <p>分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。下一步，将加强统筹协调，推动各项政策措施落地见效。</p><p>（文章来源：东方财富网）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101081400000002">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101081400000002</a></p>
<p><a href="https://finews.withounder.com/category/dongfangcaifuwang.html">返回东方财富网新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T00:14:36Z','2022-01-01T00:14:36Z','["dongfangcaifuwang"]','["东方财富网新闻"]','69abdcdbda17e7d1affe03d3d6d2fdea3592df645f01fc7d6a1303059438e466','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101082200000003','NW20220101082200000003','财政部：发布专精特新企业培育相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101082200000003','<p>业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。下一步，将加强统筹协调，推动各项政策措施落地见效。</p>
 <p>会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。下一步，将加强统筹协调，推动各项政策措施落地见效。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。</p>
 <p>会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。</p>
 <p>截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。下一步，将加强统筹协调，推动各项政策措施落地见效。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。</p><p>（文章来源：上海证券报）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101082200000003">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101082200000003</a></p>
<p><a href="https://finews.withounder.com/category/shanghaizhengquanbao.html">返回上海证券报新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T00:22:48Z','2026-11-30T16:13:29Z','["jingjicankaobao","shanghaizhengquanbao"]','["转载","上海证券报新闻"]','fa4d92025452dd0fdc73f17e66e41adccaf23141aa9967647ce99b6286edc83b','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101083300000004','NW20220101083300000004','工信部：加快注册制改革相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101083300000004','<p>分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。下一步，将加强统筹协调，推动各项政策措施落地见效。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。</p>
 <p>业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。</p>
 <p>下一步，将加强统筹协调，推动各项政策措施落地见效。下一步，将加强统筹协调，推动各项政策措施落地见效。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。下一步，将加强统筹协调，推动各项政策措施落地见效。下一步，将加强统筹协调，推动各项政策措施落地见效。</p>
 <p>数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。下一步，将加强统筹协调，推动各项政策措施落地见效。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。</p><p>（文章来源：中国证券报）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101083300000004">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101083300000004</a></p>
<p><a href="https://finews.withounder.com/category/zhongguozhengquanbao.html">返回中国证券报新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T00:33:24Z','2022-01-01T00:33:24Z','["zhongguozhengquanbao"]','["中国证券报新闻"]','203af2c5c2544556ffa72df4d93f414ee19273edb830d5734c3c9f692d154681','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101083800000005','NW20220101083800000005','国家统计局：召开新闻发布会介绍专精特新企业培育相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101083800000005','<p>数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。</p>
 <p>下一步，将加强统筹协调，推动各项政策措施落地见效。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。</p>
 <p>业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。下一步，将加强统筹协调，推动各项政策措施落地见效。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。</p>
 <p>分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。</p><p>（文章来源：上海证券报）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101083800000005">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101083800000005</a></p>
<p><a href="https://finews.withounder.com/category/shanghaizhengquanbao.html">返回上海证券报新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T00:38:22Z','2022-01-01T00:38:22Z','["shanghaizhengquanbao"]','["上海证券报新闻"]','d9fc3a5f9a759a0877c784a16d486fc6d911eceb21f82e5eeec07eee497004ff','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101084800000006','NW20220101084800000006','深交所：启动新能源汽车产业链相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101084800000006','<p>下一步，将加强统筹协调，推动各项政策措施落地见效。下一步，将加强统筹协调，推动各项政策措施落地见效。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。下一步，将加强统筹协调，推动各项政策措施落地见效。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。下一步，将加强统筹协调，推动各项政策措施落地见效。</p>
 <p>数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。</p>
 <p>数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。</p>
 <p>分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。</p><p>（文章来源：证券时报网）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101084800000006">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101084800000006</a></p>
<p><a href="https://finews.withounder.com/category/zhengquanshibaowang.html">返回证券时报网新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T00:48:32Z','2022-01-01T00:48:32Z','["zhengquanshibaowang"]','["证券时报网新闻"]','6c440a07a22c0fae90cb81fe14ec787e27be47dbd0f39d646b9e90207aae9725','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101084900000007','NW20220101084900000007','国家统计局：回应新能源汽车产业链相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101084900000007','<p>截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。</p>
 <p>下一步，将加强统筹协调，推动各项政策措施落地见效。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。下一步，将加强统筹协调，推动各项政策措施落地见效。下一步，将加强统筹协调，推动各项政策措施落地见效。</p>
 <p>下一步，将加强统筹协调，推动各项政策措施落地见效。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。</p>
 <p>截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。下一步，将加强统筹协调，推动各项政策措施落地见效。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。</p><p>（文章来源：证券时报网）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101084900000007">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101084900000007</a></p>
<p><a href="https://finews.withounder.com/category/zhengquanshibaowang.html">返回证券时报网新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T00:49:23Z','2022-01-01T00:49:23Z','["zhengquanshibaowang"]','["证券时报网新闻"]','72a51bc6ceccbef0c025e52b6c68c278a906a233ee86ae85f5f3e8a29b6319a8','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101090000000008','NW20220101090000000008','发改委：召开新闻发布会介绍基础设施投资相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101090000000008','<p>分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。</p>
 <p>截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。</p>
 <p>数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。</p>
 <p>截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。</p><p>（文章来源：经济参考报）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101090000000008">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101090000000008</a></p>
<p><a href="https://finews.withounder.com/category/jingjicankaobao.html">返回经济参考报新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T01:00:01Z','2022-01-01T01:00:01Z','["jingjicankaobao"]','["经济参考报新闻"]','0c9ffbc35b2d972d16d04c1ad1421b2a64c7c4d658e16c2a8c1ba7ba86995389','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101090900000009','NW20220101090900000009','国家统计局：启动跨境贸易便利化相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101090900000009','<p>截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。下一步，将加强统筹协调，推动各项政策措施落地见效。</p>
 <p>数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。下一步，将加强统筹协调，推动各项政策措施落地见效。</p>
 <p>业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。</p>
 <p>数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。下一步，将加强统筹协调，推动各项政策措施落地见效。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。</p><p>（文章来源：东方财富网）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101090900000009">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101090900000009</a></p>
<p><a href="https://finews.withounder.com/category/dongfangcaifuwang.html">返回东方财富网新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T01:09:25Z','2022-01-01T01:09:25Z','["dongfangcaifuwang"]','["东方财富网新闻"]','18e0d524831672365d8a083c0b3ed20d3809da4e033be493d386dccd011f0b8b','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101091600000010','NW20220101091600000010','证监会：部署新能源汽车产业链相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101091600000010','<p>下一步，将加强统筹协调，推动各项政策措施落地见效。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。下一步，将加强统筹协调，推动各项政策措施落地见效。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。</p>
 <p>会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。下一步，将加强统筹协调，推动各项政策措施落地见效。下一步，将加强统筹协调，推动各项政策措施落地见效。下一步，将加强统筹协调，推动各项政策措施落地见效。</p>
 <p>截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。</p>
 <p>会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。下一步，将加强统筹协调，推动各项政策措施落地见效。</p><p>（文章来源：中国证券报）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101091600000010">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101091600000010</a></p>
<p><a href="https://finews.withounder.com/category/zhongguozhengquanbao.html">返回中国证券报新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T01:16:00Z','2022-01-01T01:16:00Z','["zhongguozhengquanbao"]','["中国证券报新闻"]','a594a5175030348f8a3f946a85d7108e74a9cc87c7b9d4209e92a3024e786bf7','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101092300000011','NW20220101092300000011','深交所：出台普惠小微贷款相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101092300000011','<p>会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。</p>
 <p>分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。</p>
 <p>数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。</p>
 <p>分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。</p><p>（文章来源：经济参考报）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101092300000011">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101092300000011</a></p>
<p><a href="https://finews.withounder.com/category/jingjicankaobao.html">返回经济参考报新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T01:23:41Z','2022-01-01T01:23:41Z','["jingjicankaobao"]','["经济参考报新闻"]','16c75f06872df8598d8fb2ab9b692b801980d589f6623ceaff3917b93fc6524d','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101092700000012','NW20220101092700000012','深交所：回应基础设施投资相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101092700000012','<p>分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。</p>
 <p>下一步，将加强统筹协调，推动各项政策措施落地见效。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。</p>
 <p>数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。</p>
 <p>分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。</p><p>（文章来源：中国证券报）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101092700000012">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101092700000012</a></p>
<p><a href="https://finews.withounder.com/category/zhongguozhengquanbao.html">返回中国证券报新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T01:27:53Z','2022-01-01T01:27:53Z','["zhongguozhengquanbao"]','["中国证券报新闻"]','4568ce045e90d5a9e8440e2446a6c9ccaffa82feeda8e8714d2ce001e1cb3c5b','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101093600000013','NW20220101093600000013','证监会：启动中小企业数字化转型相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101093600000013','<p>数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。</p>
 <p>分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。下一步，将加强统筹协调，推动各项政策措施落地见效。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。</p>
 <p>截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。下一步，将加强统筹协调，推动各项政策措施落地见效。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。</p>
 <p>分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。</p><p>（文章来源：上海证券报）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101093600000013">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101093600000013</a></p>
<p><a href="https://finews.withounder.com/category/shanghaizhengquanbao.html">返回上海证券报新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T01:36:33Z','2022-01-01T01:36:33Z','["shanghaizhengquanbao"]','["上海证券报新闻"]','9363b154bf280d585319b8fb46b801cabdde77c0752c5ebf97df25b44b32b184','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101093900000014','NW20220101093900000014','证监会：研究跨境贸易便利化相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101093900000014','<p>会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。下一步，将加强统筹协调，推动各项政策措施落地见效。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。</p>
 <p>截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。</p>
 <p>数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。下一步，将加强统筹协调，推动各项政策措施落地见效。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。</p>
 <p>下一步，将加强统筹协调，推动各项政策措施落地见效。下一步，将加强统筹协调，推动各项政策措施落地见效。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。</p><p>（文章来源：上海证券报）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101093900000014">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101093900000014</a></p>
<p><a href="https://finews.withounder.com/category/shanghaizhengquanbao.html">返回上海证券报新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T01:39:53Z','2022-01-01T01:39:53Z','["shanghaizhengquanbao"]','["上海证券报新闻"]','794205c3c07198666ba5c9f394ffc323dd251e359ce588ac7eaa2438a8075981','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101095000000015','NW20220101095000000015','上交所：研究注册制改革相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101095000000015','<p>数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。</p>
 <p>业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。下一步，将加强统筹协调，推动各项政策措施落地见效。</p>
 <p>截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。下一步，将加强统筹协调，推动各项政策措施落地见效。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。</p>
 <p>分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。</p><p>（文章来源：上海证券报）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101095000000015">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101095000000015</a></p>
<p><a href="https://finews.withounder.com/category/shanghaizhengquanbao.html">返回上海证券报新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T01:50:53Z','2022-01-01T01:50:53Z','["shanghaizhengquanbao"]','["上海证券报新闻"]','7b8d4c3dd711ddc1b92d57110b01900e66fcb6f0636356b0cf706e2a0209b534','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101095200000016','NW20220101095200000016','商务部：召开新闻发布会介绍新能源汽车产业链相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101095200000016','<p>下一步，将加强统筹协调，推动各项政策措施落地见效。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。</p>
 <p>截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。</p>
 <p>下一步，将加强统筹协调，推动各项政策措施落地见效。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。</p>
 <p>业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。</p><p>（文章来源：东方财富网）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101095200000016">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101095200000016</a></p>
<p><a href="https://finews.withounder.com/category/dongfangcaifuwang.html">返回东方财富网新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T01:52:16Z','2022-01-01T01:52:16Z','["dongfangcaifuwang"]','["东方财富网新闻"]','4a797a473df3d7928c96e9c2f141494faad64a24885c8aa989a36e8e91bf835a','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101100500000017','NW20220101100500000017','深交所：发布注册制改革相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101100500000017','<p>业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。</p>
 <p>会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。</p>
 <p>数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。</p>
 <p>业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。下一步，将加强统筹协调，推动各项政策措施落地见效。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。</p><p>（文章来源：证券时报网）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101100500000017">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101100500000017</a></p>
<p><a href="https://finews.withounder.com/category/zhengquanshibaowang.html">返回证券时报网新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T02:05:14Z','2022-01-01T02:05:14Z','["zhengquanshibaowang"]','["证券时报网新闻"]','c8b8f14c29f910544144aa4a1c11bb8a40f312c75e840a59dc7310ffcfd0f540','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101100700000018','NW20220101100700000018','商务部：发布中小企业数字化转型相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101100700000018','<p>截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。</p>
 <p>分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。下一步，将加强统筹协调，推动各项政策措施落地见效。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。下一步，将加强统筹协调，推动各项政策措施落地见效。</p>
 <p>截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。下一步，将加强统筹协调，推动各项政策措施落地见效。</p>
 <p>分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。下一步，将加强统筹协调，推动各项政策措施落地见效。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。</p><p>（文章来源：证券时报网）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101100700000018">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101100700000018</a></p>
<p><a href="https://finews.withounder.com/category/zhengquanshibaowang.html">返回证券时报网新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T02:07:17Z','2022-01-01T02:07:17Z','["zhengquanshibaowang"]','["证券时报网新闻"]','48cbf2bac722cbe79e563662dc16cf5a2e6d2977c153c2028ac8ef4ba5a828ab','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101101400000019','NW20220101101400000019','财政部：出台中小企业数字化转型相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101101400000019','<p>会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。</p>
 <p>下一步，将加强统筹协调，推动各项政策措施落地见效。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。</p>
 <p>分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。</p>
 <p>会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。下一步，将加强统筹协调，推动各项政策措施落地见效。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。</p><p>（文章来源：东方财富网）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101101400000019">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101101400000019</a></p>
<p><a href="https://finews.withounder.com/category/dongfangcaifuwang.html">返回东方财富网新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T02:14:21Z','2022-01-01T02:14:21Z','["dongfangcaifuwang"]','["东方财富网新闻"]','b359b9b17a715a9b7b5816f8dabdda376ce7bf694fe6dad23922df8a8ea18524','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101102300000020','NW20220101102300000020','上交所：出台稳增长政策相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101102300000020','<p>业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。</p>
 <p>会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。下一步，将加强统筹协调，推动各项政策措施落地见效。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。</p>
 <p>业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。</p>
 <p>会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。</p><p>（文章来源：中国证券报）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101102300000020">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101102300000020</a></p>
<p><a href="https://finews.withounder.com/category/zhongguozhengquanbao.html">返回中国证券报新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T02:23:00Z','2022-01-01T02:23:00Z','["zhongguozhengquanbao"]','["中国证券报新闻"]','eaf7dd47da4dd55560acdffe835604002493896e29b5a4856bc1c8d1b33968bf','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW20220101102800000021','NW20220101102800000021','工信部：推进资本市场改革相关工作','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101102800000021','<p>会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。</p>
 <p>业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。下一步，将加强统筹协调，推动各项政策措施落地见效。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。业内人士表示，政策组合拳将进一步提振市场信心，助力实体经济高质量发展。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。</p>
 <p>会议强调，要坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。</p>
 <p>截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。截至目前，已有多家机构发布相关研究报告，普遍看好行业前景。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。数据显示，今年以来相关指标保持平稳增长，市场预期逐步改善。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。分析人士认为，短期内市场仍将维持震荡格局，中长期向好趋势不变。</p><p>（文章来源：上海证券报）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101102800000021">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20220101102800000021</a></p>
<p><a href="https://finews.withounder.com/category/shanghaizhengquanbao.html">返回上海证券报新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-01-01T02:28:25Z','2022-01-01T02:28:25Z','["shanghaizhengquanbao"]','["上海证券报新闻"]','1cd2835c85f795e4cd1e64bcf5ff9e578882084fe38d5b20ea44dd925cb9b7a4','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW202201242259595178','NW202201242259595178','工信部：培育一批进军元宇宙、区块链、人工智能等领域的中小企业','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202201242259595178','<p>1月24日，工业和信息化部召开新闻发布会，介绍支持中小企业发展相关工作情况。工信部中小企业局局长梁志峰在会上表示，工信部将通过“创客中国”创新创业大赛等多种方式，引导和支持中小企业加快推进数字产业化和产业数字的进程。</p>
<p>据工信部副部长徐晓兰介绍，2021年，工信部坚持纾困和培优两手抓，推动中小企业平稳健康发展。</p><p>（文章来源：证券时报网）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202201242259595178">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202201242259595178</a></p>','<p>1月24日，工业和信息化部召开新闻发布会，介绍支持中小企业发展相关工作情况。</p>','证券时报网','2022-01-24T14:56:53Z','2026-11-30T16:13:29Z','["zhengce","zhengquanshibaowang"]','["证券时报网新闻"]','fff482ea40ab1489bebbc7c9552b893bfc0c536f9a54dea5586da041629db5c2','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW202203020915000101','NW202203020915000101','央行：保持流动性合理充裕，加大对实体经济支持力度','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202203020915000101','<p>中国人民银行表示，将继续实施稳健的货币政策，保持流动性合理充裕。</p>
 <p>业内人士认为，政策组合拳将进一步提振市场信心。</p><p>（文章来源：证券时报网）</p>
<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202203020915000101">http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202203020915000101</a></p>
<p><a href="https://finews.withounder.com/category/zhengquanshibaowang.html">返回证券时报网新闻</a>｜<a href="https://finews.withounder.com/">返回首页</a></p>
',NULL,NULL,'2022-03-02T01:15:00Z','2022-03-02T01:15:00Z','["zhengquanshibaowang"]','["央行","货币政策"]','a8d8d16bac5558d0c3b67df06b1c28a2ce7257cedee1f11d86c093b0027772ac','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW202202151800000102','NW202202151800000102','A股市场周评：成交额连续放大，北向资金净流入','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202202151800000102','<p>本周<strong>A股</strong>三大指数震荡上行，两市成交额连续多日突破万亿元。</p>
<ul>
<li>北向资金全周净流入超百亿元</li>
<li>新能源、半导体板块领涨</li>
</ul>
<p>详见<a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202202151800000102">上海证券报原文</a>。</p>
',NULL,NULL,'2022-02-14T16:00:00Z','2022-02-14T16:00:00Z','["shanghaizhengquanbao"]','["市场","周评"]','0c17bf50b7c72b38a9b12dba604b92c3de5e893e93b22e5f8a57ba5d0c2d38f8','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('guid:tag:cls.example.com,2022:telegraph/917001',NULL,'两部门：支持专精特新中小企业高质量发展','https://cls.example.com/detail/917001','<p>财联社1月25日电，财政部、工信部联合发文，支持“专精特新”中小企业高质量发展。</p>',NULL,'财联社','2022-01-25T01:12:30Z','2022-01-25T01:20:00Z','["zhengce"]','["政策"]','cf1da99e3320540c7953586057f7e85a989786d1a78db692a703a86818894b73','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('guid:tag:cls.example.com,2022:telegraph/917003',NULL,'人民币对美元中间价报6.3485，调升4个基点','https://cls.example.com/detail/917003','<p>财联社1月25日电，人民币对美元中间价报6.3485，调升4个基点。</p>',NULL,'财联社','2022-01-25T01:16:17Z','2022-01-25T01:16:17Z','["waihui"]','["外汇"]','0fd3f655bdb61cff8aeb48f12a534ca98d7bab2ab9a66868055d6267ea1198ee','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW202201171023456789','NW202201171023456789','央行：1月MLF和逆回购中标利率均下降10个基点','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202201171023456789','<p>中国人民银行1月17日开展7000亿元中期借贷便利（MLF）操作和1000亿元公开市场逆回购操作，中标利率均下降10个基点。</p><p>（文章来源：证券时报网）</p>',NULL,'证券时报网','2022-01-17T02:23:45Z','2022-01-17T02:23:45Z','["zhengquanshibaowang"]','["证券时报网新闻"]','1719444e01aec65f160a8c24395ac34722f16d11e90b31ca264dd0b80b99b1af','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('NW202201251530112233','NW202201251530112233','沪深两市成交额连续第十个交易日突破万亿元','http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202201251530112233','<p>据Wind数据，今日沪深两市成交额1.02万亿元，连续第十个交易日突破万亿元，北向资金全天净买入52.3亿元。</p><p>（文章来源：证券时报网）</p>',NULL,'证券时报网','2022-01-25T07:30:11Z','2022-01-25T07:30:11Z','["zhengquanshibaowang"]','["证券时报网新闻"]','2929893435a38823a59ed0a24df9389752fe515def153e3f998364821e5dd477','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('guid:fund-20220125-01',NULL,'公募基金管理规模突破25万亿元','https://fund.example.com/news/20220125-01.html','<p>中国证券投资基金业协会数据显示，截至2021年末，公募基金管理规模达25.56万亿元，再创历史新高。</p>',NULL,'基金研究部','2022-01-25T02:00:00Z','2022-01-25T02:00:00Z','["jijin"]','["基金"]','848197b4dfc19f6e1aae4aa048aea595b0a43728bc463abfa135da63c8891e14','2026-11-30T16:13:29Z');
INSERT INTO "entries" VALUES('guid:fund-20220124-07',NULL,'新发基金遇冷，多只产品延长募集期','https://fund.example.com/news/20220124-07.html','<p>1月以来已有十余只新基金宣布延长募集期。</p>',NULL,NULL,'2022-01-24T10:30:00Z','2022-01-24T10:30:00Z','["jijin"]','["基金"]','859288694909972a77f27c71c5122c5a9d6e8873533978a2e640e837f4d3479d','2026-11-30T16:13:29Z');
CREATE TABLE entry_categories (
    key TEXT NOT NULL REFERENCES entries (key) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    published TEXT NOT NULL,
    PRIMARY KEY (key, slug)
) WITHOUT ROWID;
INSERT INTO "entry_categories" VALUES('NW20220101101400000019','dongfangcaifuwang','2022-01-01T02:14:21Z');
INSERT INTO "entry_categories" VALUES('NW20220101095200000016','dongfangcaifuwang','2022-01-01T01:52:16Z');
INSERT INTO "entry_categories" VALUES('NW20220101090900000009','dongfangcaifuwang','2022-01-01T01:09:25Z');
INSERT INTO "entry_categories" VALUES('NW20220101081400000002','dongfangcaifuwang','2022-01-01T00:14:36Z');
INSERT INTO "entry_categories" VALUES('guid:fund-20220125-01','jijin','2022-01-25T02:00:00Z');
INSERT INTO "entry_categories" VALUES('guid:fund-20220124-07','jijin','2022-01-24T10:30:00Z');
INSERT INTO "entry_categories" VALUES('NW20220101092300000011','jingjicankaobao','2022-01-01T01:23:41Z');
INSERT INTO "entry_categories" VALUES('NW20220101090000000008','jingjicankaobao','2022-01-01T01:00:01Z');
INSERT INTO "entry_categories" VALUES('NW20220101082200000003','jingjicankaobao','2022-01-01T00:22:48Z');
INSERT INTO "entry_categories" VALUES('NW202202151800000102','shanghaizhengquanbao','2022-02-14T16:00:00Z');
INSERT INTO "entry_categories" VALUES('NW20220101102800000021','shanghaizhengquanbao','2022-01-01T02:28:25Z');
INSERT INTO "entry_categories" VALUES('NW20220101095000000015','shanghaizhengquanbao','2022-01-01T01:50:53Z');
INSERT INTO "entry_categories" VALUES('NW20220101093900000014','shanghaizhengquanbao','2022-01-01T01:39:53Z');
INSERT INTO "entry_categories" VALUES('NW20220101093600000013','shanghaizhengquanbao','2022-01-01T01:36:33Z');
INSERT INTO "entry_categories" VALUES('NW20220101083800000005','shanghaizhengquanbao','2022-01-01T00:38:22Z');
INSERT INTO "entry_categories" VALUES('NW20220101082200000003','shanghaizhengquanbao','2022-01-01T00:22:48Z');
INSERT INTO "entry_categories" VALUES('NW20220101081100000001','shanghaizhengquanbao','2022-01-01T00:11:03Z');
INSERT INTO "entry_categories" VALUES('guid:tag:cls.example.com,2022:telegraph/917003','waihui','2022-01-25T01:16:17Z');
INSERT INTO "entry_categories" VALUES('guid:tag:cls.example.com,2022:telegraph/917001','zhengce','2022-01-25T01:12:30Z');
INSERT INTO "entry_categories" VALUES('NW202201242259595178','zhengce','2022-01-24T14:56:53Z');
INSERT INTO "entry_categories" VALUES('NW202203020915000101','zhengquanshibaowang','2022-03-02T01:15:00Z');
INSERT INTO "entry_categories" VALUES('NW202201251530112233','zhengquanshibaowang','2022-01-25T07:30:11Z');
INSERT INTO "entry_categories" VALUES('NW202201242259595178','zhengquanshibaowang','2022-01-24T14:56:53Z');
INSERT INTO "entry_categories" VALUES('NW202201171023456789','zhengquanshibaowang','2022-01-17T02:23:45Z');
INSERT INTO "entry_categories" VALUES('NW20220101100700000018','zhengquanshibaowang','2022-01-01T02:07:17Z');
INSERT INTO "entry_categories" VALUES('NW20220101100500000017','zhengquanshibaowang','2022-01-01T02:05:14Z');
INSERT INTO "entry_categories" VALUES('NW20220101084900000007','zhengquanshibaowang','2022-01-01T00:49:23Z');
INSERT INTO "entry_categories" VALUES('NW20220101084800000006','zhengquanshibaowang','2022-01-01T00:48:32Z');
INSERT INTO "entry_categories" VALUES('NW20220101080200000000','zhengquanshibaowang','2022-01-01T00:02:09Z');
INSERT INTO "entry_categories" VALUES('NW20220101102300000020','zhongguozhengquanbao','2022-01-01T02:23:00Z');
INSERT INTO "entry_categories" VALUES('NW20220101092700000012','zhongguozhengquanbao','2022-01-01T01:27:53Z');
INSERT INTO "entry_categories" VALUES('NW20220101091600000010','zhongguozhengquanbao','2022-01-01T01:16:00Z');
INSERT INTO "entry_categories" VALUES('NW20220101083300000004','zhongguozhengquanbao','2022-01-01T00:33:24Z');
CREATE TABLE entry_sources (
    key TEXT NOT NULL REFERENCES entries (key) ON DELETE CASCADE,
    source TEXT NOT NULL,
    item_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    categories TEXT NOT NULL,      -- JSON list of slugs this copy put the entry in
    raw_date TEXT,
    date_is_fetch_time INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (key, source, item_id)
) WITHOUT ROWID;
INSERT INTO "entry_sources" VALUES('NW20220101080200000000','local:examples/posts','00000_a6a3a4506513270e.txt','ef2036bcbe6526268b577c7e93ef70d20514159eafd944db932ff43f527dd545','["zhengquanshibaowang"]','2022-01-01 08:02:09 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101081100000001','local:examples/posts','00001_95e60af593bd04cf.txt','a3d3165f502e4e9bfb2692fee6d3269a65011592785368a9830b95587853c289','["shanghaizhengquanbao"]','2022-01-01 08:11:03 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101081400000002','local:examples/posts','00002_9e7769b10f4205b4.txt','69abdcdbda17e7d1affe03d3d6d2fdea3592df645f01fc7d6a1303059438e466','["dongfangcaifuwang"]','2022-01-01 08:14:36 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101082200000003','local:examples/posts','00003_26e875555790f82e.txt','2f3d7a8cc9e851b55cdb9921d5a5e8c0776f4a402dc60ffcd7c8f03081cd53ac','["shanghaizhengquanbao"]','2022-01-01 08:22:48 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101082200000003','local:examples/posts','00100_shared_infocode_copy.txt','fa4d92025452dd0fdc73f17e66e41adccaf23141aa9967647ce99b6286edc83b','["jingjicankaobao"]','2022-01-01 08:22:48 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101083300000004','local:examples/posts','00004_ab2cd31ee3151288.txt','203af2c5c2544556ffa72df4d93f414ee19273edb830d5734c3c9f692d154681','["zhongguozhengquanbao"]','2022-01-01 08:33:24 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101083800000005','local:examples/posts','00005_e25a7605aec6f024.txt','d9fc3a5f9a759a0877c784a16d486fc6d911eceb21f82e5eeec07eee497004ff','["shanghaizhengquanbao"]','2022-01-01 08:38:22 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101084800000006','local:examples/posts','00006_9e1a8ef4f341e07a.txt','6c440a07a22c0fae90cb81fe14ec787e27be47dbd0f39d646b9e90207aae9725','["zhengquanshibaowang"]','2022-01-01 08:48:32 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101084900000007','local:examples/posts','00007_068739fa9d1de2a0.txt','72a51bc6ceccbef0c025e52b6c68c278a906a233ee86ae85f5f3e8a29b6319a8','["zhengquanshibaowang"]','2022-01-01 08:49:23 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101090000000008','local:examples/posts','00008_f373ca533488f876.txt','0c9ffbc35b2d972d16d04c1ad1421b2a64c7c4d658e16c2a8c1ba7ba86995389','["jingjicankaobao"]','2022-01-01 09:00:01 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101090900000009','local:examples/posts','00009_cda6c6fdbd685167.txt','18e0d524831672365d8a083c0b3ed20d3809da4e033be493d386dccd011f0b8b','["dongfangcaifuwang"]','2022-01-01 09:09:25 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101091600000010','local:examples/posts','00010_e8c147437abec539.txt','a594a5175030348f8a3f946a85d7108e74a9cc87c7b9d4209e92a3024e786bf7','["zhongguozhengquanbao"]','2022-01-01 09:16:00 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101092300000011','local:examples/posts','00011_9c9011ef256badf9.txt','16c75f06872df8598d8fb2ab9b692b801980d589f6623ceaff3917b93fc6524d','["jingjicankaobao"]','2022-01-01 09:23:41 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101092700000012','local:examples/posts','00012_0f977044218e0b7b.txt','4568ce045e90d5a9e8440e2446a6c9ccaffa82feeda8e8714d2ce001e1cb3c5b','["zhongguozhengquanbao"]','2022-01-01 09:27:53 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101093600000013','local:examples/posts','00013_8e31704187ddaeb7.txt','9363b154bf280d585319b8fb46b801cabdde77c0752c5ebf97df25b44b32b184','["shanghaizhengquanbao"]','2022-01-01 09:36:33 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101093900000014','local:examples/posts','00014_231b3e14729135bd.txt','794205c3c07198666ba5c9f394ffc323dd251e359ce588ac7eaa2438a8075981','["shanghaizhengquanbao"]','2022-01-01 09:39:53 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101095000000015','local:examples/posts','00015_2955d6f03945336b.txt','7b8d4c3dd711ddc1b92d57110b01900e66fcb6f0636356b0cf706e2a0209b534','["shanghaizhengquanbao"]','2022-01-01 09:50:53 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101095200000016','local:examples/posts','00016_0a227385459c945c.txt','4a797a473df3d7928c96e9c2f141494faad64a24885c8aa989a36e8e91bf835a','["dongfangcaifuwang"]','2022-01-01 09:52:16 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101100500000017','local:examples/posts','00017_43b30f66110e2cb6.txt','c8b8f14c29f910544144aa4a1c11bb8a40f312c75e840a59dc7310ffcfd0f540','["zhengquanshibaowang"]','2022-01-01 10:05:14 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101100700000018','local:examples/posts','00018_cdbde74758d50f1b.txt','48cbf2bac722cbe79e563662dc16cf5a2e6d2977c153c2028ac8ef4ba5a828ab','["zhengquanshibaowang"]','2022-01-01 10:07:17 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101101400000019','local:examples/posts','00019_d510bb0432d90dcd.txt','b359b9b17a715a9b7b5816f8dabdda376ce7bf694fe6dad23922df8a8ea18524','["dongfangcaifuwang"]','2022-01-01 10:14:21 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101102300000020','local:examples/posts','00020_5d385e064363e5d9.txt','eaf7dd47da4dd55560acdffe835604002493896e29b5a4856bc1c8d1b33968bf','["zhongguozhengquanbao"]','2022-01-01 10:23:00 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW20220101102800000021','local:examples/posts','00021_0aaaaf81963892a7.txt','1cd2835c85f795e4cd1e64bcf5ff9e578882084fe38d5b20ea44dd925cb9b7a4','["shanghaizhengquanbao"]','2022-01-01 10:28:25 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW202201171023456789','zqsb-rss','NW202201171023456789','1719444e01aec65f160a8c24395ac34722f16d11e90b31ca264dd0b80b99b1af','["zhengquanshibaowang"]','Mon, 17 Jan 2022 10:23:45 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW202201242259595178','cailianshe','tag:cls.example.com,2022:telegraph/916880','b3bb31bfa347c7de9d31d92cf4b3036273d581037bc1403f7bcf8864745f48d8','["zhengce"]','2022-01-24T23:05:00+08:00',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW202201242259595178','local:examples/posts','000_df4b0940cadb3621.txt','faf53ddee9ce68e008a974a9d90f250bb351dee55b6aef363e7758688ae2d73e','["zhengquanshibaowang"]','2022-01-24 22:56:53 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW202201242259595178','zqsb-rss','NW202201242259595178','fff482ea40ab1489bebbc7c9552b893bfc0c536f9a54dea5586da041629db5c2','["zhengquanshibaowang"]','Mon, 24 Jan 2022 22:56:53 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW202201251530112233','zqsb-rss','NW202201251530112233','2929893435a38823a59ed0a24df9389752fe515def153e3f998364821e5dd477','["zhengquanshibaowang"]','Tue, 25 Jan 2022 15:30:11 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW202202151800000102','local:examples/posts','2022-02-15-market-review.md','0c17bf50b7c72b38a9b12dba604b92c3de5e893e93b22e5f8a57ba5d0c2d38f8','["shanghaizhengquanbao"]','2022-02-15',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('NW202203020915000101','local:examples/posts','00101_chinese_category.md','a8d8d16bac5558d0c3b67df06b1c28a2ce7257cedee1f11d86c093b0027772ac','["zhengquanshibaowang"]','2022-03-02 09:15:00 +0800',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('guid:fund-20220124-07','jijin','fund-20220124-07','859288694909972a77f27c71c5122c5a9d6e8873533978a2e640e837f4d3479d','["jijin"]','2022-01-24T18:30:00+08:00',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('guid:fund-20220125-01','jijin','fund-20220125-01','848197b4dfc19f6e1aae4aa048aea595b0a43728bc463abfa135da63c8891e14','["jijin"]','2022-01-25T10:00:00+08:00',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('guid:tag:cls.example.com,2022:telegraph/917001','cailianshe','tag:cls.example.com,2022:telegraph/917001','cf1da99e3320540c7953586057f7e85a989786d1a78db692a703a86818894b73','["zhengce"]','2022-01-25T09:12:30+08:00',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
INSERT INTO "entry_sources" VALUES('guid:tag:cls.example.com,2022:telegraph/917003','cailianshe','tag:cls.example.com,2022:telegraph/917003','0fd3f655bdb61cff8aeb48f12a534ca98d7bab2ab9a66868055d6267ea1198ee','["waihui"]','2022-01-25T09:16:17+08:00',0,'2026-11-30T16:13:29Z','2026-11-30T16:13:29Z');
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,       -- webhook-id, the same on every retry
    type TEXT NOT NULL,
    entry_key TEXT,
    categories TEXT NOT NULL DEFAULT '[]',
    payload TEXT NOT NULL,         -- JSON body as sent
    created TEXT NOT NULL
);
CREATE TABLE failures (
    source TEXT NOT NULL,
    location TEXT NOT NULL,
    line INTEGER,
    reason TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (source, location)
);
CREATE TABLE fetch_log (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    at TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    duration_ms INTEGER,
    items INTEGER NOT NULL DEFAULT 0,
    new INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0
);
INSERT INTO "fetch_log" VALUES(1,'cailianshe','2026-11-30T16:13:29Z','file',NULL,3,3,2,1);
INSERT INTO "fetch_log" VALUES(2,'zqsb-rss','2026-11-30T16:13:29Z','file',NULL,4,3,2,1);
INSERT INTO "fetch_log" VALUES(3,'jijin','2026-11-30T16:13:29Z','file',NULL,3,2,2,0);
CREATE TABLE files (
    source TEXT NOT NULL,
    path TEXT NOT NULL,            -- relative to the source folder
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    entry_key TEXT,                -- NULL when the file failed or was skipped (draft)
    PRIMARY KEY (source, path)
);
INSERT INTO "files" VALUES('local:examples/posts','00000_a6a3a4506513270e.txt',1851,1796055209059420659,'7707f6ab73b6091eb45e05ce23cc00bc289d047c32db57f83bd6dba92beb9b77','NW20220101080200000000');
INSERT INTO "files" VALUES('local:examples/posts','00001_95e60af593bd04cf.txt',1907,1796055209059711212,'79d031eb57c46614cf18628d32fa613b3a777cfbd2661e4dd9bd87d924d9bdc4','NW20220101081100000001');
INSERT INTO "files" VALUES('local:examples/posts','00002_9e7769b10f4205b4.txt',2201,1796055209059711212,'ac05138fc521c658813a55194dd23a541bd5884e73a85b5258cc954dfb4fcb9f','NW20220101081400000002');
INSERT INTO "files" VALUES('local:examples/posts','00003_26e875555790f82e.txt',2237,1796055209059711212,'d0919f36d90c288cd2e69f4d0cb23934301860dba8bf4e2312387f5eca6b907d','NW20220101082200000003');
INSERT INTO "files" VALUES('local:examples/posts','00004_ab2cd31ee3151288.txt',2156,1796055209059711212,'b4ab3b18a1a86506095d91d36a95838419e59d53ffca9a9db4b6d4bfc95ce27e','NW20220101083300000004');
INSERT INTO "files" VALUES('local:examples/posts','00005_e25a7605aec6f024.txt',2048,1796055209059711212,'eaf973c03fa2854bef8cf7b2e59303ad78956e1875eafea7c5fa5dc5fb0b0b4c','NW20220101083800000005');
INSERT INTO "files" VALUES('local:examples/posts','00006_9e1a8ef4f341e07a.txt',2118,1796055209059711212,'fd38a5571eb50be334f9916fe1a6dbe4b004361f4d2b1fd1dc7c6d8bbecec4eb','NW20220101084800000006');
INSERT INTO "files" VALUES('local:examples/posts','00007_068739fa9d1de2a0.txt',2313,1796055209059711212,'3220e4e875cab07df8d0212ccc64c7603c40af50a63dbb3111851458fa8621be','NW20220101084900000007');
INSERT INTO "files" VALUES('local:examples/posts','00008_f373ca533488f876.txt',1972,1796055209059711212,'61fa7d2fe501a5a2fdca7101a3b6d31567732f49bd6e7dc9cf37f3bb2bbe16b2','NW20220101090000000008');
INSERT INTO "files" VALUES('local:examples/posts','00009_cda6c6fdbd685167.txt',2429,1796055209059711212,'67ecb13d70b743f2145a56acc0de7d35afa9949dee7b73c9b391de6c74b8b1bf','NW20220101090900000009');
INSERT INTO "files" VALUES('local:examples/posts','00010_e8c147437abec539.txt',1847,1796055209059711212,'14a85ebbb200f51d393d86d843a17723fe17da8e1df8ac9b35f2f189152d1ea6','NW20220101091600000010');
INSERT INTO "files" VALUES('local:examples/posts','00011_9c9011ef256badf9.txt',2089,1796055209059711212,'db4d34f1db49708a9e6bbe99d58b21395f23fd80d4659fe4a43eb6854d01ae66','NW20220101092300000011');
INSERT INTO "files" VALUES('local:examples/posts','00012_0f977044218e0b7b.txt',2129,1796055209059711212,'4635d7c18bbcc80afe3bb72c758f224cece6f419d35f9354478dc211d11bedcb','NW20220101092700000012');
INSERT INTO "files" VALUES('local:examples/posts','00013_8e31704187ddaeb7.txt',2378,1796055209059711212,'90b25299b9fcf91e9d6d25e44067570bc4d1625dc416de5111d55dfa21d61aa0','NW20220101093600000013');
INSERT INTO "files" VALUES('local:examples/posts','00014_231b3e14729135bd.txt',2000,1796055209059711212,'6b5345556d9423ccf3d8a486352c9cd1aaa5c6558c734bfc086ce514a69d1a5f','NW20220101093900000014');
INSERT INTO "files" VALUES('local:examples/posts','00015_2955d6f03945336b.txt',2387,1796055209059711212,'4041b07bd9d47a6ac3fc8514aac8c4b8b501db85d03834c50f94056d54de4c50','NW20220101095000000015');
INSERT INTO "files" VALUES('local:examples/posts','00016_0a227385459c945c.txt',2219,1796055209059711212,'087f0571c8de74722627a59c062817a8d621dfe91c60c6ec87c340b6e8e72ad9','NW20220101095200000016');
INSERT INTO "files" VALUES('local:examples/posts','00017_43b30f66110e2cb6.txt',2187,1796055209059711212,'c102f13a0e19da05c162475952e30a4021933d689494c3b1efecddfa3bd52b80','NW20220101100500000017');
INSERT INTO "files" VALUES('local:examples/posts','00018_cdbde74758d50f1b.txt',1884,1796055209059711212,'ae1dbb2654a55ee003f606261fc65659cf9d125c4dcc7d1ec5438bc92a972822','NW20220101100700000018');
INSERT INTO "files" VALUES('local:examples/posts','00019_d510bb0432d90dcd.txt',2327,1796055209059711212,'7d4495dfe37b09db36b85d119056f3dcf452329f3b067cdfbc65116917c42931','NW20220101101400000019');
INSERT INTO "files" VALUES('local:examples/posts','00020_5d385e064363e5d9.txt',2024,1796055209059711212,'9c800a19f1130af5bdd3ee3476507d7ff196b2404ea61851ad46c3b932046a56','NW20220101102300000020');
INSERT INTO "files" VALUES('local:examples/posts','00021_0aaaaf81963892a7.txt',2315,1796055209059711212,'25e763e02edf1dcd287833b312ae1027a44f4798737c0078ac4e338c25c517d3','NW20220101102800000021');
INSERT INTO "files" VALUES('local:examples/posts','000_df4b0940cadb3621.txt',6158,1796055209059711212,'7dc56237a814d89d2e82cdd3487c15118032004b00a41ad5d026a94b1815bce2','NW202201242259595178');
INSERT INTO "files" VALUES('local:examples/posts','00100_shared_infocode_copy.txt',2239,1796055209059711212,'ef93d2f4b5902014abfdd8b71ac4065ef7930ade197a004e3e5a8cd00acdc2f0','NW20220101082200000003');
INSERT INTO "files" VALUES('local:examples/posts','00101_chinese_category.md',651,1796055209059711212,'46cafc1fdaa4b0becfbad686af3040529c9405179cc1245b2f5b815d38e9721a','NW202203020915000101');
INSERT INTO "files" VALUES('local:examples/posts','00102_draft.md',143,1796055209059711212,'3e29ec2e2c4e2420a25f0b1493a632b537f881efa1a3d064eb92b59d9b2a3dc5',NULL);
INSERT INTO "files" VALUES('local:examples/posts','2022-02-15-market-review.md',426,1796055209059711212,'8e0b82839b5d334f93e82e26871bc81ea58cc2a3b6cc705d2f38044945a7a09b','NW202202151800000102');
CREATE TABLE hosts (
    host TEXT PRIMARY KEY,
    retry_after_until TEXT
);
CREATE TABLE outbox_cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
INSERT INTO "outbox_cursor" VALUES(1,0);
CREATE TABLE sources (
    name TEXT PRIMARY KEY,
    url TEXT NOT NULL,             -- current URL (after permanent redirects)
    config_url TEXT NOT NULL,      -- the URL the config gave; a config change resets url to it
    aliases TEXT NOT NULL DEFAULT '[]',  -- JSON list of earlier URLs, oldest first
    interval REAL NOT NULL DEFAULT 900,  -- configured seconds between polls
    enabled INTEGER NOT NULL DEFAULT 1,
    configured INTEGER NOT NULL DEFAULT 1,
    etag TEXT,
    last_modified TEXT,
    body_hash TEXT,                -- sha256 of the last decoded body: an equal 200 is "unchanged"
    last_fetch TEXT,
    last_success TEXT,
    last_status TEXT,              -- HTTP status ("200", "304", "404") or error kind ("timeout", "dns")
    error_count INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    warning TEXT,                  -- the last body was malformed but still read
    next_due TEXT,                 -- NULL: due now (or never, when gone)
    min_next_due TEXT,             -- floor from Cache-Control/Expires/<ttl>
    ttl INTEGER,                   -- the feed's RSS <ttl> (minutes): a floor on 304s too
    gone INTEGER NOT NULL DEFAULT 0,
    item_rate REAL                 -- recent new items per day, for adaptive intervals
);
INSERT INTO "sources" VALUES('zqsb-rss','examples/feeds/zhengquanshibaowang.rss.xml','examples/feeds/zhengquanshibaowang.rss.xml','[]',900.0,1,1,NULL,NULL,'33099757df78bd58d56ea48bc8af8c0a9a565e96bff0352659456b369dabad48','2026-11-30T16:13:29Z','2026-11-30T16:13:29Z','file',0,NULL,NULL,'2026-11-30T16:28:29Z','2026-11-30T16:28:29Z',15,0,NULL);
INSERT INTO "sources" VALUES('cailianshe','examples/feeds/cailianshe.atom.xml','examples/feeds/cailianshe.atom.xml','[]',1800.0,1,1,NULL,NULL,'1a93d9afecc280490bbda5d08e3e13df66b08ece04fa13a4ef3d2a7cb4b0bcaa','2026-11-30T16:13:29Z','2026-11-30T16:13:29Z','file',0,NULL,NULL,'2026-11-30T16:43:29Z',NULL,NULL,0,NULL);
INSERT INTO "sources" VALUES('jijin','examples/feeds/jijin.json','examples/feeds/jijin.json','[]',3600.0,1,1,NULL,NULL,'19727e00581e3982011ffbb5fb30db0c6a3fcc16d8ab875dc6d62b8a53b7ba32','2026-11-30T16:13:29Z','2026-11-30T16:13:29Z','file',0,NULL,NULL,'2026-11-30T17:13:29Z',NULL,NULL,0,NULL);
CREATE TABLE websub_pings (
    topic TEXT PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    version INTEGER NOT NULL DEFAULT 1,   -- bumped by every queue: a ping sent for an older one
    attempts INTEGER NOT NULL DEFAULT 0,  --   does not clear a newer change
    queued TEXT NOT NULL,
    next_attempt TEXT NOT NULL,
    last_attempt TEXT,
    last_status INTEGER,
    last_error TEXT,
    delivered_at TEXT
);
CREATE INDEX entries_by_published ON entries (published DESC, key);
CREATE INDEX entry_categories_by_published ON entry_categories (slug, published DESC, key);
CREATE TRIGGER entries_inserted_dirty AFTER INSERT ON entries BEGIN
    INSERT OR IGNORE INTO dirty_feeds (slug) VALUES ('all');
END;
CREATE TRIGGER entries_updated_dirty AFTER UPDATE ON entries BEGIN
    INSERT OR IGNORE INTO dirty_feeds (slug) VALUES ('all');
    INSERT OR IGNORE INTO dirty_feeds (slug) SELECT value FROM json_each(NEW.categories);
END;
CREATE TRIGGER entry_categories_inserted_dirty AFTER INSERT ON entry_categories BEGIN
    INSERT OR IGNORE INTO dirty_feeds (slug) VALUES (NEW.slug);
END;
CREATE TRIGGER entry_categories_deleted_dirty AFTER DELETE ON entry_categories BEGIN
    INSERT OR IGNORE INTO dirty_feeds (slug) VALUES (OLD.slug);
END;
CREATE INDEX fetch_log_by_source ON fetch_log (source, id DESC);
CREATE INDEX events_by_created ON events (created);
CREATE INDEX deliveries_queue ON deliveries (endpoint, status, event_seq);
CREATE INDEX deliveries_by_status ON deliveries (status, id);
DELETE FROM "sqlite_sequence";
COMMIT;