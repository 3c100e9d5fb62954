"""Lists of features: create, fill, edit, read, comment.

Lists have no visibility of their own (as upstream, anyone with the id may read one); the
features in them are filtered by the reader's visibility. Callers pass a `List` the user may
write, found by the view's `_get_rw_list_for_user`, so ownership is decided in one place.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction

from features.access import get_visible_feature
from features.activation_rows import activation_dict
from features.feature_detail import FeatureRef, features_json
from features.models import Activation, List, ListComment, ListsOnActivations, ListsOnNeurons
from features.rows import row_dict
from neuronpedia_site.errors import ApiError
from neuronpedia_site.models import User

ACTS_PER_FEATURE = 3  # top activations shipped with each feature of `get`
MAX_FEATURES_IN_GET = 300  # as upstream: larger lists are cut in `get`


def list_url(list_id: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/list/{list_id}"


def get_list(list_id: str) -> List:
    found = List.objects.filter(id=list_id).select_related("user").first()
    if found is None:
        raise ApiError("List not found.", status=404)
    return found


def list_summary(found: List) -> dict[str, Any]:
    """The List row plus `user{name}` and `url` (what `new` and `new-with-features` return)."""
    return {**row_dict(found), "user": {"name": found.user.username}, "url": list_url(found.id)}


def new_list(user: User, name: str, description: str, test_text: str | None) -> List:
    name = name.strip()
    if not name:
        raise ApiError("name: Name must not be empty.")
    return List.objects.create(
        user=user, name=name, description=description, default_test_text=test_text or None
    )


def add_features(
    found: List, user: User, features: Iterable[dict[str, Any]], *, skip_hidden: bool = False
) -> list[dict[str, Any]]:
    """Add features to the list; returns the rows added (features already in it are skipped).

    A missing or hidden feature is a 404, or is skipped with `skip_hidden` (what
    `new-with-features` does upstream).
    """
    rows = []
    seen = set(ListsOnNeurons.objects.filter(list=found).values_list("model_id", "layer", "index"))
    for item in features:
        key = (item["modelId"], item["layer"], item["index"])
        try:
            get_visible_feature(*key, user)
        except ApiError:
            if skip_hidden:
                continue
            raise
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            ListsOnNeurons(
                list=found,
                model_id=key[0],
                layer=key[1],
                index=key[2],
                description=item.get("description") or "",
                user=user,
            )
        )
    ListsOnNeurons.objects.bulk_create(rows)
    return [row_dict(r) for r in rows]


def _entry(found: List, model_id: str, layer: str, index: str) -> ListsOnNeurons:
    entry = ListsOnNeurons.objects.filter(
        list=found, model_id=model_id, layer=layer, index=index
    ).first()
    if entry is None:
        raise ApiError("That feature is not in this list.", status=404)
    return entry


@transaction.atomic
def remove_feature(found: List, model_id: str, layer: str, index: str) -> dict[str, Any]:
    """Remove a feature, and the list's test-text activation of it; returns the removed row."""
    entry = _entry(found, model_id, layer, index)
    body = row_dict(entry)
    Activation.objects.filter(
        pk__in=ListsOnActivations.objects.filter(list=found).values("activation_id"),
        model_id=model_id,
        layer=layer,
        index=index,
    ).delete()
    entry.delete()
    return body


def edit_feature(
    found: List, model_id: str, layer: str, index: str, description: str | None
) -> dict[str, Any]:
    entry = _entry(found, model_id, layer, index)
    entry.description = description
    entry.save(update_fields=["description"])
    return row_dict(entry)


def update_list(
    found: List, name: str, description: str, default_test_text: str | None
) -> dict[str, Any]:
    """Rename, describe, and set the test text (whose activations the pages compute)."""
    name = name.strip()
    if not name:
        raise ApiError("name: Name length invalid.")
    found.name = name
    found.description = description
    found.default_test_text = default_test_text or None
    found.save(update_fields=["name", "description", "default_test_text", "updated_at"])
    return row_dict(found)


def delete_list(found: List) -> None:
    found.delete()  # list items, activation links and comments cascade


def lists_of(user: User) -> list[dict[str, Any]]:
    """`/api/list/list`: the user's lists, oldest first (a JSON array, as the client expects)."""
    return [row_dict(found) for found in List.objects.filter(user=user).order_by("created_at")]


def list_detail(found: List, user: User | None) -> dict[str, Any]:
    """`/api/list/get`: the list with its features, test-text activations and comments.

    `neurons`: `[{...ListsOnNeurons, neuron: {...Neuron, explanations, activations(top 3)}}]`
    in the order they were added, only features the reader may see.
    """
    entries = list(
        ListsOnNeurons.objects.filter(list=found).order_by("added_at", "key")[:MAX_FEATURES_IN_GET]
    )
    refs = [FeatureRef(e.model_id, e.layer, e.index, max_acts=ACTS_PER_FEATURE) for e in entries]
    neurons = {
        (n["modelId"], n["layer"], n["index"]): n for n in json.loads(features_json(refs, user))
    }
    visible = [e for e in entries if (e.model_id, e.layer, e.index) in neurons]
    links = ListsOnActivations.objects.filter(list=found).select_related("activation")
    comments = (
        ListComment.objects.filter(list=found).select_related("user").order_by("created_at", "id")
    )
    return {
        **row_dict(found),
        "user": {"name": found.user.username},
        "url": list_url(found.id),
        "neurons": [
            {**row_dict(e), "neuron": neurons[(e.model_id, e.layer, e.index)]} for e in visible
        ],
        "activations": [
            {**row_dict(link), "activation": activation_dict(link.activation)}
            for link in links
            if (link.activation.model_id, link.activation.layer, link.activation.index) in neurons
        ],
        "comments": [{**row_dict(c), "user": {"name": c.user.username}} for c in comments],
    }


def add_comment(found: List, user: User, text: str) -> dict[str, Any]:
    text = text.strip()
    if len(text) < 2:
        raise ApiError("text: Too short.")
    return row_dict(ListComment.objects.create(list=found, user=user, text=text))


def delete_comment(comment_id: str, user: User) -> dict[str, int]:
    """Authors delete their own comments; returns `{count}` (0 when it was not theirs)."""
    count, _ = ListComment.objects.filter(id=comment_id, user=user).delete()
    return {"count": count}
