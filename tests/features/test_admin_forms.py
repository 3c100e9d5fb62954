"""The Django admin stays usable on a full database: no add form lists a growing table in a
dropdown (foreign keys are entered by id), and the admin index names every table in plain
English."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from features.models import Activation, Explanation, List, SavedSearch
from neuronpedia_site.models import User
from tests.support.factories import make_feature, make_model, make_source

pytestmark = pytest.mark.django_db

ROWS = 300  # of every table that grows with use


@pytest.fixture
def crowded() -> None:
    """ROWS activations, explanations, users, lists and saved searches."""
    model = make_model("gpt2-small")
    feature = make_feature(make_source(model, "6-res-jb"), 0)
    where = {"model_id": model.id, "layer": feature.layer, "index": feature.index}
    users = User.objects.bulk_create(User(username=f"user-{i}") for i in range(ROWS))
    Activation.objects.bulk_create(
        Activation(
            **where,
            tokens=["a", "b"],
            values=[0.0, i],
            max_value=i,
            max_value_token_index=1,
            min_value=0.0,
        )  # fmt: skip
        for i in range(ROWS)
    )
    Explanation.objects.bulk_create(
        Explanation(**where, description=f"explanation {i}") for i in range(ROWS)
    )
    List.objects.bulk_create(List(name=f"list {i}", user=users[i]) for i in range(ROWS))
    SavedSearch.objects.bulk_create(SavedSearch(query=f"q{i}", model=model) for i in range(ROWS))


def test_no_add_form_lists_a_growing_table(crowded: None, admin_account: Any) -> None:
    client = Client()
    client.force_login(admin_account.user)
    problems, checked = [], 0
    for model in admin.site._registry:
        meta = model._meta
        response = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        if response.status_code == 403:  # read-only admins (import jobs, steer outputs)
            continue
        assert response.status_code == 200, meta.label
        checked += 1
        html = response.content.decode()
        options = [s.count("<option") for s in re.findall(r"<select.*?</select>", html, re.S)]
        # ROWS or more options: the dropdown lists a crowded table (permissions are fewer)
        if max(options, default=0) >= ROWS or len(html) > 100_000:
            problems.append(f"{meta.label}: {len(html):,} bytes, dropdowns of {options} rows")
    assert checked > 20
    assert problems == []


def test_the_activation_forms_take_ids(crowded: None, admin_account: Any) -> None:
    client = Client()
    client.force_login(admin_account.user)
    html = client.get("/admin/features/listsonactivations/add/").content.decode()
    for field in ("activation", "list"):
        assert re.search(rf'<input [^>]*name="{field}"[^>]*vForeignKeyRawIdAdminField', html)


def test_the_admin_index_names_read_well(admin_account: Any) -> None:
    client = Client()
    client.force_login(admin_account.user)
    html = client.get("/admin/").content.decode()
    for name in (
        "Activations in lists",
        "Features in lists",
        "Saved searches",
        "Activations of saved searches",
        "Inference hosts of sources",
    ):
        assert f">{name}<" in html
    for model in admin.site._registry:
        plural = str(model._meta.verbose_name_plural)
        assert not re.search(r"(ss|chs|shs|xs|[^aeiou]ys)$", plural), plural
