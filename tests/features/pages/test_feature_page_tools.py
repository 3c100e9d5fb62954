"""The feature page's tools: previous/next, Steer, copy, bookmark and votes (the viewer's own
state), source metadata, autointerp controls, and histograms with labelled axes."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from features.models import Bookmark, ExplanationScore, Source, Vote
from tests.support.accounts import Account
from tests.support.pages import logged_in
from tests.support.seed import Site

pytestmark = pytest.mark.django_db
URL = "/gpt2-small/6-res-jb/7"


def _page(client: Client | None = None, url: str = URL) -> str:
    response = (client or Client()).get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_previous_and_next_link_the_neighbouring_features(site: Site) -> None:
    page = _page()
    assert 'id="prev-feature" href="/gpt2-small/6-res-jb/6"' in page
    assert 'id="next-feature" href="/gpt2-small/6-res-jb/8"' in page
    first = _page(url="/gpt2-small/6-res-jb/0")  # no feature -1
    assert 'id="prev-feature"' not in first and 'href="/gpt2-small/6-res-jb/1"' in first


def test_steer_search_and_copy_actions(site: Site) -> None:
    page = _page()
    assert 'id="steer-button" href="/gpt2-small/steer?source=6-res-jb&amp;index=7"' in page
    assert 'data-copy="id" data-value="gpt2-small@6-res-jb:7"' in page
    assert 'data-copy="link" data-value="/gpt2-small/6-res-jb/7"' in page
    assert 'data-copy="json" data-value="/api/feature/gpt2-small/6-res-jb/7"' in page
    Source.objects.filter(source_id="6-res-jb").update(inference_enabled=True)
    assert 'id="infer-link" href="/gpt2-small/search"' in _page()


def test_source_metadata_comes_from_the_saelens_config(site: Site) -> None:
    Source.objects.filter(source_id="6-res-jb").update(
        saelens_config={
            "architecture": "topk",
            "d_sae": 24576,
            "d_in": 768,
            "dtype": "float32",
            "activation_fn_kwargs": {"k": 32},
            "metadata": {"hook_name": "blocks.6.hook_resid_pre"},
        },
        saelens_release="gpt2-small-res-jb",
        hf_repo_id="jbloom/GPT2-Small-SAEs-Reformatted",
    )
    meta = re.search(r'<dl class="meta">(.*?)</dl>', _page(), re.S)
    assert meta is not None
    pairs = re.findall(r"<dt>([^<]*)</dt><dd>(?:<code>)?([^<]*)", meta.group(1))
    assert pairs[:7] == [
        ("Hook point", "blocks.6.hook_resid_pre"),
        ("Architecture", "topk"),
        ("d_sae", "24576"),
        ("d_in", "768"),
        ("k", "32"),
        ("dtype", "float32"),
        ("SAELens release", "gpt2-small-res-jb"),
    ]
    assert ("Hugging Face", "jbloom/GPT2-Small-SAEs-Reformatted") in pairs


def test_histograms_have_labelled_axes_and_ticks(site: Site) -> None:
    page = _page()
    assert "max bin" not in page
    assert "Activation value →" in page and "↑ Tokens" in page
    assert "Logit weight →" in page and "↑ Vocabulary tokens" in page
    ticks = re.findall(r'<text class="tick x"[^>]*>([^<]*)</text>', page)
    # activation bins 0.5 .. 3.5, then logit bins -0.4 .. 0.8
    assert ticks == [
        "0.5",
        "1",
        "1.5",
        "2",
        "2.5",
        "3",
        "3.5",
        "-0.4",
        "-0.2",
        "0",
        "0.2",
        "0.4",
        "0.6",
        "0.8",
    ]
    assert re.findall(r'<text class="tick y"[^>]*>([^<]*)</text>', page)[:3] == ["0", "10", "20"]


def test_the_bookmark_and_votes_show_the_viewers_state(
    site: Site, alice: Account, bob: Account
) -> None:
    found = re.search(r'data-explanation="([^"]+)"', _page())
    assert found is not None
    explanation_id = found.group(1)
    anonymous = _page()
    assert 'id="bookmark"' not in anonymous and 'class="secondary vote"' not in anonymous
    assert "to vote, generate or score explanations" in anonymous
    Bookmark.objects.create(user=alice.user, model_id="gpt2-small", layer="6-res-jb", index="7")
    Vote.objects.create(voter=bob.user, explanation_id=explanation_id)
    mine = _page(logged_in(alice))
    assert 'id="bookmark" aria-pressed="true">★ Bookmarked' in mine
    assert f'data-id="{explanation_id}" aria-pressed="false"' in mine
    assert '▲ <span class="vote-count">1</span>' in mine
    theirs = _page(logged_in(bob))
    assert 'id="bookmark" aria-pressed="false">☆ Bookmark' in theirs
    assert f'data-id="{explanation_id}" aria-pressed="true"' in theirs


def test_logged_in_users_get_generate_and_score_controls(site: Site, alice: Account) -> None:
    page = _page(logged_in(alice))
    generate = page[page.index('<form id="generate-form"') :]
    types = re.findall(r'<option value="([^"]+)">', generate[: generate.index("</select>")])
    assert "oai_token-act-pair" in types and "np_offline-max-act" not in types
    assert '<option value="gpt-4o-mini">' in generate
    assert '<form class="score-form inline-form"' in page
    assert 'data-embedding="eleuther_embedding"' in page
    assert 'id="generate-form"' not in _page()


def test_a_scores_breakdown_lists_each_example(site: Site) -> None:
    score = ExplanationScore.objects.get()
    score.json_details = (
        '{"top": [{"tokens": ["A", " T-rex"], "match": true}],'
        ' "zero": [{"tokens": ["a", " cat"], "match": true}], "decoy": []}'
    )
    score.save()
    page = _page()
    rows = re.findall(
        r'<tr class="(right|wrong)"><td>(\w+)</td><td><code[^>]*>([^<]*)</code></td>'
        r"<td>([^<]*)</td><td>([^<]*)</td></tr>",
        page,
    )
    assert rows == [
        ("right", "top", "A T-rex", "match", "match ✓"),
        ("wrong", "zero", "a cat", "no match", "match ✗"),
    ]
