"""The code blocks of README.md and docs/*.md, as the docs test runs them.

A block is runnable when its fence names a shell or Python (`sh`, `bash`, `python`). Each one
carries a marker, an HTML comment on the line just above its fence (invisible when rendered):

- `<!-- example -->`: run it against the live test server;
- `<!-- example: skip (why) -->`: not run, for the reason given (it needs the internet, a GPU,
  or it starts a long-running server);
- `<!-- output -->` above any fence: what the last example above it printed, compared with
  `...` standing for any text and any run of white space equal to any other.

Blocks are run as the reader would (shell blocks from the checkout, Python blocks from an empty
directory, both with an empty directory as `$HOME`), with three substitutions: the site address
`http://localhost:3000` becomes the live server's, the placeholder key `sk-np-...` a real key,
and `<INFERENCE_SECRET>` the test settings' secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNNABLE_LANGUAGES = {"sh": "bash", "bash": "bash", "python": "python"}
_FENCE = re.compile(r"^(\s*)```(\S*)\s*$")  # fences inside list items are indented
_MARKER = re.compile(r"^\s*<!--\s*(example|output)(?::\s*skip\s*\((.+)\))?\s*-->\s*$")


@dataclass
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    language: str
    text: str
    marker: str | None  # "example", "output" or None
    skip_reason: str | None = None
    output: Block | None = None  # the shown output that follows an example

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def runnable(self) -> bool:
        return self.language in RUNNABLE_LANGUAGES


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(path: Path) -> list[Block]:
    """Every fenced block of `path`, with its marker; outputs attached to their examples."""
    found: list[Block] = []
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if fence is None:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].lstrip().startswith("```"))
        marker = _MARKER.match(lines[i - 1]) if i > 0 else None
        indent = len(fence.group(1))
        block = Block(
            path=path,
            line=i + 1,
            language=fence.group(2),
            text="\n".join(line[indent:] for line in lines[i + 1 : end]) + "\n",
            marker=marker.group(1) if marker else None,
            skip_reason=marker.group(2) if marker else None,
        )
        if block.marker == "output":
            shown_for = next((b for b in reversed(found) if b.marker == "example"), None)
            if shown_for is None:
                raise ValueError(f"{block.where}: an output with no example above it")
            shown_for.output = block
        found.append(block)
        i = end + 1
    return found


def substitute(text: str, site_url: str, api_key: str, inference_secret: str) -> str:
    return (
        text.replace("http://localhost:3000", site_url)
        .replace("sk-np-...", api_key)
        .replace("<INFERENCE_SECRET>", inference_secret)
    )


def output_pattern(shown: str) -> re.Pattern[str]:
    """`...` is any text; white space matches any white space (or none, at the edges)."""
    parts = []
    for piece in shown.strip().split("..."):
        words = piece.split()
        parts.append(r"\s+".join(re.escape(w) for w in words))
    return re.compile(r"\s*" + r"[\s\S]*?".join(parts) + r"\s*", re.DOTALL)


def matches(shown: str, printed: str) -> bool:
    return output_pattern(shown).fullmatch(printed.strip()) is not None
