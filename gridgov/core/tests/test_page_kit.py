"""The page kit's list helpers: the pager keeps a list's filters and moves only the page number."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory

from gridgov.core.pages import list_query


def test_the_list_query_keeps_every_filter_but_the_page():
    request = RequestFactory().get(
        "/orders/", {"state": "open", "overdue": "1", "page": "3", "q": "水管 & 灯"}
    )
    assert list_query(request) == "state=open&overdue=1&q=%E6%B0%B4%E7%AE%A1+%26+%E7%81%AF"


def test_the_pager_links_carry_the_filters_and_load_in_place_when_given_a_target():
    page = Paginator(range(100), 10).get_page(2)
    plain = render_to_string("web/_pager.html", {"page": page, "query": "state=open"})
    assert 'href="?state=open&amp;page=1"' in plain and 'href="?state=open&amp;page=3"' in plain
    assert "hx-get" not in plain
    in_place = render_to_string("web/_pager.html", {"page": page, "query": "", "target": "#list"})
    assert 'href="?page=3" hx-get="?page=3" hx-target="#list" hx-push-url="true"' in in_place
    assert render_to_string("web/_pager.html", {"page": Paginator(range(5), 10).get_page(1)}).strip() == ""


def test_the_one_pager_keeps_the_lists_other_parameters():
    from django.core.paginator import Paginator
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    request = RequestFactory().get("/wishes/", {"category": "elder", "page": "2"})
    page = Paginator(list(range(100)), 10).get_page(2)
    html = render_to_string("web/_pager.html", {"page": page}, request=request)
    assert 'href="?category=elder&amp;page=1"' in html and 'href="?category=elder&amp;page=3"' in html
    html = render_to_string(
        "web/_pager.html", {"page": page, "query": "q=x", "target": "#list"}, request=request
    )
    assert 'hx-get="?q=x&amp;page=3" hx-target="#list"' in html
