"""Helpers for reading generated output back: HTML parsed into elements, links resolved."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from digest.pipeline import BuildReport, build

VOID = {"meta", "link", "br", "img", "hr", "input", "col", "source", "wbr", "area", "base"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    text: str = ""
    children: list[Element] = field(default_factory=list)


class Tree(HTMLParser):
    """A small DOM: every element with its attributes and text, and a check that tags nest."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]
        self.all: list[Element] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        self.all.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        self.all.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if self.stack[-1].tag != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1].tag}>")
            while len(self.stack) > 1 and self.stack[-1].tag != tag:
                self.stack.pop()
        if len(self.stack) > 1:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        for element in self.stack[1:]:
            element.text += data

    def find(self, tag: str, **attrs: str) -> list[Element]:
        return [
            e for e in self.all
            if e.tag == tag and all(e.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]  # fmt: skip


def live_scripts(path: str, tree: Tree) -> list[Element]:
    """The scripts of a page, but the search page's own: one external ``search.js`` (a file of
    digest's, with no text of the input in it) and no inline code."""
    return [
        s for s in tree.find("script")
        if not (path.endswith("search.html") and s.attrs.get("src") == "search.js"
                and not s.text.strip())
    ]  # fmt: skip


def parse_html(data: bytes | str) -> Tree:
    tree = Tree()
    tree.feed(data.decode() if isinstance(data, bytes) else data)
    tree.close()
    return tree


def build_project(
    project: Path, today: dt.date = dt.date(2026, 11, 23), **kw: object
) -> BuildReport:
    from digest.config import load_config

    return build(load_config(project / "digest.yaml"), today, **kw)  # type: ignore[arg-type]
