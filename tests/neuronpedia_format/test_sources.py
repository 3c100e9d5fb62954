"""Source ids parse as Neuronpedia's do (moved here from the importer's and the runtime's tests,
which each tested their own copy of the rule)."""

from __future__ import annotations

from neuronpedia_format import sources


def test_source_ids_parse_like_neuronpedia() -> None:
    assert sources.source_set_of("6-res-jb") == "res-jb"
    assert sources.source_set_of("12-matryoshka-res-dc__foo") == "matryoshka-res-dc"
    assert sources.source_set_of("5") == "neurons"
    assert sources.layer_of("20-gemmascope-res-16k") == 20
    assert sources.layer_of("e-res-jb") == 0
    assert sources.layer_of("e-res") == 0


def test_ids_without_a_layer_are_told_apart() -> None:
    assert sources.has_layer("6-res-jb") and sources.has_layer("e-res")
    assert not sources.has_layer("res-jb") and sources.layer_of("res-jb") == 0
    assert sources.source_set_of("res") == "res"
    assert sources.source_id(6, "res-jb") == "6-res-jb"
