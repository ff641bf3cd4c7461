from __future__ import annotations

import datetime as dt

import pytest

from digest.errors import SourceError
from digest.sources.page import resolve_month_day
from digest.text import fix_artefacts

from .conftest import FIXTURES, PAGES, TODAY, read

SAMPLES = {"daily-papers-aug05.txt": (70, dt.date(2026, 8, 5)),
           "daily-papers-aug12.txt": (49, dt.date(2026, 8, 12)),
           "daily-papers-mar13.txt": (63, dt.date(2026, 3, 13))}  # fmt: skip


def paragraphs(name: str) -> list[str]:
    text = (PAGES / name).read_text(encoding="utf-8")
    return [p.strip() for p in text.split("\n\n") if p.strip()]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_blank_line_layout_samples(name: str) -> None:
    count, date = SAMPLES[name]
    papers, problems = read((PAGES / name).read_bytes(), filename=name)
    assert [p for p in problems if p.kind != "warning"] == []
    assert len(papers) == count
    assert {p.date for p in papers} == {date}
    # Every title is one of the page's paragraphs, followed by its abstract.
    paras = paragraphs(name)
    first = paras.index(papers[0].title)
    assert paras[first + 1].startswith(papers[0].abstract[:80])
    assert papers[-1].title == paras[-2]
    assert all(p.id.startswith("title:") and p.url is None for p in papers)


def test_header_lines_never_become_papers() -> None:
    papers, _ = read((PAGES / "daily-papers-mar13.txt").read_bytes())
    titles = {p.title for p in papers}
    assert not titles & {
        "new",
        "Subscribe",
        "Daily Papers",
        "byAK and the research community",
        "Mar 13",
    }


def test_dense_layout_with_glued_subscribe() -> None:
    data = (FIXTURES / "dense-page.txt").read_bytes()
    papers, problems = read(data, filename="dense-page.txt", date=dt.date(2026, 8, 12))
    paras = paragraphs("daily-papers-aug12.txt")[6:16]
    assert [p.title for p in papers] == paras[0::2]
    assert [p.abstract for p in papers] == [fix_artefacts(a) for a in paras[1::2]]
    assert "10\u223c100\u00d7 speed-up" in papers[1].abstract
    assert papers[0].title.startswith("Meta-Learning")  # "Subscribe" removed
    assert {p.date for p in papers} == {dt.date(2026, 8, 12)}
    assert [p.message for p in problems if p.kind == "warning"] == [
        "page has no date line; using the given date, 2026-08-12"
    ]


def test_dense_and_blank_layouts_give_the_same_papers() -> None:
    dense, _ = read((FIXTURES / "dense-page.txt").read_bytes(), date=dt.date(2026, 8, 12))
    full, _ = read((PAGES / "daily-papers-aug12.txt").read_bytes())
    assert [(p.id, p.title, p.abstract) for p in dense] == [
        (p.id, p.title, p.abstract) for p in full[:5]
    ]


def test_crlf_bom_nbsp_trailing_whitespace_and_header_variants() -> None:
    clean = (PAGES / "daily-papers-aug12.txt").read_text(encoding="utf-8")
    messy = clean.replace(
        "Get trending papers in your email inbox!",
        "Get trending papers in your email inbox once a day!",
    )
    messy = messy.replace("byAK and the research community", "by AK and the research community ")
    messy = "\ufeff" + messy.replace("Meta-Learning for", "Meta-Learning\u00a0for").replace(
        "\n", "  \r\n"
    )
    papers, problems = read(messy.encode("utf-8"))
    expected, _ = read(clean.encode("utf-8"))
    assert [p for p in problems if p.kind != "warning"] == []
    assert [(p.id, p.title, p.abstract, p.date) for p in papers] == [
        (p.id, p.title, p.abstract, p.date) for p in expected
    ]


def test_windows_1252_page_is_read_with_a_warning() -> None:
    data = "new\n\nSubscribe\n\nNov 20\n\nCaf\u00e9 Models\n\nWe study caf\u00e9 models. They work. Really.\n".encode(
        "cp1252"
    )
    papers, problems = read(data)
    assert papers[0].title == "Caf\u00e9 Models"
    assert any("Windows-1252" in p.message for p in problems)


def test_scraping_artefacts_fixed_and_text_otherwise_faithful() -> None:
    papers, _ = read((PAGES / "daily-papers-mar13.txt").read_bytes())
    first = papers[0].abstract
    assert "run\u2014each" in first and "x2014" not in first
    assert "32\u00d7 over-trained" in first and "300\u00d7 less compute" in first
    everything = " ".join(p.abstract for p in papers)
    assert "sometimes" in everything  # ordinary words untouched
    assert "\\textbf" not in everything or "Evo\\textbf{Lved" in everything  # LaTeX kept as scraped


