"""Sentences written by hand for each topic of the demo corpus, for the demo-honesty test.

None comes from `workers.demo.corpus`: other openings, other word order, and words the corpus
may not have ("small", "grandmother", "spreadsheet"), so they show how the demo model and its
SAEs behave on text a user types, not on text they were trained on.
"""

from __future__ import annotations

HAND_WRITTEN: dict[str, tuple[str, ...]] = {
    "animals": (
        "My grandmother keeps two small cats and a very old dog at her cottage.",
        "A hungry fox crept past the sleeping chickens while the puppy whined.",
        "Horses need fresh hay, clean water and a brush for their shiny coats.",
    ),
    "code": (
        "The loop never ends because the counter variable is not incremented.",
        "I refactored the function so it returns an empty array instead of null.",
        "Please add a unit test for the parser before you merge this branch.",
    ),
    "dinosaurs": (
        "A small raptor skeleton was found in the rocks of the desert.",
        "Long before humans, huge reptiles like the triceratops walked the earth.",
        "The museum shows the bones of an enormous sauropod with a very long neck.",
    ),
    "food": (
        "For lunch she made a warm tomato soup with crusty bread and butter.",
        "Grandpa fries the potatoes in olive oil and sprinkles them with salt.",
        "This chocolate cake is so sweet that I could only eat one slice.",
    ),
    "numbers": (
        "Seven plus eight is fifteen, and fifteen minus six leaves nine.",
        "If you multiply three by four you get twelve, an even number.",
        "Write the fraction one half as a decimal and round it to one digit.",
    ),
    "space": (
        "The astronauts watched the earth rise over the grey surface of the moon.",
        "A new telescope photographed a faint galaxy billions of light years away.",
        "Saturn's rings are made of ice and dust that orbit the giant planet.",
    ),
    "sports": (
        "Our striker scored twice and the fans sang until the final whistle.",
        "The tennis player won the tournament after a long and tiring match.",
        "Their coach made the team run laps before every practice on the pitch.",
    ),
    "weather": (
        "Dark clouds gathered and a cold wind brought heavy rain to the village.",
        "The forecast for the weekend is sunny with a light breeze in the afternoon.",
        "After the thunderstorm the streets were flooded and a rainbow appeared.",
    ),
}
