"""Streaming XML under bounds, with no DTD, entity or processing instruction: the reader under the Board's archives.

The Board's SDMX data files (``H41_data.xml``, and any other release read the same way) are
read with expat directly, as events, and never built into a tree: memory holds the open
elements' names and what the caller keeps, whatever the file's size or shape.

Refused at the parser level (expat handlers, as defusedxml does), whatever the file's
encoding (expat decodes UTF-8, UTF-16 with its byte-order mark, Latin-1 and ASCII before
any handler runs) and wherever the declaration stands:

* a document type declaration (``<!DOCTYPE``), and so any entity, attribute-list, element
  or notation declaration (they live only inside one), and any external entity;
* a processing instruction (``<?name ...?>``; the XML declaration is not one).

Counted as the bytes arrive, and refused the moment a count passes its bound (``XmlLimits``):
bytes expanded, elements, elements outside any data container (``Series``), elements in one
container, nesting depth,
and the bytes read without an element boundary (a single tag or text run the parser would
otherwise buffer whole). How each default bound was derived is written beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO
from xml.parsers import expat

#: The Board's whole H.4.1 data file was about 106 MB in 2023 (the Board's Choose page); its
#: smallest element, an observation ``<frb:Obs TIME_PERIOD="2026-08-19" OBS_VALUE="0"
#: OBS_STATUS="A"/>``, is 63 bytes, so a real file holds at most about 1.8 million elements.
#: Sixteen million is nine times that.
MAX_ELEMENTS = 16_000_000
#: Outside the series the documented layout has a header of about ten elements and the data
#: set element itself; ten thousand is a thousand times that.
MAX_OUTSIDE_ELEMENTS = 10_000
#: One series holds one element per observation (and a few for its annotations): daily data
#: for a century are under 36,600 observations, so no series of any Board release comes near
#: 100,000 elements.
MAX_PER_CONTAINER = 100_000
#: The documented layout nests six deep (MessageGroup > DataSet > Series > Annotations >
#: Annotation > AnnotationText); 32 is five times that.
MAX_DEPTH = 32
#: The longest documented token is a series' start tag (about 300 bytes with its dozen
#: attributes) or a series' short description; 1 MiB between two element boundaries is
#: thousands of times either, and bounds what expat buffers for one token.
MAX_TOKEN_BYTES = 1 << 20
#: Bytes handed to expat at a time.
CHUNK_BYTES = 1 << 16


class XmlRefused(ValueError):
    """The XML broke a rule of this reader (a declaration it refuses, or a bound); the message says which."""


@dataclass(frozen=True)
class XmlLimits:
    """The bounds one document is read under (bytes: the caller's expansion bound)."""

    max_bytes: int
    max_elements: int = MAX_ELEMENTS
    max_outside: int = MAX_OUTSIDE_ELEMENTS
    max_per_container: int = MAX_PER_CONTAINER
    max_depth: int = MAX_DEPTH
    max_token_bytes: int = MAX_TOKEN_BYTES


@dataclass
class XmlCounts:
    """What was read: bytes, elements, elements outside any container, the deepest nesting."""

    bytes: int = 0
    elements: int = 0
    outside: int = 0
    depth: int = 0
    deepest: int = 0
    events: int = 0
    _containers: list[int] = field(default_factory=list)
    _in_container: int = 0


def local_name(name: str) -> str:
    """An expat name (``uri}local`` with namespaces on) without its namespace.

    >>> local_name("http://www.federalreserve.gov/structure/compact/H41_H41}Series"), local_name("Obs")
    ('Series', 'Obs')
    """
    return name.rsplit("}", 1)[-1]


def stream_xml(
    stream: IO[bytes],
    *,
    what: str,
    limits: XmlLimits,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str, str], None] = lambda name, text: None,
    container: str = "Series",
    text_of: frozenset[str] = frozenset(),
) -> XmlCounts:
    """Read ``stream`` as XML events under ``limits``.

    Parameters
    ----------
    stream : the document's bytes, read ``CHUNK_BYTES`` at a time.
    what : the document's name, for messages (``H41_data.xml``).
    limits : the bounds; the first one passed stops the read.
    start : called with each element's local name and attributes as it opens.
    end : called with each element's local name as it closes, and its text when the name is
        in ``text_of`` (otherwise ``""``; no other text is kept).
    container : the local name of the elements that hold the data (``Series``); the elements
        outside every one of them are counted against ``limits.max_outside``.

    Raises
    ------
    XmlRefused
        A DTD, an entity, a processing instruction, or a bound passed: the message names it.
    expat.ExpatError
        The bytes are not well-formed XML (or in an encoding expat does not read).
    """
    counts = XmlCounts()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    text: list[str] = []
    collecting: list[int] = []  # the depth of the element whose text is collected, if any

    def refuse(kind: str) -> Callable[..., None]:
        def handler(*_args: object) -> None:
            where = f"line {parser.CurrentLineNumber}"
            refused = "refused: no DTD, entity or processing instruction is read"
            raise XmlRefused(f"{what} holds {kind} ({where}); {refused}")

        return handler

    parser.StartDoctypeDeclHandler = refuse("a document type declaration (<!DOCTYPE>)")
    parser.EntityDeclHandler = refuse("an entity declaration")
    parser.UnparsedEntityDeclHandler = refuse("an entity declaration")
    parser.NotationDeclHandler = refuse("a notation declaration")
    parser.ElementDeclHandler = refuse("an element declaration")
    parser.AttlistDeclHandler = refuse("an attribute-list declaration")
    parser.ExternalEntityRefHandler = refuse("an external entity")  # type: ignore[assignment]  # it raises, never returns
    parser.ProcessingInstructionHandler = refuse("a processing instruction")

    def on_text(data: str) -> None:
        text.append(data)
        if sum(map(len, text)) > limits.max_token_bytes:
            raise XmlRefused(f"{what}: an element's text is over {limits.max_token_bytes:,} characters")

    def on_start(name: str, attributes: dict[str, str]) -> None:
        counts.events += 1
        counts.elements += 1
        counts.depth += 1
        local = local_name(name)
        if counts.depth > counts.deepest:
            counts.deepest = counts.depth
            if counts.depth > limits.max_depth:
                line = parser.CurrentLineNumber
                raise XmlRefused(f"{what}: elements nest more than {limits.max_depth} deep (line {line})")
        if counts.elements > limits.max_elements:
            raise XmlRefused(f"{what}: more than {limits.max_elements:,} elements")
        if local == container:
            if not counts._containers:
                counts._in_container = 0
            counts._containers.append(counts.depth)
        elif counts._containers:
            counts._in_container += 1
            if counts._in_container > limits.max_per_container:
                raise XmlRefused(
                    f"{what}: more than {limits.max_per_container:,} elements in one {container} "
                    f"(line {parser.CurrentLineNumber})"
                )
        else:
            counts.outside += 1
            if counts.outside > limits.max_outside:
                raise XmlRefused(
                    f"{what}: more than {limits.max_outside:,} elements outside any {container} "
                    f"(line {parser.CurrentLineNumber})"
                )
        if local in text_of and not collecting:
            collecting.append(counts.depth)
            text.clear()
            parser.CharacterDataHandler = on_text
        start(local, attributes)

    def on_end(name: str) -> None:
        counts.events += 1
        local = local_name(name)
        body = ""
        if collecting and collecting[0] == counts.depth:
            collecting.clear()
            parser.CharacterDataHandler = None
            body = "".join(text)
            text.clear()
        if counts._containers and counts._containers[-1] == counts.depth:
            counts._containers.pop()
        counts.depth -= 1
        end(local, body)

    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    quiet = 0
    while chunk := stream.read(CHUNK_BYTES):
        counts.bytes += len(chunk)
        if counts.bytes > limits.max_bytes:
            raise XmlRefused(f"{what} expands past {limits.max_bytes:,} bytes")
        before = counts.events
        parser.Parse(chunk, False)
        quiet = quiet + len(chunk) if counts.events == before else 0
        if quiet > limits.max_token_bytes:
            raise XmlRefused(f"{what}: over {limits.max_token_bytes:,} bytes without an element boundary")
    parser.Parse(b"", True)
    return counts
