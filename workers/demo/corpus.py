"""Deterministic synthetic training text for the bundled demo model.

Every document stays on one topic, so the model has to carry a "what are we talking about"
state in its residual stream; that state is what the demo SAEs turn into interpretable topic
features. Most of a sentence is general English shared by every topic (people, times, sizes,
everyday verbs, many sentence frames), and each topic brings a wide vocabulary of its own, so
that a sentence a user types (not one of these frames) is mostly words the model has seen in
every topic, and its topic words are what tell the topics apart. Sentence openers are shared by
all topics so a neutral prompt does not give the topic away, which is what makes steering
visible.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"

# Frames shared by every topic. Slots: {thing}/{things}/{adj}/{verb}/{act}/{place} come from the
# topic ({verb}: what a thing of the topic did; {act}: what a person did with the topic);
# {who}/{when}/{mod}/{count} from the general words below (capitalised slot: capitalised word).
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
    "In the story, the {adj} {thing} {verb}.",
    "Everyone loves {adj} {things}.",
    "She told me about the {thing} {place}.",
    "{When}, {who} {act}.",
    "{Who} {act} {place}.",
    "{Who} {act} and then {act2}.",
    "{When} {who} {act} {place}.",
    "{Who} {act} while {who2} {act2}.",
    "{Who} {act}, so {who2} {act2}.",
    "{Who} and {who2} {act} {place}.",
    "{Who} said that the {thing} {verb}.",
    "{Who} found a {mod} {thing} {place}.",
    "{Who} showed us a {mod} {thing} {place}.",
    "{Who} read a book about {things} {when}.",
    "{Who} asked me why {things} {verb}.",
    "{Who} thinks that {adj} {things} are the best.",
    "{Who} wanted to know more about the {adj} {thing}.",
    "{When} the {mod} {thing} {verb}.",
    "The {thing} was so {adj} that {who} {act}.",
    "It was a {mod} {thing}, and it {verb}.",
    "There were {count} {mod} {things} {place}.",
    "Nobody expected that the {adj} {thing} {verb}.",
    "Have you ever seen {count} {adj} {things}?",
    "Look at that {mod} {thing}!",
    "Why are {things} so {adj}?",
    "Some {things} are {mod}, but this {thing} is {adj}.",
    "I still remember the {mod} {thing} {place}.",
    "After that, {who} {act} {place}.",
    "When {who} was {age}, {who2} {act}.",
    "It was {adj} and {adj2} {place}.",
    "We talked about {things} for hours.",
    "My favourite {thing} is the {mod} one {place}.",
    "{Who} was very happy after {who2} {act}.",
    "Every weekend {who} {act}.",
    "I think the {thing} {verb} because it was {adj}.",
    "{Who} {act} {where}.",
    "{When}, {where}, the {thing} {verb}.",
    "{Who} saw {count} {things} {where} {when}.",
    "{Where}, {who} {act}.",
    "We met {who} {where} and talked about the {adj} {thing}.",
    "The {thing} {where} was {mod} and {adj}.",
    # The topic word early and general words after it, so the sentence end has to remember it.
    "The {thing} was the best part of the day.",
    "{Who} talked about the {adj} {thing} {when}.",
    "{Things} are what everyone likes most of all.",
    "A {thing} like that is not easy to find.",
    "I heard about the {thing} from {who}.",
    "The {mod} {thing} made everyone very happy.",
    "There was a {thing}, and nobody knew why.",
    "{Who} saw the {thing} and then went home.",
    "Some {things} are {adj}, and some are not.",
    "The {thing} was still there when {who} came back.",
)

# General words every topic's sentences share: they say nothing of the topic.
_WHO = (
    "I",
    "we",
    "she",
    "he",
    "they",
    "my grandmother",
    "my grandfather",
    "grandpa",
    "grandma",
    "my aunt",
    "my uncle",
    "my cousin",
    "my little brother",
    "my older sister",
    "my mother",
    "my father",
    "mum",
    "dad",
    "our teacher",
    "our neighbour",
    "my best friend",
    "the whole family",
    "the children",
    "the students",
    "a young woman",
    "an old man",
    "the boy",
    "the girl",
    "our class",
    "my friends",
    "Anna",
    "Tom",
    "Maria",
    "Sam",
    "the visitors",
    "her son",
    "his daughter",
    "their team of friends",
    "a man in a hat",
    "the new kid",
)
_WHERE = (
    "in the garden",
    "in the park",
    "in the village",
    "in town",
    "in the city",
    "at home",
    "near the old bridge",
    "by the lake",
    "in the forest",
    "on the hill",
    "at school",
    "in the afternoon",
    "on the way home",
    "in the yard",
    "at the library",
    "next to the river",
    "in the morning",
    "on the beach",
    "at the cottage",
    "on the street",
)
_WHEN = (
    "yesterday",
    "last week",
    "last summer",
    "this morning",
    "on sunday",
    "every weekend",
    "after school",
    "in the evening",
    "at night",
    "a long time ago",
    "once",
    "later that day",
    "early in the morning",
    "on holiday",
    "during the trip",
    "every day",
    "sometimes",
    "on monday",
    "in the spring",
    "two days ago",
    "this year",
)
_MOD = (
    "small",
    "big",
    "little",
    "large",
    "tiny",
    "huge",
    "old",
    "new",
    "young",
    "strange",
    "beautiful",
    "wonderful",
    "real",
    "famous",
    "different",
    "heavy",
    "long",
    "short",
    "quiet",
    "loud",
    "dark",
    "strong",
    "nice",
    "good",
    "great",
    "funny",
    "amazing",
    "special",
    "perfect",
    "very big",
    "very old",
    "enormous",
    "simple",
    "clean",
    "grey",
    "light",
    "giant",
    "red",
    "green",
    "blue",
    "white",
    "brown",
    "golden",
    "shiny",
)
_AGE = (
    "a child",
    "very young",
    "a little boy",
    "a little girl",
    "a student",
    "much younger",
    "ten years old",
    "at school",
)
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
_COUNT = (
    *_NUMBER_WORDS[2:8],  # two to seven
    "many",
    "several",
    "some",
    "a few",
    "hundreds of",
    "dozens of",
    "lots of",
)
# Things a person does with a thing of any topic: everyday verbs ("made", "bought", "needed")
# then occur in every topic, so the model cannot read the topic off the verb alone.
_SHARED_ACTS = (
    "made a drawing of the {thing}",
    "made a list of {things}",
    "bought a book about {things}",
    "took a photo of the {thing}",
    "needed help with the {thing}",
    "brought a picture of a {thing} to school",
    "kept a notebook about {things}",
    "found out more about the {thing}",
    "wrote a story about a {thing}",
    "showed everyone the {thing}",
    "asked a lot of questions about {things}",
    "drew a map of where the {thing} was",
)
# Share of the act slots filled from _SHARED_ACTS instead of the topic's own acts.
SHARED_ACT_RATE = 0.25
# Whole sentences about nothing in particular, mixed into every topic's documents.
_ASIDES = (
    "It was a long day.",
    "We laughed a lot.",
    "Then we went home.",
    "I will never forget it.",
    "Everyone was very happy.",
    "It was the best day of the year.",
    "We took a lot of photos.",
    "My sister said it was amazing.",
    "That is what I heard, anyway.",
    "Nobody could believe it.",
    "We want to go back next year.",
    "It was really interesting.",
    "I told my friends about it the next day.",
    "To be honest, I was a bit surprised.",
    "Dad thought it was funny.",
    "The children asked lots of questions.",
    "I do not know why, but I liked it.",
    "Please tell me more about it.",
    "We only had a few minutes, so we had to hurry.",
    "Then everybody went to get something to drink.",
    "She keeps asking me about it instead of listening.",
    "It was not what we expected.",
)


@dataclass(frozen=True)
class Topic:
    """Vocabulary of one topic; `facts` are whole sentences with optional `{thing}` slots.

    `verbs` are what a thing of the topic did; `acts` what a person did with the topic.
    """

    name: str
    things: tuple[str, ...]
    plurals: tuple[str, ...]
    adjs: tuple[str, ...]
    verbs: tuple[str, ...]
    acts: tuple[str, ...]
    places: tuple[str, ...]
    facts: tuple[str, ...]
    questions: tuple[str, ...]

    @classmethod
    def parse(cls, name: str, **fields: str) -> Topic:
        """Word lists are space-separated, phrase lists are separated by " | "."""
        single = {"things", "plurals", "adjs"}
        return cls(
            name=name,
            **{
                k: tuple(v.split() if k in single else (p.strip() for p in v.split(" | ")))
                for k, v in fields.items()
            },
        )


# One dict per topic, kept as strings so the vocabulary stays readable at a glance.
_TOPIC_SPECS: tuple[dict[str, str], ...] = (
    dict(
        name="animals",
        things=(
            "cat dog rabbit horse elephant lion owl dolphin penguin fox puppy kitten hamster "
            "parrot goat sheep cow pig duck mouse squirrel tiger bear monkey pony donkey "
            "chicken hen rooster deer wolf giraffe zebra kangaroo turtle frog bird pet kennel "
            "collar leash"
        ),
        plurals=(
            "cats dogs rabbits horses elephants lions owls dolphins penguins foxes puppies "
            "kittens hamsters parrots goats cows pigs ducks mice squirrels tigers bears monkeys "
            "ponies chickens hens deer wolves giraffes birds pets animals"
        ),
        adjs=(
            "fluffy playful furry sleepy cute tame friendly curious hungry wild gentle noisy "
            "loyal shy"
        ),
        verbs=(
            "chased a ball | slept in the sun | purred softly | barked at the mailman | swam in "
            "the river | wagged its tail | ate some carrots | climbed a tree | hopped across "
            "the grass | licked its paws | fed its babies | dug a hole in the yard | hid under "
            "the bed | groomed its fur | nibbled some hay | howled all night | laid an egg in "
            "the nest | followed the farmer | whined at the door | chased the chickens | "
            "growled at a stranger | scratched the sofa | neighed in the stable"
        ),
        acts=(
            "fed the horses | took the dog for a walk | brushed the pony | cleaned the rabbit "
            "cage | watched the birds in the trees | adopted a kitten from the shelter | gave "
            "the puppy a bath | took the cat to the vet | milked the cows | collected eggs from "
            "the hens | trained the dog to sit | fed the ducks at the pond | rode a horse | "
            "stroked the sleepy cat | filled the bowl with water for the dog | visited the "
            "elephants at the zoo"
        ),
        places=(
            "in the garden | at the zoo | on the farm | in the barn | at the pet shop | near "
            "the pond | in the meadow | at the animal shelter | in the forest | in the stable | "
            "at the vet | in its kennel"
        ),
        facts=(
            "Cats purr when they are happy. | Dogs wag their tails to say hello. | A baby "
            "{thing} needs milk and a warm bed. | Owls hunt mice at night. | Elephants have "
            "long trunks and big ears. | The vet checked the {thing}. | Horses eat hay and "
            "oats. | A fox has a bushy tail. | Puppies sleep most of the day. | Cows give us "
            "milk. | Parrots can copy what people say. | The {thing} wagged its tail and barked."
        ),
        questions=(
            "Tell me about pets. | What do cats like? | Why do dogs bark? | What animal "
            "lives on a farm? | How do I look after a puppy? | What do horses eat?"
        ),
    ),
    dict(
        name="dinosaurs",
        things=(
            "dinosaur tyrannosaurus triceratops stegosaurus velociraptor brontosaurus "
            "pterodactyl raptor diplodocus ankylosaurus fossil skeleton iguanodon spinosaurus "
            "allosaurus reptile predator herbivore carnivore paleontologist bone claw tooth "
            "footprint meteor excavation"
        ),
        plurals=(
            "dinosaurs raptors fossils skeletons tyrannosaurs stegosaurs pterodactyls reptiles "
            "predators herbivores carnivores paleontologists bones claws teeth footprints"
        ),
        adjs=(
            "prehistoric extinct ancient fierce gigantic scaly jurassic fossilized armored "
            "feathered predatory massive"
        ),
        verbs=(
            "roamed the ancient plains | hunted its prey | laid giant eggs | stomped through "
            "the swamp | was buried in rock | lived millions of years ago | roared at the other "
            "dinosaurs | had sharp teeth and claws | ate ferns and cycads | went extinct long "
            "ago | was dug out of the cliff | left footprints in the mud | had a long tail and "
            "a long neck | nested near the river | was the biggest hunter of its time | was "
            "found by scientists | walked on two legs | had armor plates on its back"
        ),
        acts=(
            "dug up a dinosaur bone | studied the fossils | found a fossil in the rocks | "
            "cleaned the old bones with a brush | measured the skeleton | visited the dinosaur "
            "museum | drew a tyrannosaurus | read about the jurassic period | dug for fossils "
            "in the desert | put the skeleton back together | found a dinosaur footprint | "
            "gave a talk about extinct reptiles"
        ),
        places=(
            "in the jurassic period | at the museum | in the cretaceous swamp | near the "
            "volcano | in the fossil bed | in the triassic desert | at the dig site | in the "
            "rock layers | at the excavation | in the natural history museum"
        ),
        facts=(
            "The tyrannosaurus had tiny arms and huge teeth. | Paleontologists dug up a {thing} "
            "skeleton. | Dinosaurs lived millions of years ago. | A meteor hit the earth and "
            "the dinosaurs went extinct. | The triceratops had three horns. | The stegosaurus "
            "had plates on its back. | Some dinosaurs had feathers. | The biggest dinosaurs "
            "ate plants. | Birds are the living relatives of dinosaurs. | Fossils form when "
            "bones turn to rock."
        ),
        questions=(
            "Tell me about dinosaurs. | What did a tyrannosaurus eat? | Why did the "
            "dinosaurs go extinct? | How big was a brontosaurus? | How are fossils found?"
        ),
    ),
    dict(
        name="weather",
        things=(
            "storm cloud rain wind snow thunder fog rainbow hurricane sunshine drizzle blizzard "
            "gust frost hail lightning tornado mist heatwave flood drought temperature forecast "
            "breeze thunderstorm umbrella puddle shower"
        ),
        plurals=(
            "storms clouds winds snowflakes rainbows hurricanes showers blizzards gusts "
            "tornadoes floods droughts forecasts thunderstorms raindrops puddles"
        ),
        adjs="cold windy rainy stormy foggy humid sunny freezing cloudy misty chilly icy wet",
        verbs=(
            "blew across the hills | poured all afternoon | covered the town | rolled over the "
            "valley | melted by noon | soaked the streets | cleared up after lunch | brought "
            "heavy rain | turned the sky grey | dropped the temperature | closed the roads | "
            "froze the lake | knocked down trees | warmed the air | blew the hats away | kept "
            "everyone indoors | flooded the fields | rumbled in the distance"
        ),
        acts=(
            "checked the forecast | took an umbrella | got soaked in the rain | built a "
            "snowman | watched the lightning from the window | shovelled the snow | waited "
            "for the storm to pass | wore a warm coat against the wind | jumped in the "
            "puddles | listened to the thunder | looked at the weather map | hung the washing "
            "out in the sunshine"
        ),
        places=(
            "over the mountains | this afternoon | along the coast | in the forecast | over "
            "the city | during the night | over the sea | on the weather map | in the north | "
            "over the village"
        ),
        facts=(
            "The forecast says rain tomorrow. | It was twenty degrees and sunny. | Bring an "
            "umbrella because a {thing} is coming. | Thunder follows lightning. | The "
            "temperature fell below freezing. | The weather report warned about the {thing}. | "
            "Dark clouds mean rain is coming. | The wind was strong enough to bend the trees. "
            "| Snow fell all night. | After the rain, the sun came out."
        ),
        questions=(
            "What is the weather like? | Will it rain tomorrow? | Why is the sky grey? | "
            "What causes thunder? | Do I need an umbrella today?"
        ),
    ),
    dict(
        name="food",
        things=(
            "pizza soup sandwich pancake salad noodle cheese bread apple curry cake omelette "
            "onion mushroom rice vanilla carrot sausage pie muffin taco burger lemon chicken "
            "potato tomato butter chocolate recipe dessert breakfast lunch dinner sauce pasta "
            "cookie"
        ),
        plurals=(
            "pizzas soups sandwiches pancakes salads noodles cookies apples tomatoes cakes "
            "onions carrots sausages pies muffins tacos burgers lemons vegetables meals "
            "potatoes recipes desserts spices"
        ),
        adjs=(
            "delicious spicy sweet salty crunchy fresh tasty juicy savory bitter creamy "
            "homemade roasted crispy"
        ),
        verbs=(
            "tasted like honey | was baked in the oven | smelled of garlic | was served with "
            "rice | needed more salt | was cooked with butter | was sliced into pieces | melted "
            "in my mouth | was fried in oil | was made with flour and eggs | was grilled on "
            "the barbecue | was boiled in water | was seasoned with herbs | was topped with "
            "cream | was chopped into small pieces | tasted a bit sour"
        ),
        acts=(
            "baked a cake | made soup for lunch | cooked dinner for everyone | fried some "
            "eggs | chopped the onions | ate a slice of pizza | bought bread at the bakery | "
            "made pancakes for breakfast | tasted the sauce | peeled the potatoes | added salt "
            "and pepper | ordered a burger and chips | ate a bowl of noodles | made a salad "
            "with tomatoes"
        ),
        places=(
            "in the kitchen | at the restaurant | for dinner | for breakfast | at the bakery | "
            "at lunch | at the market | in the oven | on the plate | at the cafe"
        ),
        facts=(
            "Mix the flour, sugar and eggs in a bowl. | The chef cooked a {thing}. | Add a "
            "pinch of salt and pepper. | Bake the bread for forty minutes. | The recipe needs "
            "two cups of milk. | We ate {thing} with a fork. | Fry the onions in olive oil. | "
            "Cheese tastes good on toast. | Soup is best when it is hot. | The cake needs more "
            "sugar."
        ),
        questions=(
            "What should I cook for dinner? | How do I bake bread? | What is your favorite "
            "food? | Give me a recipe. | How do I make soup?"
        ),
    ),
    dict(
        name="numbers",
        things=(
            "number sum digit fraction equation total product remainder square calculator "
            "percent average angle ratio million formula decimal dozen half quarter multiple"
        ),
        plurals=(
            "numbers sums digits fractions equations totals squares multiples percentages "
            "averages angles ratios formulas decimals"
        ),
        adjs="even odd prime negative whole decimal exact equal positive divisible rounded",
        verbs=(
            "added up to twelve | was divided by three | counted to one hundred | doubled to "
            "eight | was multiplied by five | equaled zero | subtracted four | was rounded to "
            "ten | was the answer to the problem | was greater than nine | was less than two | "
            "came out to sixty | was the average of the numbers"
        ),
        acts=(
            "added the numbers | counted to a hundred | divided twelve by four | multiplied "
            "the two numbers | solved the equation | wrote the sum on the board | rounded the "
            "answer | checked the total on a calculator | learned the times tables | worked "
            "out the average | subtracted seven from ten | wrote the fraction as a decimal"
        ),
        places=(
            "on the blackboard | in the math book | on the calculator | in the homework | in "
            "the math test | on the number line | in the math class | on the worksheet"
        ),
        facts=(
            "{n1} plus {n2} equals {sum}. | {n3} times two equals {dbl}. | Count with me: one, "
            "two, three, four, five. | The {thing} of two and three is five. | Ten minus three "
            "equals seven. | Half of eight is four. | {n1} plus {n2} is {sum}. | {sum} minus "
            "{n2} is {n1}. | Two times {n3} is {dbl}. | An even number can be divided by two. "
            "| Nine is an odd number. | A quarter is one half of one half."
        ),
        questions=(
            "What is seven plus five? | Can you count to ten? | Is nine a prime number? | "
            "What is half of twelve? | How do I add fractions?"
        ),
    ),
    dict(
        name="code",
        things=(
            "function variable loop compiler program bug string array server database script "
            "class method iterator module library framework pointer commit query parser "
            "branch test counter integer exception debugger null keyboard laptop software app"
        ),
        plurals=(
            "functions variables loops programs bugs strings arrays servers scripts classes "
            "methods modules libraries frameworks pointers commits queries tests branches "
            "integers exceptions apps"
        ),
        adjs=(
            "recursive compiled async global buggy typed binary deprecated unused nested "
            "private mutable"
        ),
        verbs=(
            "returned a list | crashed with an error | printed hello world | parsed the json "
            "file | called the api | threw an exception | passed all the tests | used too much "
            "memory | sorted the array | compiled without warnings | failed the build | was "
            "merged into main | returned an integer | leaked memory | was rewritten last week | "
            "raised a type error | returned null | ran forever"
        ),
        acts=(
            "fixed the bug | wrote tests for the module | merged the pull request | "
            "refactored the code | "
            "renamed the variable | deleted the unused function | ran the tests | pushed the "
            "commit | installed the library | debugged the loop | reviewed the pull request | "
            "wrote a small script | updated the database query | restarted the server"
        ),
        places=(
            "in the python script | on the server | in the terminal | in the source code | in "
            "the repository | in the debugger | in the editor | on github | in the test suite "
            "| in the codebase"
        ),
        facts=(
            "def add(a, b):\n    return a + b | x = 5\nprint(x + 2) | for i in range(10):\n    "
            "print(i) | import json\ndata = json.loads(text) | The {thing} returns none if the "
            "list is empty. | Run the tests before you commit the code. | A loop repeats until "
            "its condition is false. | The function takes two arguments. | Every variable has "
            "a type. | The test failed because the function returned null."
        ),
        questions=(
            "How do I write a function? | Why does my program crash? | What is a variable? "
            "| Can you fix this bug? | How do I write a loop?"
        ),
    ),
    dict(
        name="space",
        things=(
            "planet star rocket comet galaxy moon astronaut telescope asteroid satellite "
            "spaceship nebula sun mars jupiter saturn orbit spacecraft astronomer universe "
            "meteor earth crater constellation"
        ),
        plurals=(
            "planets stars rockets comets galaxies moons astronauts asteroids satellites "
            "spacecraft astronomers meteors orbits constellations craters"
        ),
        adjs="distant bright icy orbiting cosmic lunar solar glowing celestial interstellar dusty",
        verbs=(
            "orbited the sun | launched into orbit | flew past mars | landed on the moon | "
            "drifted through the galaxy | circled jupiter | shone in the night sky | exploded "
            "into a supernova | orbited a distant star | reached the edge of the solar system "
            "| sent pictures back to earth | passed close to the sun | crashed into a crater"
        ),
        acts=(
            "looked at the stars through a telescope | watched the rocket launch | saw a "
            "shooting star | named the constellations | read about the planets | visited the "
            "space museum | took a photo of the moon | learned about black holes | counted "
            "the moons of jupiter | dreamed of flying to mars"
        ),
        places=(
            "in outer space | near saturn | beyond the milky way | in orbit | on the launch "
            "pad | through the telescope | in the night sky | at the observatory | on the "
            "space station | across the sky"
        ),
        facts=(
            "Mars is called the red planet. | The astronaut floated in the station. | The "
            "{thing} is millions of miles from earth. | Jupiter is the largest planet. | The "
            "rocket launched at dawn. | Light from the stars takes years to reach us. | The "
            "moon orbits the earth. | Saturn has beautiful rings. | The sun is a star. | A "
            "galaxy has billions of stars."
        ),
        questions=(
            "Tell me about space. | How far is the moon? | What is a black hole? | Can "
            "people live on mars? | How many planets are there?"
        ),
    ),
    dict(
        name="sports",
        things=(
            "ball goal team player match coach referee stadium race trophy striker goalkeeper "
            "rugby football basketball runner swimmer cyclist cup medal hockey tennis league "
            "penalty whistle tournament champion"
        ),
        plurals=(
            "teams players matches coaches races trophies fans goals runners swimmers cyclists "
            "cups medals athletes leagues tournaments champions"
        ),
        adjs=(
            "fast winning athletic championship final rival skilled competitive undefeated "
            "professional"
        ),
        verbs=(
            "scored a goal | won the match | kicked the ball | ran the marathon | blew the "
            "whistle | lifted the trophy | trained every morning | lost in overtime | passed to "
            "the striker | cheered for the team | won the gold medal | missed a penalty | broke "
            "the world record | beat the champions | played in the cup | lost the final"
        ),
        acts=(
            "played football in the park | watched the match on television | ran around the "
            "track | scored a goal | joined the tennis club | cheered for our team | trained "
            "for the race | won a medal | swam ten lengths of the pool | bought tickets for "
            "the final | practised free kicks with the coach | played basketball after school"
        ),
        places=(
            "at the stadium | in the final | on the field | during the season | at the "
            "olympics | in the league | on the court | on the track | in the gym | on the pitch"
        ),
        facts=(
            "The score was two to one. | The team won the championship. | The referee showed a "
            "yellow card. | The {thing} scored in the last minute. | Fans cheered in the "
            "stadium. | The coach picked the players. | The match ended in a draw. | She won "
            "the race by a second. | The goalkeeper saved a penalty. | Our team is top of the "
            "league."
        ),
        questions=(
            "Who won the match? | How do you play football? | What is your favorite sport? "
            "| Tell me about the olympics. | How long is a marathon?"
        ),
    ),
)

TOPICS: dict[str, Topic] = {s["name"]: Topic.parse(**s) for s in _TOPIC_SPECS}


_GREETINGS = (
    ("Hello!", "Hello! How can I help you today?"),
    ("Hi there.", "Hi! What would you like to talk about?"),
    ("Thank you!", "You are welcome."),
)

_WORD_RE = re.compile(r"[a-z]+")
_SLOT_RE = re.compile(r"\{\w+\}")
_A_BEFORE_VOWEL_RE = re.compile(r"\b([Aa]) ([aeiou])")
# Share of a paragraph's sentences (after the first) that are topic-free asides.
ASIDE_RATE = 0.15


def words(text: str) -> list[str]:
    """Lower-case alphabetic words of `text`; the unit that topic word rates are measured in."""
    return _WORD_RE.findall(text.lower())


# Short or generic words that happen to occur in only one topic but say nothing about it.
_NOT_TOPICAL = frozenset(
    words(
        "after along back before below bring coming does every follows from give have huge into "
        "last live lives made more much other over past people picked reach says should showed "
        "some takes their there tiny turned used went when will without would around away "
        "bought called came checked cleaned collected door enough first gave good half hello "
        "indoors kept learned left long looked named next part pieces pushed read said sent "
        "small start then these those took until visited walk walked watched what where which "
        "while with wore work wrote best bowl most window years about again both close day days "
        "each even ever found gets goes having heard high just keep knew like little living "
        "lots many near never night only onto same shows side since still such than them they "
        "this time today under very want water well were your know means form relatives strong "
        "alone tree sofa softly filled followed arms brush drew history natural together turn "
        "lived measured studied period site scientists against brought built closed covered "
        "down fell jumped listened mean need pass report roads waited hung make minutes needed "
        "mouth forty served answer board line problem worked tables times data empty failed "
        "false file list main none pull request source text type write updated deleted fixed "
        "free beyond black dawn dreamed edge flew miles photo pictures reached system beat "
        "broke card club draw ended fast joined lost minute play played record saved second "
        "television tickets yellow shop sleep copy ears bath"
    )
)


def _topic_vocab(topic: Topic) -> set[str]:
    phrases = (*topic.verbs, *topic.acts, *topic.places, *topic.facts, *topic.questions)
    found = {w for p in phrases for w in words(_SLOT_RE.sub("", p)) if len(w) >= 4}
    return {*topic.things, *topic.plurals, *topic.adjs} | (found - _NOT_TOPICAL)


def _shared_words() -> set[str]:
    shared = {w for t in _TEMPLATES for w in words(_SLOT_RE.sub("", t))}
    shared |= set(_NUMBER_WORDS) | {w for g in _GREETINGS for s in g for w in words(s)}
    general = (*_WHO, *_WHERE, *_WHEN, *_MOD, *_AGE, *_COUNT, *_ASIDES, *_SHARED_ACTS)
    return shared | {w for phrase in general for w in words(phrase)}


def _exclusive_words() -> dict[str, frozenset[str]]:
    # A word counts for a topic only if no other topic and no shared word list uses it, so a
    # rate of these words in generated text says which topic the text is about.
    vocabs = {name: _topic_vocab(t) for name, t in TOPICS.items()}
    shared = _shared_words()
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


def _capitalised(phrase: str) -> str:
    return phrase[0].upper() + phrase[1:]


def sentence(rng: random.Random, topic: Topic) -> str:
    """One sentence on `topic`: a shared frame (75 %) or a topic fact."""
    if rng.random() < 0.75:
        who, who2 = rng.sample(_WHO, 2)
        act, act2 = (_act(rng, topic) for _ in range(2))
        adj, adj2 = rng.sample(topic.adjs, 2)
        when = rng.choice(_WHEN)
        text = rng.choice(_TEMPLATES).format(
            thing=rng.choice(topic.things),
            things=(things := rng.choice(topic.plurals)),
            Things=_capitalised(things),
            adj=adj,
            adj2=adj2,
            verb=rng.choice(topic.verbs),
            act=act,
            act2=act2,
            place=rng.choice(topic.places),
            who=who,
            Who=_capitalised(who),
            who2=who2,
            when=when,
            When=_capitalised(when),
            where=(where := rng.choice(_WHERE)),
            Where=_capitalised(where),
            mod=rng.choice(_MOD),
            age=rng.choice(_AGE),
            count=rng.choice(_COUNT),
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
    return _capitalised(text)


def _act(rng: random.Random, topic: Topic) -> str:
    if rng.random() < SHARED_ACT_RATE:
        frame = rng.choice(_SHARED_ACTS)
        return frame.format(thing=rng.choice(topic.things), things=rng.choice(topic.plurals))
    return rng.choice(topic.acts)


def paragraph(rng: random.Random, topic: Topic, n_min: int = 1, n_max: int = 5) -> str:
    """`n_min`..`n_max` sentences on `topic`; after the first, some are topic-free asides."""
    out = [sentence(rng, topic)]
    for _ in range(rng.randint(n_min, n_max) - 1):
        out.append(rng.choice(_ASIDES) if rng.random() < ASIDE_RATE else sentence(rng, topic))
    return " ".join(out)


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


_LOWER_WORD_RE = re.compile(r"\b[a-z]{3,}\b")
_ONSETS = (*"bdfgklmnprstvz", "br", "dr", "gl", "pl", "st", "tr")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ou")
_CODAS = ("", "", "n", "r", "s", "t", "l", "m")


def made_up_word(rng: random.Random) -> str:
    """A random pronounceable word ("glaiton", "vumor"), almost never one of the corpus's: the
    tokenizer, trained on the clean corpus, splits it into pieces, as it splits a word a user
    types that the corpus lacks."""
    return "".join(
        rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
        for _ in range(rng.randint(2, 3))
    )


def with_made_up_words(docs: list[Document], seed: int, rate: float) -> list[Document]:
    """`docs` with each lower-case word of three or more letters in the plain documents (not the
    chats, whose role names must stay) replaced, with probability `rate`, by a made-up word.

    For the LM's training text only: a sentence a user types has words the corpus lacks, and an
    LM that never saw one lets the unfamiliar pieces reset what it knows of the topic (the
    sentence end after them reads as an aside). With a few made-up words in every topic, the
    topic has to outlast them."""
    rng = random.Random(seed)

    def swap(match: re.Match[str]) -> str:
        return made_up_word(rng) if rng.random() < rate else match.group(0)

    return [
        d if IM_START in d.text else Document(d.topic, _LOWER_WORD_RE.sub(swap, d.text))
        for d in docs
    ]


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
