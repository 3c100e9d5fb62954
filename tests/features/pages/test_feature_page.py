from __future__ import annotations

import re

import pytest
from django.test import Client

from features.models import Feature, List, SourceSet
from tests.support.accounts import Account
from tests.support.factories import make_activation, make_feature, make_source
from tests.support.pages import logged_in
from tests.support.seed import Site

pytestmark = pytest.mark.django_db
URL = "/gpt2-small/6-res-jb/7"


def _page(client: Client | None = None, url: str = URL) -> str:
    response = (client or Client()).get(url)
    assert response.status_code == 200
    return response.content.decode()


def _examples(page: str) -> list[str]:
    return re.findall(r'<p class="tokens">(.*?)</p>', page, re.S)


def test_tokens_are_shaded_by_value_over_the_feature_max(site: Site) -> None:
    first = _examples(_page())[0]
    # Shading is a class, value / max in 20 steps (the CSP allows no inline style attributes).
    assert '<span class="tok shade-20 max" title="4.000"' in first
    # 0.5 / 4.0 = 0.125: step 2.5, rounded half up as the test box's JavaScript does.
    assert '<span class="tok shade-3" title="0.500" tabindex="0" data-v="0.500"> big' in first
    assert "style=" not in first
    # Zero-valued tokens carry no shading and no tab stop, but still their value on hover.
    assert '<span class="tok" title="0.000">The</span>' in first
    # The second example is shaded against the same (feature-wide) max: 2.0 / 4.0.
    assert "shade-10" in _examples(_page())[1]


def test_examples_show_the_sets_default_range_around_the_max_token(site: Site) -> None:
    first = _examples(_page())[0]  # defaultRange 2 around " dinosaur" (index 2)
    assert re.findall(r">([^<]*)</span>", first) == [
        "The",
        " big",
        " dinosaur",
        " ate",
        " leaves",
        "…",
    ]
    assert "5 later tokens hidden" in first


def test_the_range_control_widens_the_context(site: Site) -> None:
    page = _page(url=URL + "?range=all")
    first = _examples(page)[0]
    assert "hidden" not in first and "Then" in first
    assert '<option value="all" selected>' in page
    first = _examples(_page(url=URL + "?range=0"))[0]
    assert re.findall(r">([^<]*)</span>", first) == ["…", " dinosaur", "…"]


def test_line_breaks_show_as_a_symbol_and_a_break(site: Site) -> None:
    first = _examples(_page(url=URL + "?range=all"))[0]
    assert '<span class="tok brk" title="0.000">↵</span><br>' in first
    SourceSet.objects.filter(name="res-jb").update(default_show_breaks=False)
    first = _examples(_page(url=URL + "?range=all"))[0]
    assert "↵</span><br>" not in first


def test_only_public_activations_are_shown(site: Site) -> None:
    page = _page()
    assert len(_examples(page)) == 2
    assert "hidden-private-example" not in page


def test_it_shows_density_histograms_and_logits(site: Site) -> None:
    page = _page()
    assert '<strong id="density">0.123%</strong>' in page
    assert page.count("<rect ") == 4 + 3
    assert "<title>0.500: 30</title>" in page
    assert 'fill="#c0392b"><title>-0.400: 3</title>' in page  # negative logit bins in red
    assert '<code class="tokentext"> fossils</code></td><td class="num pos">0.910</td>' in page
    assert '<code class="tokentext"> kitten</code></td><td class="num neg">-0.440</td>' in page


def test_it_shows_explanations_best_first_with_scores(site: Site) -> None:
    page = _page()
    assert page.index("dinosaurs and prehistoric animals") < page.index("large animals")
    assert "oai_token-act-pair · gpt-4o-mini" in page
    assert 'recall_alt (gpt-4o-mini)</span> <strong class="score-value">0.734</strong>' in page


def test_similar_features_link_with_their_explanations(site: Site) -> None:
    page = _page()
    assert (
        '<a href="/gpt2-small/6-res-jb/12">6-res-jb · 12</a> <span class="muted">cos 0.620</span> · fossil records'
        in page
    )
    assert 'href="/gpt2-small/6-res-jb/3"' in page
    assert '<a href="/gpt2-small/6-res-jb/7">' not in page  # not itself


