"""Fitting text into a size limit block by block, cutting a table's rows rather than dropping
the table, with notes saying what was left out (used for PR comments)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate


def size(text: str) -> int:
    """Length in UTF-16 code units: services that cap text (GitHub's 65 536 characters) count
    either code points or UTF-16 units, and this is the larger of the two."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Block:
    """Complete lines of text; ``rows`` (one line each, e.g. table rows) may be cut short, and
    ``tail`` is dropped when they are."""

    head: str
    rows: tuple[str, ...] = ()
    tail: str = ""

    def text(self, keep: int | None = None) -> str:
        """The block, or its head and first ``keep`` rows with a note on the rest."""
        if keep is None or keep >= len(self.rows):
            return self.head + "".join(row + "\n" for row in self.rows) + self.tail
        kept = "".join(row + "\n" for row in self.rows[:keep])
        return self.head + kept + "\n" + _rows_note(len(self.rows) - keep)


def _rows_note(omitted: int) -> str:
    return f"_… {omitted} more rows left out to fit._\n"


def _final_note(omitted: int, total: int) -> str:
    what = f"{omitted} of {total} parts left out" if omitted else "the last part is cut short"
    return f"_Truncated to fit a comment: {what}; the JSON and HTML reports have everything._\n"


def fit(blocks: Sequence[Block], max_chars: int) -> str:
    """The blocks joined by blank lines, within ``max_chars`` (see ``size``): blocks are taken
    in order while they fit; the first one that does not is cut to the rows that fit (or left
    out), and a final note says what is missing. ``max_chars`` must leave room for the first
    block and the note."""
    texts = [block.text() for block in blocks]
    sizes = [size(text) + 1 for text in texts]  # + 1: the blank line joining blocks
    suffix = list(accumulate(reversed(sizes)))[::-1]
    reserve = size(_final_note(len(blocks), len(blocks))) + 1
    out: list[str] = []
    used = 0
    for index, block in enumerate(blocks):
        if used + suffix[index] <= max_chars + 1:
            out += texts[index:]
            break
        if used + sizes[index] + reserve <= max_chars + 1:
            out.append(texts[index])
            used += sizes[index]
            continue
        keep = _rows_that_fit(block, max_chars + 1 - used - reserve)
        if keep:
            out.append(block.text(keep))
        out.append(_final_note(len(blocks) - index - (1 if keep else 0), len(blocks)))
        break
    return "\n".join(out)


def _rows_that_fit(block: Block, budget: int) -> int:
    fixed = size(block.head) + 1 + size(_rows_note(len(block.rows))) + 1
    cumulative = accumulate(size(row) + 1 for row in block.rows)
    return sum(1 for total in cumulative if fixed + total <= budget)
