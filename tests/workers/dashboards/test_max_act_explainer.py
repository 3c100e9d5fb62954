"""The offline explainer's phrases."""

from __future__ import annotations

from workers.max_act_explainer import explain

LEXICON = {
    "dinosaurs": frozenset({"triceratops", "fossil", "raptor", "jurassic"}),
    "food": frozenset({"pizza", "soup"}),
}


def test_it_lists_top_tokens_then_top_logits() -> None:
    scores = [(" fossil", 3.0), (" raptor", 5.0), (" the", 1.0), (" fossil", 2.5)]
    assert explain(scores, [" horns", " teeth", " claws", " eggs"]) == (
        "fossil, raptor, the; predicts horns, teeth, claws"
    )


def test_it_labels_with_the_lexicon_group_most_tokens_belong_to() -> None:
    scores = [(" triceratops", 4.0), (" Fossil", 3.0), (" pizza", 2.0), ("ancient", 1.0)]
    assert explain(scores, [" jurassic"], LEXICON).startswith("dinosaurs: triceratops, Fossil")
    mixed = [(" pizza", 4.0), (" fossil", 3.0), (" sky", 2.0), (" sea", 1.0)]
    assert ":" not in explain(mixed, [], LEXICON)


def test_punctuation_only_shows_when_there_is_nothing_else() -> None:
    assert explain([(".", 9.0), (" cat", 1.0)], []) == "cat"
    assert explain([("\n", 9.0), (".", 1.0)], ["\n", " dog"]) == '"\\n", "."; predicts dog'


def test_same_token_in_other_case_or_spacing_counts_once() -> None:
    assert explain([(" Dog", 1.0), ("dog", 1.0), (" cat", 1.5)], [" a", " A"]) == (
        "Dog, cat; predicts a"
    )


def test_a_topic_is_named_only_when_the_feature_is_selective_for_it() -> None:
    # half the shown tokens are dinosaur words, but most of the score is on other words
    diluted = [(" the", 9.0), (" fossil", 1.0), (" was", 8.0), (" raptor", 1.0)]
    assert ":" not in explain(diluted, [], LEXICON)
    # its best token is not a topic word
    led_by_other = [(" sky", 5.0), (" fossil", 4.0), (" raptor", 4.0), (" sea", 0.5)]
    assert ":" not in explain(led_by_other, [], LEXICON)
    selective = [(" raptor", 5.0), (" fossil", 4.0), (" sky", 1.0), (" sea", 0.5)]
    assert explain(selective, [], LEXICON).startswith("dinosaurs: raptor, fossil")


def test_one_topic_word_beside_a_filler_word_is_not_a_topic() -> None:
    assert ":" not in explain([(" fossil", 5.0), (" was", 1.0)], [], LEXICON)


def test_a_topic_is_named_when_nearly_all_strong_examples_are_of_that_topic() -> None:
    scores = [(" raptor", 5.0), (" fossil", 4.0), (" sky", 1.0)]
    dino_text = [" The", " raptor", " left", " a", " fossil"]
    food_text = [" The", " pizza", " and", " soup"]
    dinos = [(10.0, dino_text)] * 3
    # fires on food texts at 0.5 of its maximum as often as on dinosaur texts: not a topic
    mixed = [*dinos, *[(5.0, food_text)] * 3]
    assert ":" not in explain(scores, [], LEXICON, examples=mixed)
    # below 0.3 of its maximum elsewhere: selective
    weak_elsewhere = [*dinos, (2.9, food_text)]
    assert explain(scores, [], LEXICON, examples=weak_elsewhere).startswith("dinosaurs: ")
    # a strong example with no topic word at all says nothing either way
    untopical = [*dinos, (4.0, [" Hello", "!"])]
    assert explain(scores, [], LEXICON, examples=untopical).startswith("dinosaurs: ")
    # one strong food example in twenty-one is noise; one in six is not
    assert explain(scores, [], LEXICON, examples=[*dinos * 7, (3.5, food_text)]).startswith(
        "dinosaurs: "
    )
    assert ":" not in explain(scores, [], LEXICON, examples=[*dinos * 2, (3.5, food_text)])
    # two texts are too few to name a topic
    assert ":" not in explain(scores, [], LEXICON, examples=dinos[:2])


def test_with_examples_the_topic_does_not_depend_on_the_token_it_peaks_on() -> None:
    # a feature that fires on "." only at the end of food sentences is a food feature
    food_texts = [(9.0, [" The", " soup", " was", " hot", "."]), (8.0, [" Pizza", " again", "."])]
    described = explain([(".", 9.0), (" hot", 1.0)], [], LEXICON, examples=food_texts * 2)
    assert described == "food: hot"
    # the same tokens without examples: no topic word among them, no topic
    assert ":" not in explain([(".", 9.0), (" hot", 1.0)], [], LEXICON)
