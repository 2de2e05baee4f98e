"""Content rules: the operator's filters and rewrites, applied to every source's copy before the merge.

A rule has an optional scope (``sources``, ``categories``) and actions, run in this order:
``drop_if`` (drop when any listed field matches), ``keep_if`` (drop unless every listed field
matches), ``remove`` (CSS selectors cut out of the content), ``replace`` (a pattern rewritten in
title, content, link or author), ``strip_params`` (query parameters removed from the link and from
URLs in the content) and ``add_categories``. Rules run in the order the config lists them, each
seeing what the ones before it left; a dropped copy goes through no further rule.

User patterns are RE2 (``google-re2``): matching takes linear time whatever the pattern and the
text, so no rule and no hostile item can make a run hang. A pattern RE2 cannot compile
(backreferences, lookaround) is refused, never handed to Python's ``re``. Selectors run on lxml.

This module is pure: ``RuleSet.apply`` takes a copy's text and returns a ``Verdict``; the pipeline
applies it to incoming copies and the store re-applies it to stored ones when the rules change
(``RuleSet.fingerprint``). Test a rule here, without a database.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from feeds.config import MatchField, RewriteField
from feeds.model import Category, Entry, Text

if TYPE_CHECKING:
    from lxml.cssselect import CSSSelector

    from feeds.config import Config

log = logging.getLogger(__name__)

REWRITE_FIELDS = ("title", "content", "link", "author")
# A replacement is made at most this many times per field and rule: a pattern that matches the empty
# string puts its ``with`` between every two characters, and a megabyte of content must not become
# a gigabyte. Replacements beyond it are left undone.
MAX_REPLACEMENTS = 10_000
# Bumped when what a rule does to the same text changes, so a new feeds re-applies stored rules.
ENGINE_VERSION = "1"


class RuleError(ValueError):
    """A rule the config cannot have: the key within the rule, and why."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        self.reason = reason
        super().__init__(f"{key}: {reason}")


# ---- compiling ------------------------------------------------------------------------------------


class Pattern:
    """An RE2 pattern: linear-time matching, and no Python ``re`` fallback."""

    __slots__ = ("_regex", "source")

    def __init__(self, source: str) -> None:
        import re2  # only a config with rules pays for it

        options = re2.Options()
        options.log_errors = False  # the reason is in the exception; RE2 would also print it to stderr
        try:
            self._regex = re2.compile(source, options=options)
        except re2.error as exc:
            reason = (
                exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else exc
            )
            raise ValueError(f"RE2 cannot compile {source!r}: {reason}") from None
        self.source = source

    def check_replacement(self, replacement: str) -> None:
        """Refuse a replacement naming a group the pattern lacks (``sub`` would fail only on a
        match), reading the replacement as ``sub`` does (``\\\\1`` is a backslash and a 1)."""
        for part in _template(replacement):
            if isinstance(part, str):
                continue
            ref = part.ref
            known = ref <= self._regex.groups if isinstance(ref, int) else ref in self._regex.groupindex
            if not known:
                raise ValueError(
                    f"the replacement refers to group {ref}, which {self.source!r} does not have"
                )

    def search(self, text: str) -> bool:
        return self._regex.search(text) is not None

    def sub(self, replacement: str, text: str) -> str:
        """Each match replaced by ``replacement``, where ``\\1`` and ``\\g<name>`` are groups and
        ``\\\\`` a backslash; everything else is literal text (RE2's own template expansion would
        read it as Python escapes and garble non-ASCII text)."""
        parts = _template(replacement)
        if all(isinstance(part, str) for part in parts):
            literal = "".join(part for part in parts if isinstance(part, str))
            return str(self._regex.sub(lambda _: literal, text, count=MAX_REPLACEMENTS))

        def expand(match: Any) -> str:
            return "".join(part if isinstance(part, str) else (match.group(part.ref) or "") for part in parts)

        return str(self._regex.sub(expand, text, count=MAX_REPLACEMENTS))


_TEMPLATE_PART = re.compile(r"\\(?:g<(\w+)>|(\d+)|(\\))")


