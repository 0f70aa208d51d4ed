"""A Slack message as a person reads it in a terminal: the same title, signs and facts, as plain lines.

The terminal shows what Slack shows, from the same Block Kit blocks: the title, what the grade
means, the three signs one per line, the facts as ``name: value``, the thresholds and the
footnote. Slack's markup (``*bold*``, ``:emoji:``) is dropped. Lines are not wrapped here:
the command that prints them wraps them to its terminal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_EMOJI = re.compile(r":[a-z0-9_+-]+:\s*")
_BOLD = re.compile(r"\*([^*\n]+)\*")


def plain(mrkdwn: str) -> str:
    """Slack ``mrkdwn`` as plain text: no emoji codes, no bold markers.

    >>> plain(":rotating_light: *Repo rates above IORB* on, 5 of 5 days")
    'Repo rates above IORB on, 5 of 5 days'
    """
    return _BOLD.sub(r"\1", _EMOJI.sub("", mrkdwn)).strip()


def terminal_lines(payload: Mapping[str, Any]) -> list[str]:
    """The message's blocks as plain lines, a blank line between blocks but none under the header (its
    fallback text if it has no blocks).

    >>> terminal_lines({"text": "t", "blocks": [
    ...     {"type": "header", "text": {"type": "plain_text", "text": "ALERT: x (2019-09-17)"}},
    ...     {"type": "section", "text": {"type": "mrkdwn", "text": "*The Fed's three signs*\\n*Repo* on"}},
    ...     {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Reserves*\\n$1,394bn"}]},
    ...     {"type": "context", "elements": [{"type": "mrkdwn", "text": "Thresholds: a=1"}]}]})
    ['ALERT: x (2019-09-17)', "The Fed's three signs", 'Repo on', '', 'Reserves: $1,394bn', '', 'Thresholds: a=1']
    """
    blocks = payload.get("blocks") or []
    if not blocks:
        return [str(payload.get("text", ""))]
    lines: list[str] = []
    after_header = False
    for block in blocks:
        found: list[str] = []
        if "text" in block:
            found += [plain(line) for line in block["text"]["text"].splitlines()]
        for field in block.get("fields", []):
            name, _, value = field["text"].partition("\n")
            found.append(f"{plain(name)}: {plain(value)}" if value else plain(name))
        for element in block.get("elements", []):
            found += [plain(line) for line in element.get("text", "").splitlines()]
        found = [line for line in found if line]
        if found:
            lines += [*([""] if lines and not after_header else []), *found]  # the header heads the next block
            after_header = block.get("type") == "header"
    return lines