def test_it_shows_lists_and_comments(site: Site, alice: Account) -> None:
    page = _page(logged_in(alice))  # the list's owner (others are not shown its id)
    assert f'<a href="/list/{site.list.id}">Dino features</a>' in page
    assert "Fires on sauropods too." in page and "alice" in page


def test_anonymous_visitors_are_asked_to_log_in_to_add_to_a_list(site: Site) -> None:
    page = _page()
    assert 'id="add-to-list"' not in page
    assert 'href="/login?next=/gpt2-small/6-res-jb/7"' in page


def test_logged_in_users_can_add_to_their_lists(site: Site, alice: Account, bob: Account) -> None:
    page = _page(logged_in(alice))
    assert 'id="add-to-list"' in page
    assert f'<option value="{site.list.id}">Dino features</option>' in page
    List.objects.create(name="Bob's", user=bob.user)
    page = _page(logged_in(bob))
    assert "Bob&#x27;s</option>" in page and "Dino features</option>" not in page


def test_logged_in_users_get_a_comment_form_and_visitors_a_log_in_link(
    site: Site, alice: Account
) -> None:
    page = _page()
    assert 'id="comment-form"' not in page
    assert "to comment." in page
    page = _page(logged_in(alice))
    form = re.search(r'<form id="comment-form"[^>]*>', page)
    assert form is not None
    assert 'data-model="gpt2-small"' in form.group(0)
    assert 'data-layer="6-res-jb"' in form.group(0) and 'data-index="7"' in form.group(0)
    assert 'minlength="5" maxlength="1024"' in page


def test_it_has_the_test_your_text_box(site: Site) -> None:
    page = _page()
    assert (
        '<form id="test-form" data-model="gpt2-small" data-source="6-res-jb" data-index="7">'
        in page
    )
    assert '<label for="test-text">' in page
    assert '<div id="test-output" aria-live="polite">' in page
    assert "/static/js/feature.js" in page


def test_a_feature_without_activations_says_so(site: Site) -> None:
    page = _page(url="/gpt2-small/6-res-jb/3")
    assert 'id="no-activations"' in page and "No activations yet." in page
    assert "No explanations yet." in page and "Density not computed." in page


def test_vectors_show_their_owners_examples(site: Site, bob: Account) -> None:
    source = make_source(site.model, "3-neuronpedia-resid-pre", visibility="UNLISTED")
    vector = make_feature(
        source,
        90000001,
        has_vector=True,
        creator=bob.user,
        vector_label="dino direction",
        hook_name="blocks.3.hook_resid_pre",
    )
    make_activation(vector, [0.0, 3.0], ["a", " stegosaurus"], creator=bob.user)
    page = _page(url="/gpt2-small/3-neuronpedia-resid-pre/90000001")
    assert "Steering vector “dino direction” at <code>blocks.3.hook_resid_pre</code>" in page
    assert " stegosaurus" in page


def test_hidden_features_are_404(site: Site, alice: Account, bob: Account) -> None:
    source = make_source(site.model, "2-mine", visibility="PRIVATE", creator=alice.user)
    SourceSet.objects.filter(name="mine").update(creator=alice.user)
    make_feature(source, 1)
    assert Client().get("/gpt2-small/2-mine/1").status_code == 404
    assert logged_in(bob).get("/gpt2-small/2-mine/1").status_code == 404
    assert logged_in(alice).get("/gpt2-small/2-mine/1").status_code == 200


def test_features_of_unlisted_sources_are_reachable_by_url(site: Site) -> None:
    make_feature(site.model.sources.get(source_id="4-res-jb"), 5)
    assert Client().get("/gpt2-small/4-res-jb/5").status_code == 200


def test_missing_features_are_404(site: Site) -> None:
    response = Client().get("/gpt2-small/6-res-jb/99999")
    assert response.status_code == 404
    assert "Not found" in response.content.decode()
    assert Feature.objects.filter(index="99999").count() == 0


def test_the_page_takes_a_fixed_number_of_queries(
    site: Site, alice: Account, django_assert_max_num_queries
) -> None:
    client = logged_in(alice)
    # session + user, the feature (one statement), similar features' explanations, the
    # user's lists, the neighbours, votes, the bookmark, the user's votes, the autointerp
    # choices (3), the header's model
    with django_assert_max_num_queries(14):
        client.get(URL)