@dataclass(frozen=True, slots=True)
class _Group:
    """A group reference in a replacement: its number or name."""

    ref: int | str


@lru_cache(maxsize=256)
def _template(replacement: str) -> tuple[str | _Group, ...]:
    """A replacement as literal text and group references (``\\1``, ``\\g<name>``; ``\\\\`` is a
    backslash, any other character is itself)."""
    parts: list[str | _Group] = []
    last = 0
    for found in _TEMPLATE_PART.finditer(replacement):
        parts.append(replacement[last : found.start()])
        name, number, backslash = found.groups()
        if backslash:
            parts.append("\\")
        else:
            parts.append(_Group(int(number) if number else (int(name) if name.isdigit() else name)))
        last = found.end()
    parts.append(replacement[last:])
    return tuple(part for part in parts if part != "")


def compile_pattern(source: str) -> Pattern:
    return Pattern(source)


def compile_selector(source: str) -> CSSSelector:
    """A CSS selector for ``remove``; an invalid or unsupported one raises ValueError."""
    from cssselect import SelectorError
    from lxml.cssselect import CSSSelector

    if not source.strip():
        raise ValueError("an empty selector")
    try:
        return CSSSelector(source, translator="html")
    except SelectorError as exc:
        raise ValueError(f"invalid CSS selector {source!r}: {exc}") from None


def compile_glob(globs: Sequence[str]) -> Pattern:
    """Query parameter name globs (``utm_*``, ``spm``) as one anchored RE2 pattern: ``*`` is any run
    of characters, ``?`` one character, everything else itself."""
    parts = []
    for glob in globs:
        if not glob:
            raise ValueError("an empty parameter name")
        parts.append("".join(".*" if c == "*" else "." if c == "?" else _escape(c) for c in glob))
    return Pattern(f"^(?:{'|'.join(parts)})$")


def _escape(char: str) -> str:
    return f"\\{char}" if not char.isalnum() and char != "_" else char


@dataclass(frozen=True, slots=True)
class Replacement:
    field: RewriteField
    pattern: Pattern
    with_: str


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled rule. ``label`` is its name, else ``#N`` (its 1-based place in the list)."""

    label: str
    sources: frozenset[str] | None = None
    categories: frozenset[str] | None = None
    drop_if: tuple[tuple[MatchField, Pattern], ...] = ()
    keep_if: tuple[tuple[MatchField, Pattern], ...] = ()
    remove: CSSSelector | None = None
    replace: tuple[Replacement, ...] = ()
    strip_params: Pattern | None = None
    add_categories: tuple[Category, ...] = ()

    def applies_to(self, source: str, categories: Iterable[str]) -> bool:
        if self.sources is not None and source not in self.sources:
            return False
        return self.categories is None or not self.categories.isdisjoint(categories)


