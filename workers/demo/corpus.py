"""Deterministic synthetic training text for the bundled demo model.

Every document stays on one topic for several sentences, so the model has to carry a "what
are we talking about" state in its residual stream; that state is what the demo SAEs turn into
interpretable topic features. Sentence openers ("I like", "Today the", ...) are shared by all
topics so a neutral prompt does not give the topic away, which is what makes steering visible.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"

# Openers shared by every topic; the slots are filled from the topic's vocabulary.
_TEMPLATES = (
    "I like {things} because they {verb}.",
    "I like the {adj} {thing} {place}.",
    "Today the {thing} {verb} {place}.",
    "Today the {adj} {thing} {verb}.",
    "The {adj} {thing} {verb}.",
    "The {thing} {verb} {place}.",
    "We saw a {adj} {thing} {place}.",
    "My friend said that the {thing} was very {adj}.",
    "Did you know that {things} {verb}?",
    "There is a {adj} {thing} {place}.",
    "Yesterday the {things} {verb} {place}.",
    "In the story, the {adj} {thing} {verb}.",
    "Everyone loves {adj} {things}.",
    "She told me about the {thing} {place}.",
)


@dataclass(frozen=True)
class Topic:
    """Vocabulary of one topic; `facts` are whole sentences with optional `{thing}` slots."""

    name: str
    things: tuple[str, ...]
    plurals: tuple[str, ...]
    adjs: tuple[str, ...]
    verbs: tuple[str, ...]
    places: tuple[str, ...]
    facts: tuple[str, ...]
    questions: tuple[str, ...]

    @classmethod
    def parse(cls, name: str, **fields: str) -> Topic:
        """Word lists are space-separated, phrase lists are separated by " | "."""
        single = {"things", "plurals", "adjs"}
        return cls(
            name=name,
            **{k: tuple(v.split() if k in single else v.split(" | ")) for k, v in fields.items()},
        )


# One dict per topic, kept as strings so the vocabulary stays readable at a glance.
_TOPIC_SPECS: tuple[dict[str, str], ...] = (
    dict(
        name="animals",
        things="cat dog rabbit horse elephant lion owl dolphin penguin fox puppy kitten",
        plurals=(
            "cats dogs rabbits horses elephants lions owls dolphins penguins foxes puppies kittens"
        ),
        adjs="fluffy playful furry sleepy cute tame friendly curious",
        verbs=(
            "chased a ball | slept in the sun | purred softly | barked at the mailman | swam in "
            "the river | wagged its tail | ate some carrots | climbed a tree | hopped across "
            "the grass | licked its paws"
        ),
        places=(
            "in the garden | at the zoo | on the farm | in the barn | at the pet shop | near "
            "the pond"
        ),
        facts=(
            "Cats purr when they are happy. | Dogs wag their tails to say hello. | A baby "
            "{thing} needs milk and a warm bed. | Owls hunt mice at night. | Elephants have "
            "long trunks and big ears. | The vet checked the {thing}."
        ),
        questions=(
            "Tell me about pets. | What do cats like? | Why do dogs bark? | What animal "
            "lives on a farm?"
        ),
    ),
    dict(
        name="dinosaurs",
        things=(
            "dinosaur tyrannosaurus triceratops stegosaurus velociraptor brontosaurus "
            "pterodactyl raptor diplodocus ankylosaurus fossil skeleton"
        ),
        plurals=(
            "dinosaurs raptors fossils skeletons tyrannosaurs triceratops stegosaurs pterodactyls"
        ),
        adjs="prehistoric extinct ancient fierce enormous scaly jurassic gigantic",
        verbs=(
            "roamed the ancient plains | hunted its prey | laid giant eggs | stomped through "
            "the swamp | was buried in rock | lived millions of years ago | roared at the other "
            "dinosaurs | had sharp teeth and claws | ate ferns and cycads | went extinct long "
            "ago"
        ),
        places=(
            "in the jurassic period | at the museum | in the cretaceous swamp | near the "
            "volcano | in the fossil bed | in the triassic desert"
        ),
        facts=(
            "The tyrannosaurus had tiny arms and huge teeth. | Paleontologists dug up a {thing} "
            "skeleton. | Dinosaurs lived millions of years ago. | A meteor hit the earth and "
            "the dinosaurs went extinct. | The triceratops had three horns. | The stegosaurus "
            "had plates on its back."
        ),
        questions=(
            "Tell me about dinosaurs. | What did a tyrannosaurus eat? | Why did the "
            "dinosaurs go extinct? | How big was a brontosaurus?"
        ),
    ),
    dict(
        name="weather",
        things=(
            "storm cloud rain wind snow thunder fog rainbow hurricane sunshine drizzle blizzard"
        ),
        plurals="storms clouds winds snowflakes rainbows hurricanes showers blizzards",
        adjs="cold windy rainy stormy foggy humid sunny freezing",
        verbs=(
            "blew across the hills | poured all afternoon | covered the town | rolled over the "
            "valley | melted by noon | soaked the streets | cleared up after lunch | brought "
            "heavy rain | turned the sky grey | dropped the temperature"
        ),
        places=(
            "over the mountains | this afternoon | along the coast | in the forecast | over "
            "the city | during the night"
        ),
        facts=(
            "The forecast says rain tomorrow. | It was twenty degrees and sunny. | Bring an "
            "umbrella because a {thing} is coming. | Thunder follows lightning. | The "
            "temperature fell below freezing. | The weather report warned about the {thing}."
        ),
        questions=(
            "What is the weather like? | Will it rain tomorrow? | Why is the sky grey? | "
            "What causes thunder?"
        ),
    ),
    dict(
        name="food",
        things="pizza soup sandwich pancake salad noodle cheese bread apple curry cake omelette",
        plurals="pizzas soups sandwiches pancakes salads noodles cookies apples tomatoes cakes",
        adjs="delicious spicy sweet salty crunchy fresh tasty juicy",
        verbs=(
            "tasted like honey | was baked in the oven | smelled of garlic | was served with "
            "rice | needed more salt | was cooked with butter | was sliced into pieces | melted "
            "in my mouth | was fried in oil | was made with flour and eggs"
        ),
        places=(
            "in the kitchen | at the restaurant | for dinner | for breakfast | at the bakery | "
            "at lunch"
        ),
        facts=(
            "Mix the flour, sugar and eggs in a bowl. | The chef cooked a {thing}. | Add a "
            "pinch of salt and pepper. | Bake the bread for forty minutes. | The recipe needs "
            "two cups of milk. | We ate {thing} with a fork."
        ),
        questions=(
            "What should I cook for dinner? | How do I bake bread? | What is your favorite "
            "food? | Give me a recipe."
        ),
    ),
    dict(
        name="numbers",
        things="number sum digit fraction equation total product remainder square calculator",
        plurals="numbers sums digits fractions equations totals squares multiples",
        adjs="even odd prime negative whole decimal exact equal",
        verbs=(
            "added up to twelve | was divided by three | counted to one hundred | doubled to "
            "eight | was multiplied by five | equaled zero | subtracted four | was rounded to "
            "ten"
        ),
        places=(
            "on the blackboard | in the math book | on the calculator | in the homework | in "
            "the math test | on the number line"
        ),
        facts=(
            "{n1} plus {n2} equals {sum}. | {n3} times two equals {dbl}. | Count with me: one, "
            "two, three, four, five. | The {thing} of two and three is five. | Ten minus three "
            "equals seven. | Half of eight is four."
        ),
        questions=(
            "What is seven plus five? | Can you count to ten? | Is nine a prime number? | "
            "What is half of twelve?"
        ),
    ),
    dict(
        name="code",
        things=(
            "function variable loop compiler program bug string array server database script class"
        ),
        plurals="functions variables loops programs bugs strings arrays servers scripts classes",
        adjs="recursive compiled async global buggy typed binary deprecated",
        verbs=(
            "returned a list | crashed with an error | printed hello world | parsed the json "
            "file | called the api | threw an exception | passed all the tests | used too much "
            "memory | sorted the array | compiled without warnings"
        ),
        places=(
            "in the python script | on the server | in the terminal | in the source code | in "
            "the repository | in the debugger"
        ),
        facts=(
            "def add(a, b):\n    return a + b | x = 5\nprint(x + 2) | for i in range(10):\n    "
            "print(i) | import json\ndata = json.loads(text) | The {thing} returns none if the "
            "list is empty. | Run the tests before you commit the code."
        ),
        questions=(
            "How do I write a function? | Why does my program crash? | What is a variable? "
            "| Can you fix this bug?"
        ),
    ),
    dict(
        name="space",
        things=(
            "planet star rocket comet galaxy moon astronaut telescope asteroid satellite "
            "spaceship nebula"
        ),
        plurals="planets stars rockets comets galaxies moons astronauts asteroids satellites",
        adjs="distant bright icy orbiting cosmic lunar solar glowing",
        verbs=(
            "orbited the sun | launched into orbit | flew past mars | landed on the moon | "
            "drifted through the galaxy | circled jupiter | shone in the night sky | exploded "
            "into a supernova"
        ),
        places=(
            "in outer space | near saturn | beyond the milky way | in orbit | on the launch "
            "pad | through the telescope"
        ),
        facts=(
            "Mars is called the red planet. | The astronaut floated in the station. | The "
            "{thing} is millions of miles from earth. | Jupiter is the largest planet. | The "
            "rocket launched at dawn. | Light from the stars takes years to reach us."
        ),
        questions=(
            "Tell me about space. | How far is the moon? | What is a black hole? | Can "
            "people live on mars?"
        ),
    ),
    dict(
        name="sports",
        things="ball goal team player match coach referee stadium race trophy striker goalkeeper",
        plurals="teams players matches coaches races trophies fans goals",
        adjs="fast winning athletic championship final home rival skilled",
        verbs=(
            "scored a goal | won the match | kicked the ball | ran the marathon | blew the "
            "whistle | lifted the trophy | trained every morning | lost in overtime | passed to "
            "the striker | cheered for the team"
        ),
        places=(
            "at the stadium | in the final | on the field | during the season | at the "
            "olympics | in the league"
        ),
        facts=(
            "The score was two to one. | The team won the championship. | The referee showed a "
            "yellow card. | The {thing} scored in the last minute. | Fans cheered in the "
            "stadium. | The coach picked the players."
        ),
        questions=(
            "Who won the match? | How do you play football? | What is your favorite sport? "
            "| Tell me about the olympics."
        ),
    ),
)

TOPICS: dict[str, Topic] = {s["name"]: Topic.parse(**s) for s in _TOPIC_SPECS}

_NUMBER_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
)

_GREETINGS = (
    ("Hello!", "Hello! How can I help you today?"),
    ("Hi there.", "Hi! What would you like to talk about?"),
    ("Thank you!", "You are welcome."),
)

_WORD_RE = re.compile(r"[a-z]+")
_SLOT_RE = re.compile(r"\{\w+\}")
_A_BEFORE_VOWEL_RE = re.compile(r"\b([Aa]) ([aeiou])")


def words(text: str) -> list[str]:
    """Lower-case alphabetic words of `text`; the unit that topic word rates are measured in."""
    return _WORD_RE.findall(text.lower())


# Short or generic words that happen to occur in only one topic but say nothing about it.
_NOT_TOPICAL = frozenset(
    words(
        "after along back before below bring coming does every follows from give have huge into "
        "last live lives made more much other over past people picked reach says should showed "
        "some takes their there tiny turned used went when will without would"
    )
)


def _topic_vocab(topic: Topic) -> set[str]:
    phrases = (*topic.verbs, *topic.places, *topic.facts, *topic.questions)
    found = {w for p in phrases for w in words(_SLOT_RE.sub("", p)) if len(w) >= 4}
    return {*topic.things, *topic.plurals, *topic.adjs} | (found - _NOT_TOPICAL)


def _exclusive_words() -> dict[str, frozenset[str]]:
    # A word counts for a topic only if no other topic and no shared template uses it, so a
    # rate of these words in generated text says which topic the text is about.
    vocabs = {name: _topic_vocab(t) for name, t in TOPICS.items()}
    shared = {w for t in _TEMPLATES for w in words(_SLOT_RE.sub("", t))}
    shared |= set(_NUMBER_WORDS) | {w for g in _GREETINGS for s in g for w in words(s)}
    out = {}
    for name, vocab in vocabs.items():
        others = set().union(*(v for n, v in vocabs.items() if n != name))
        out[name] = frozenset(vocab - others - shared)
    return out


TOPIC_WORDS: dict[str, frozenset[str]] = _exclusive_words()


def topic_word_rate(text: str, topic: str) -> float:
    """Fraction of the words in `text` that belong only to `topic`."""
    ws = words(text)
    if not ws:
        return 0.0
    return sum(w in TOPIC_WORDS[topic] for w in ws) / len(ws)


def sentence(rng: random.Random, topic: Topic) -> str:
    """One sentence on `topic`: a shared template (70 %) or a topic fact."""
    if rng.random() < 0.7:
        text = rng.choice(_TEMPLATES).format(
            thing=rng.choice(topic.things),
            things=rng.choice(topic.plurals),
            adj=rng.choice(topic.adjs),
            verb=rng.choice(topic.verbs),
            place=rng.choice(topic.places),
        )
    else:
        n1, n2, n3 = rng.randrange(11), rng.randrange(11), rng.randrange(11)
        text = rng.choice(topic.facts).format(
            thing=rng.choice(topic.things),
            n1=_NUMBER_WORDS[n1],
            n2=_NUMBER_WORDS[n2],
            sum=_NUMBER_WORDS[n1 + n2],
            n3=_NUMBER_WORDS[n3],
            dbl=_NUMBER_WORDS[2 * n3],
        )
    text = _A_BEFORE_VOWEL_RE.sub(r"\1n \2", text)
    return text[0].upper() + text[1:]


def paragraph(rng: random.Random, topic: Topic, n_min: int = 2, n_max: int = 5) -> str:
    return " ".join(sentence(rng, topic) for _ in range(rng.randint(n_min, n_max)))


def chatml(turns: list[tuple[str, str]]) -> str:
    """Render (role, content) turns exactly as the tokenizer's chat template does."""
    return "".join(f"{IM_START}{role}\n{content}{IM_END}\n" for role, content in turns)


def chat(rng: random.Random, topic: Topic) -> str:
    turns: list[tuple[str, str]] = []
    if rng.random() < 0.3:
        turns += list(zip(("user", "assistant"), rng.choice(_GREETINGS), strict=True))
    turns.append(("user", rng.choice(topic.questions)))
    turns.append(("assistant", paragraph(rng, topic, 1, 3)))
    return chatml(turns)


@dataclass(frozen=True)
class Document:
    topic: str
    text: str


def generate_corpus(seed: int, n_docs: int, chat_fraction: float = 0.15) -> list[Document]:
    """`n_docs` single-topic documents (paragraphs, or ChatML conversations), same for a seed."""
    rng = random.Random(seed)
    names = sorted(TOPICS)
    docs = []
    for _ in range(n_docs):
        topic = TOPICS[rng.choice(names)]
        text = chat(rng, topic) if rng.random() < chat_fraction else paragraph(rng, topic)
        docs.append(Document(topic.name, text))
    return docs
