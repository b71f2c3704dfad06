"""Full-text search: what a user types finds what they mean; search syntax is just words."""

from __future__ import annotations

import pytest

from core.labelling.search import count_matches, search_documents
from core.store.fulltext import fts_query
from core.store.project import Project
from core.store.schema import Document

TEXTS = {
    1: "Het kabinet stemt over de begroting",
    2: "Café De Zwaan sluit na 80 jaar",
    3: "De Kamer stemde gisteren tegen de motie",
    4: "Ajax wint de klassieker",
}


@pytest.fixture
def news(project: Project) -> Project:
    with project.write() as session:
        for i, t in TEXTS.items():
            session.add(Document(id=i, external_id=str(i), text=t, meta={}, content_hash=str(i)))
    return project


def test_all_words_must_occur(news: Project) -> None:
    assert search_documents(news, "de kamer") == [3]


def test_accents_and_case_are_ignored(news: Project) -> None:
    assert search_documents(news, "CAFE") == [2]


def test_trailing_star_searches_a_prefix(news: Project) -> None:
    assert sorted(search_documents(news, "stem*")) == [1, 3]


def test_quoted_phrase_must_occur_as_written(news: Project) -> None:
    assert search_documents(news, '"de klassieker"') == [4]
    assert search_documents(news, '"klassieker de"') == []


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ('"', []),
        ("AND", []),
        ("a OR", []),
        ("(", []),
        ("-x", []),
        ("NEAR(", []),
        ("*", []),
        ("kabinet)", [1]),  # the word, its bracket ignored
        ("-ajax", [4]),  # no operator: the word
        ('"de', [1, 2, 3, 4]),  # an unmatched quote: the word
        ("kabinet OR ajax", []),  # OR is a word that no document holds, not an operator
        ("de NOT ajax", []),  # so is NOT
        ("NEAR(kabinet begroting)", []),  # and NEAR
    ],
)
def test_fts_syntax_typed_by_accident_is_searched_as_words(
    news: Project, typed: str, found: list[int]
) -> None:
    assert sorted(search_documents(news, typed)) == found
    assert count_matches(news, typed) == len(found)


def test_index_follows_updates_and_deletes(news: Project) -> None:
    with news.write() as session:
        session.get(Document, 4).text = "Feyenoord wint de klassieker"
        session.delete(session.get(Document, 1))
    assert search_documents(news, "ajax") == []
    assert search_documents(news, "feyenoord") == [4]
    assert search_documents(news, "begroting") == []
    assert count_matches(news, "de") == 3


def test_empty_query_matches_nothing(news: Project) -> None:
    assert fts_query("  ") == ""
    assert search_documents(news, "") == []