@dataclass(frozen=True, slots=True)
class Change:
    """One field a rule rewrote: shown by ``feeds rules test``."""

    rule: str
    field: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the rules make of one copy's text."""

    text: Text
    dropped_by: str | None = None
    why: str = ""  # for a dropped copy: which field matched (or did not)
    changes: tuple[Change, ...] = ()

    @property
    def rules(self) -> tuple[str, ...]:
        """The rules that dropped or changed the copy, in order, each once."""
        names = [change.rule for change in self.changes]
        if self.dropped_by is not None:
            names.append(self.dropped_by)
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class RuleSet:
    """The config's rules, compiled. Pickled as the specs it was compiled from (compiled patterns
    and selectors cannot cross to worker processes); each process compiles a spec once."""

    rules: tuple[Rule, ...]
    fingerprint: str
    specs: tuple[Mapping[str, Any], ...] = ()
    categories: tuple[Category, ...] = field(default=())  # every category a rule may add

    def __bool__(self) -> bool:
        return bool(self.rules)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return _compiled_cached, (_spec_json(self.specs), self.categories)

    def apply(self, source: str, text: Text) -> Verdict:
        """The copy's text after every rule in scope; the first rule to drop it ends the run.

        A rule that fails on a copy (markup no parser could read, say) is logged and leaves that
        copy as it was: one odd item must not stop the run, nor every later re-application.
        """
        changes: list[Change] = []
        for rule in self.rules:
            if not rule.applies_to(source, text.categories):
                continue
            try:
                why = _dropped(rule, text)
                if why is not None:
                    return Verdict(text, rule.label, why, tuple(changes))
                done: list[Change] = []
                text = _rewrite(rule, text, done)
            except Exception as exc:  # the copy stays as the rules before this one left it
                log.warning(
                    "source %s: rule %s failed, left out: %s: %s", source, rule.label, type(exc).__name__, exc
                )
                continue
            changes.extend(done)
        return Verdict(text, None, "", tuple(changes))

    def apply_to_entry(self, entry: Entry) -> Entry:
        """The incoming copy after the rules, carrying its verdict and (if rewritten) its text as
        sent; its key, digest and normalized title stay the source's."""
        if not self.rules:
            return entry
        before = entry.text
        verdict = self.apply(entry.source, before)
        after = verdict.text
        if after == before and verdict.dropped_by is None:
            return entry
        added = [c for c in self.categories if c.slug in after.categories and c.slug not in before.categories]
        return replace(
            entry,
            title=after.title,
            link=after.link,
            content=after.content,
            author=after.author,
            categories=entry.categories + tuple(added),
            dropped_by=verdict.dropped_by,
            original=None if after == before else before,
        )


NO_RULES = RuleSet((), hashlib.sha256(f"rules {ENGINE_VERSION}\n[]".encode()).hexdigest())


def compile_rules(specs: Sequence[Mapping[str, Any]], categories: Sequence[Category] = ()) -> RuleSet:
    """Compile the config's rules (plain mappings, as validated); raises RuleError naming the key.

    ``categories``: the Category (slug and title) of each name a rule's ``add_categories`` gives, as
    the config resolves it.
    """
    text = _spec_json(specs)
    fingerprint = hashlib.sha256(
        f"rules {ENGINE_VERSION}\n{text}".encode("utf-8", "surrogatepass")
    ).hexdigest()
    by_slug = {category.slug: category for category in categories}
    rules = tuple(_compile_rule(index, spec, by_slug) for index, spec in enumerate(specs))
    return RuleSet(rules, fingerprint, tuple(specs), tuple(by_slug.values()))


def label_of(index: int, spec: Mapping[str, Any]) -> str:
    name = spec.get("name")
    return str(name) if name else f"#{index + 1}"


def _compile_rule(index: int, spec: Mapping[str, Any], categories: Mapping[str, Category]) -> Rule:
    def each(key: str, compile_one: Any, value: Any) -> Any:
        try:
            return compile_one(value)
        except ValueError as exc:
            raise RuleError(key, str(exc)) from None

    drop_if = tuple(
        (name, each(f"drop_if.{name}", compile_pattern, pattern))
        for name, pattern in (spec.get("drop_if") or {}).items()
    )
    keep_if = tuple(
        (name, each(f"keep_if.{name}", compile_pattern, pattern))
        for name, pattern in (spec.get("keep_if") or {}).items()
    )
    replacements = tuple(
        _replacement(n, item, each(f"replace[{n}].pattern", compile_pattern, item["pattern"]))
        for n, item in enumerate(spec.get("replace") or ())
    )
    unknown = [slug for slug in spec.get("add_categories") or () if slug not in categories]
    if unknown:
        raise RuleError("add_categories", f"no category given for {', '.join(unknown)}")
    remove = spec.get("remove")
    strip = spec.get("strip_params")
    sources, scope = spec.get("sources"), spec.get("categories")
    return Rule(
        label=label_of(index, spec),
        sources=None if sources is None else frozenset(sources),
        categories=None if scope is None else frozenset(scope),
        drop_if=drop_if,
        keep_if=keep_if,
        remove=each("remove", compile_selector, remove) if remove else None,
        replace=replacements,
        strip_params=each("strip_params", compile_glob, strip) if strip else None,
        add_categories=tuple(categories[slug] for slug in spec.get("add_categories") or ()),
    )


