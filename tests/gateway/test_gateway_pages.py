"""The web chat page, policy pages (full text, anchors, validity, interpretations) and 404s."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from gateway.content.library import ContentLibrary

HTML = {"accept": "text/html"}


def _doc_id(library: ContentLibrary, short_title: str) -> str:
    return next(d.doc_id for d in library.documents.values() if d.short_title == short_title)


def test_chat_page_is_accessible_and_self_contained(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="zh-CN">' in html
    assert 'aria-live="polite"' in html
    assert re.search(r'<label for="question">[^<]+</label>', html) and 'id="question"' in html
    assert '<button type="submit" id="send">发送</button>' in html
    assert 'role="status"' in html
    assert 'maxlength="1000"' in html
    assert "http://" not in html.replace('href="tel:', "") and "https://" not in html  # no CDN
    assert "<script>" not in html  # no inline script (CSP: script-src 'self')
    assert "default-src 'self'" in response.headers["content-security-policy"]
    for asset in ("/static/js/chat.js", "/static/css/app.css"):
        assert asset in html
        assert client.get(asset).status_code == 200
    js = client.get("/static/js/chat.js").text
    assert "localStorage" in js and "/api/chat" in js and ".innerHTML" not in js


def test_policy_page_renders_every_article_with_an_anchor(client: TestClient, library: ContentLibrary) -> None:
    doc_id = _doc_id(library, "劳动合同法")
    response = client.get(f"/policy/{doc_id}", headers=HTML)
    assert response.status_code == 200
    html = response.text
    assert "<h1>中华人民共和国劳动合同法</h1>" in html
    assert 'id="第三十九条"' in html and 'href="#第三十九条"' in html
    assert "在试用期间被证明不符合录用条件的" in html
    assert html.count('class="article"') == len(library.units[doc_id])
    assert "全国人民代表大会常务委员会" in html and "2012-12-28" in html
    assert 'class="badge badge-current">现行有效' in html
    assert "第四章 劳动合同的解除和终止" in html


def test_policy_page_lists_the_interpretations_that_cite_it(client: TestClient, library: ContentLibrary) -> None:
    doc_id = _doc_id(library, "社会保险法")
    html = client.get(f"/policy/{doc_id}").text
    assert "相关政策解读" in html
    assert 'href="/interpretation/unemp-eligibility"' in html
    assert 'href="#第四十五条"' in html


def test_expired_policy_is_clearly_marked_with_its_replacement(client: TestClient, library: ContentLibrary) -> None:
    expired = next(
        d for d in library.documents.values() if d.validity == "已失效" and library.replacement_of(d) is not None
    )
    replacement = library.replacement_of(expired)
    assert replacement is not None
    html = client.get(f"/policy/{expired.doc_id}").text
    assert "本文件已失效" in html
    assert 'class="badge badge-expired">已失效' in html
    assert f'href="/policy/{replacement.doc_id}"' in html


def test_interpretation_page_links_to_the_cited_articles(client: TestClient, library: ContentLibrary) -> None:
    response = client.get("/interpretation/unemp-eligibility", headers=HTML)
    assert response.status_code == 200
    html = response.text
    entry = library.interpretations["unemp-eligibility"]
    assert entry.question in html
    doc_id = _doc_id(library, "社会保险法")
    assert f'href="/policy/{doc_id}#第四十五条"' in html
    assert "失业保险金申领发放办法" in html  # an external reference, named but not linked
    assert "政策依据" in html


def test_unknown_policy_and_interpretation_are_404_in_chinese(client: TestClient) -> None:
    for url in ("/policy/d000000000000", "/interpretation/no-such-entry"):
        response = client.get(url, headers=HTML)
        assert response.status_code == 404
        assert "没有找到" in response.text
    api = client.get("/api/no-such-endpoint")
    assert api.status_code == 404 and api.json() == {"detail": "页面不存在。"}