@pytest.mark.parametrize(
    ("month", "day", "today", "expected"),
    [
        (3, 13, dt.date(2026, 11, 23), dt.date(2026, 3, 13)),
        (11, 23, dt.date(2026, 11, 23), dt.date(2026, 11, 23)),
        (12, 31, dt.date(2026, 11, 23), dt.date(2025, 12, 31)),  # not after today: last year
        (2, 29, dt.date(2026, 11, 23), dt.date(2024, 2, 29)),  # the last leap year
        (1, 1, dt.date(2027, 1, 1), dt.date(2027, 1, 1)),
        # a page a few days ahead of today (time zones, a clock behind) is this year's
        (1, 3, dt.date(2027, 1, 2), dt.date(2027, 1, 3)),
        (1, 5, dt.date(2027, 1, 2), dt.date(2027, 1, 5)),
        (1, 6, dt.date(2027, 1, 2), dt.date(2026, 1, 6)),  # past the few days: last year's
    ],
)
def test_year_less_dates(month: int, day: int, today: dt.date, expected: dt.date) -> None:
    assert resolve_month_day(month, day, today) == expected


def test_date_line_resolves_against_today() -> None:
    page = b"new\n\nSubscribe\n\nDec 30\n\nA Title\n\nAn abstract. It has sentences.\n"
    papers, _ = read(page, today=dt.date(2027, 1, 2))
    assert papers[0].date == dt.date(2026, 12, 30)


@pytest.mark.parametrize(
    ("line", "today", "date", "warned"),
    [
        (b"Feb 29", dt.date(2026, 11, 23), dt.date(2024, 2, 29), "the last Feb 29 before today"),
        (b"Feb 29", dt.date(2028, 3, 1), dt.date(2028, 2, 29), None),  # this year's
        (b"Mar 13, 2024", dt.date(2026, 11, 23), dt.date(2024, 3, 13), "more than a year before"),
        (b"Nov 20, 2026", dt.date(2026, 11, 23), dt.date(2026, 11, 20), None),
        (b"Jan 3", dt.date(2027, 1, 2), dt.date(2027, 1, 3), None),
    ],
)
def test_a_date_a_year_or_more_back_is_said(
    line: bytes, today: dt.date, date: dt.date, warned: str | None
) -> None:
    page = b"new\n\n" + line + b"\n\nA Title\n\nAn abstract. It has sentences.\n"
    papers, problems = read(page, today=today)
    assert [p.date for p in papers] == [date]
    warnings = [(p.message, p.line) for p in problems if p.kind == "warning"]
    if warned is None:
        assert warnings == []
    else:
        [(message, line_no)] = warnings
        assert warned in message and str(date) in message and line_no == 3


@pytest.mark.parametrize(
    ("kwargs", "filename", "expected", "how"),
    [
        (
            {"date": dt.date(2026, 1, 2)},
            "daily-2026-05-06.txt",
            dt.date(2026, 1, 2),
            "the given date",
        ),
        ({}, "daily-2026-05-06.txt", dt.date(2026, 5, 6), "the date in its file name"),
        (
            {"file_date": dt.date(2026, 7, 8)},
            "daily.txt",
            dt.date(2026, 7, 8),
            "the file's modification date",
        ),
    ],
)
def test_undated_page_fallbacks_are_announced(
    kwargs: dict, filename: str, expected: dt.date, how: str
) -> None:
    page = b"Get trending papers in your email inbox!\nSubscribeA Title\nAn abstract that goes on. And on.\n"
    papers, problems = read(page, filename=filename, **kwargs)
    assert papers[0].date == expected
    assert f"using {how}, {expected.isoformat()}" in problems[0].message


def test_dated_page_keeps_its_own_date_even_with_a_given_date() -> None:
    papers, _ = read((PAGES / "daily-papers-aug05.txt").read_bytes(), date=dt.date(2020, 1, 1))
    assert papers[0].date == dt.date(2026, 8, 5)


def test_truncated_page_drops_the_title_without_abstract() -> None:
    data = (PAGES / "daily-papers-aug12.txt").read_bytes()
    cut = data[: data.index(b"NeuralStagger") + len(b"NeuralStagger: Accelerating")]
    papers, problems = read(cut)
    assert len(papers) == 1
    assert [p.kind for p in problems] == ["dropped"]
    assert "title without an abstract" in problems[0].message and problems[0].line == 17


def test_missing_abstract_in_the_middle_resyncs() -> None:
    page = (
        "new\n\nSubscribe\n\nNov 20\n\nFirst Title\n\nFirst abstract. It has two sentences. Three.\n\n"
        "Orphan Title\n\nSecond Title\n\nSecond abstract. It also has sentences. Yes.\n"
    )
    papers, problems = read(page.encode())
    assert [p.title for p in papers] == ["First Title", "Second Title"]
    assert problems[0].kind == "dropped" and "Orphan Title" in problems[0].message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"new\n\nSubscribe\n\nMar 13\n", "no papers found"),
        (b"\x00\x01\x02binary", "binary"),
    ],
)
def test_bad_pages_are_clean_errors(data: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        read(data, fmt="page") if data else read(data)


def test_today_is_the_default_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    papers, _ = read((PAGES / "daily-papers-aug05.txt").read_bytes(), today=TODAY)
    assert papers[0].date.year == TODAY.year