def _replacement(index: int, item: Mapping[str, Any], pattern: Pattern) -> Replacement:
    try:
        pattern.check_replacement(item["with"])
    except ValueError as exc:
        raise RuleError(f"replace[{index}].with", str(exc)) from None
    return Replacement(item["field"], pattern, item["with"])


def _spec_json(specs: Iterable[Mapping[str, Any]]) -> str:
    return json.dumps(list(specs), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@lru_cache(maxsize=8)
def _compiled_cached(text: str, categories: tuple[Category, ...]) -> RuleSet:
    """A RuleSet from its spec (as JSON): compiled once per process, also where one is unpickled."""
    return compile_rules(json.loads(text), categories)


# ---- matching -------------------------------------------------------------------------------------


def field_values(text: Text, name: str) -> tuple[str, ...]:
    """The strings a match field is tested on: a list field matches when any element does."""
    if name == "tags":
        return text.tags
    if name == "categories":
        return text.categories
    value = getattr(text, name)
    return (value or "",)


def _matches(pattern: Pattern, text: Text, name: str) -> bool:
    return any(pattern.search(value) for value in field_values(text, name))


def _dropped(rule: Rule, text: Text) -> str | None:
    """Why the rule drops the copy, or None when it keeps it."""
    for name, pattern in rule.drop_if:
        if _matches(pattern, text, name):
            return f"drop_if: {name} matches {pattern.source!r}"
    for name, pattern in rule.keep_if:
        if not _matches(pattern, text, name):
            return f"keep_if: {name} does not match {pattern.source!r}"
    return None


# ---- rewriting ------------------------------------------------------------------------------------


def _rewrite(rule: Rule, text: Text, changes: list[Change]) -> Text:
    if not (rule.remove is not None or rule.replace or rule.strip_params is not None or rule.add_categories):
        return text  # a filter only
    values = {
        "title": text.title,
        "link": text.link or "",
        "content": text.content,
        "author": text.author or "",
    }
    start = dict(values)
    if rule.remove is not None:
        values["content"] = remove_selected(values["content"], rule.remove)
    replaced = values["content"]
    for item in rule.replace:
        values[item.field] = item.pattern.sub(item.with_, values[item.field])
    inserted = values["content"] != replaced  # the operator's text went into the markup
    if rule.strip_params is not None:
        values["link"] = strip_query(values["link"], rule.strip_params)
        values["content"] = strip_content_urls(values["content"], rule.strip_params)
    result = _tidied(text, values, start, sanitize=inserted)
    for name in REWRITE_FIELDS:
        before, after = getattr(text, name) or "", getattr(result, name) or ""
        if before != after:
            changes.append(Change(rule.label, name, before, after))
    added = tuple(c.slug for c in rule.add_categories if c.slug not in result.categories)
    if added:
        categories = tuple(sorted({*result.categories, *added}))
        changes.append(Change(rule.label, "categories", ", ".join(text.categories), ", ".join(categories)))
        result = replace(result, categories=categories)
    return result


def _tidied(text: Text, values: Mapping[str, str], start: Mapping[str, str], sanitize: bool) -> Text:
    """The rewritten fields made what normalize would have made them: content sanitized again when
    a ``replace`` put text into it (a rule can never bring script back; ``remove`` and
    ``strip_params`` only take away from sanitized markup, and cost half as much without it), title
    and author plain text (an emptied title falls back to the one derived from the content), the
    link an absolute http(s) URL or none."""
    from feeds import normalize  # the sanitizer; imported here as normalize imports the model too

    content = values["content"]
    if sanitize and content != start["content"]:
        content = normalize.clean_html(content, values["link"] or start["link"] or "")
    title = text.title
    if values["title"] != start["title"]:
        title = normalize.capped(normalize.plain_text(values["title"]))
        if not title:
            title = normalize.title_from_text(normalize.plain_text(content))
    author = text.author
    if values["author"] != start["author"]:
        author = normalize.capped(normalize.plain_text(values["author"])) or None
    link = text.link
    if values["link"] != start["link"]:
        link = values["link"].strip() or None
        if link is not None and (len(link) > normalize.LINK_MAX or not _HTTP_URL.match(link)):
            link = None
    return Text(title, link, content, author, text.tags, text.categories)


_HTTP_URL = re.compile(r"https?://[^\s/?#]+", re.IGNORECASE)


_WRAPPER = "feeds-fragment"


def remove_selected(content: str, selector: CSSSelector) -> str:
    """The content without the elements the selector matches (their tails stay); unchanged, byte for
    byte, when nothing matches."""
    import lxml.html
    from lxml import etree

    if not content.strip():
        return content
    # Wrapped in an element no selector names by tag (``div > p`` must not match a top-level p) and
    # serialized whole, then unwrapped: one parse and one serialization per copy.
    try:
        document = etree.fromstring(f"<{_WRAPPER}>{content}</{_WRAPPER}>", lxml.html.html_parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return content
    root = document.find(f"body/{_WRAPPER}") if document is not None else None
    if root is None:  # markup the parser placed elsewhere (it never is, after the sanitizer)
        return content
    found = [element for element in selector(root) if element is not root]
    if not found:
        return content
    for element in found:
        if element.getparent() is not None:  # not already removed with an ancestor
            element.drop_tree()
    markup = etree.tostring(root, encoding="unicode", method="html", with_tail=False)
    start, end = f"<{_WRAPPER}>", f"</{_WRAPPER}>"
    if not (markup.startswith(start) and markup.endswith(end)):
        return content
    return str(markup[len(start) : -len(end)])


def strip_query(url: str, names: Pattern) -> str:
    """The URL without the query parameters whose names match; the rest kept as they were written."""
    address, hash_mark, fragment = url.partition("#")  # a "?" after the "#" is the fragment's
    head, mark, query = address.partition("?")
    if not mark:
        return url
    kept = [part for part in query.split("&") if part and not names.search(_param_name(part))]
    if len(kept) == len([part for part in query.split("&") if part]):
        return url
    rebuilt = head + ("?" + "&".join(kept) if kept else "")
    return rebuilt + hash_mark + fragment


def _param_name(part: str) -> str:
    from urllib.parse import unquote_plus

    return unquote_plus(part.partition("=")[0])


# URL attributes as the sanitizer (and lxml, after ``remove``) writes them: one space before the
# name, double quotes, "&" as "&amp;"; only those with a query.
_URL_ATTRIBUTE = re.compile(r'( (?:href|src|cite|poster)=")([^"?]*\?[^"]*)(")')


def strip_content_urls(content: str, names: Pattern) -> str:
    """``strip_query`` on every link and image URL in sanitized content."""
    if "?" not in content:
        return content

    def stripped(match: re.Match[str]) -> str:
        url = html.unescape(match.group(2))
        new = strip_query(url, names)
        if new == url:
            return match.group(0)
        return f"{match.group(1)}{html.escape(new, quote=True)}{match.group(3)}"

    return _URL_ATTRIBUTE.sub(stripped, content)


# ---- showing a change -----------------------------------------------------------------------------


def excerpt(before: str, after: str, width: int = 40) -> tuple[str, str]:
    """Short before/after of a changed text: what differs, with a little context either side."""
    start = 0
    limit = min(len(before), len(after))
    while start < limit and before[start] == after[start]:
        start += 1
    end = 0
    while end < limit - start and before[-1 - end] == after[-1 - end]:
        end += 1
    context = 12
    lead = max(0, start - context)

    def cut(text: str) -> str:
        middle = text[lead : len(text) - max(0, end - context)]
        if len(middle) > width:
            middle = middle[: width - 1] + "…"
        prefix = "…" if lead else ""
        suffix = "…" if end > context else ""
        return f"{prefix}{middle}{suffix}".replace("\n", "⏎")

    return cut(before), cut(after)


# ---- a dry run: ``feeds rules test`` ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Trial:
    """What the rules would do to one stored copy, from its text as sent."""

    key: str
    source: str
    item_id: str
    verdict: Verdict

    @property
    def action(self) -> str:
        if self.verdict.dropped_by is not None:
            return "dropped"
        return "changed" if self.verdict.changes else "kept"

    @property
    def rule(self) -> str | None:
        """The rule that dropped the copy, else the first that changed it."""
        return self.verdict.dropped_by or next(iter(self.verdict.rules), None)

    def to_json(self) -> dict[str, object]:
        changes = []
        for change in self.verdict.changes:
            before, after = excerpt(change.before, change.after)
            changes.append({"rule": change.rule, "field": change.field, "before": before, "after": after})
        return {
            "key": self.key,
            "source": self.source,
            "item_id": self.item_id,
            "action": self.action,
            "rule": self.rule,
            "rules": list(self.verdict.rules),
            "reason": self.verdict.why or None,
            "changes": changes,
        }

    def lines(self) -> list[str]:
        head = f"{self.action:<8} {self.key}  {self.source}"
        if self.action == "kept":
            return [head]
        if self.action == "dropped":
            return [f"{head}  by {self.rule}: {self.verdict.why}"]
        out = [f"{head}  by {', '.join(self.verdict.rules)}"]
        for change in self.verdict.changes:
            before, after = excerpt(change.before, change.after)
            out.append(f"    {change.field} ({change.rule}): {before!r} → {after!r}")
        return out


def trial(rules: RuleSet, key: str, source: str, item_id: str, text: Text) -> Trial:
    return Trial(key, source, item_id, rules.apply(source, text))


@dataclass
class TrialTally:
    """Totals of a dry run, by action, by rule and by source."""

    actions: dict[str, int] = field(default_factory=lambda: {"kept": 0, "dropped": 0, "changed": 0})
    by_rule: dict[str, dict[str, int]] = field(default_factory=dict)
    by_source: dict[str, list[int]] = field(default_factory=dict)  # [copies, dropped]

    def add(self, trial: Trial) -> None:
        self.actions[trial.action] += 1
        counts = self.by_source.setdefault(trial.source, [0, 0])
        counts[0] += 1
        counts[1] += trial.action == "dropped"
        if trial.verdict.dropped_by is not None:
            self._count(trial.verdict.dropped_by, "dropped")
        for name in dict.fromkeys(change.rule for change in trial.verdict.changes):
            self._count(name, "changed")

    def _count(self, rule: str, action: str) -> None:
        counts = self.by_rule.setdefault(rule, {"dropped": 0, "changed": 0})
        counts[action] += 1

    def lines(self, rules: RuleSet) -> list[str]:
        total = sum(self.actions.values())
        out = [
            f"{total} cop{'y' if total == 1 else 'ies'}: {self.actions['kept']} kept, "
            f"{self.actions['dropped']} dropped, {self.actions['changed']} changed"
        ]
        for rule in rules.rules:
            counts = self.by_rule.get(rule.label, {"dropped": 0, "changed": 0})
            out.append(f"rule {rule.label}: {counts['dropped']} dropped, {counts['changed']} changed")
        for source, (copies, dropped) in sorted(self.by_source.items()):
            if copies and dropped == copies:
                out.append(f"warning: every copy of source {source} ({copies}) would be dropped")
        return out


def from_config(config: Config) -> RuleSet:
    """The config's rules, compiled (once per process for the same rules): the categories a rule
    adds are resolved as the config names them, so the spec holds their slugs."""
    if not config.rules:
        return NO_RULES
    from feeds.slugs import CategoryResolver

    resolver = CategoryResolver(config.categories)
    specs = []
    added: dict[str, Category] = {}
    for rule in config.rules:
        spec = rule.spec()
        if "add_categories" in spec:
            found = [resolver.resolve(name) for name in spec["add_categories"]]
            spec["add_categories"] = [category.slug for category in found]
            added.update((category.slug, category) for category in found)
        specs.append(spec)
    return _compiled_cached(_spec_json(specs), tuple(added[slug] for slug in sorted(added)))
