"""The Board's policy rates (release PRATES): IORB, and IOER before it, from the whole-release ZIP.

Wire format (docs/sources.md; public clients that read the archive, e.g.
damianrt/ddptools): ``Output.aspx?rel=PRATES&filetype=zip`` holds ``PRATES_data.xml``, SDMX as in
H.4.1 (``sources.ddp_zip``, the one parsing core), with daily series (weekends included) in
``UNIT="Percent"``, ``UNIT_MULT="1"``, ``CURRENCY="NA"``. ``RESBME_N.D`` was the IOER rate and
``RESBMS_N.D`` the rate on required reserves; the IORB series' name is *unconfirmed*
(``RESBM_N.D`` in one public client). So a series is picked by its description (the
``Short Description`` annotation: "Interest rate on reserve balances (IORB rate), Last Changed
..."), with the unit checked as for H.4.1, and the known names only as a fallback for a
series without a description. What was picked is said in the payload's note and in
``sources check``. The other members of the archive are not documented: any small ``.xml`` or
``.xsd`` may come with the data member.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import IO

from liquidity_watch.domain.sources import Provider
from liquidity_watch.sources.ddp_zip import H41Release, ReleaseFormat, read_h41_archive
from liquidity_watch.sources.errors import ParseError

SOURCE = Provider.DDP
PRATES_FORMAT = ReleaseFormat(
    "PRATES",
    "PRATES_data.xml",
    None,
    (("UNIT", "Percent"), ("UNIT_MULT", "1"), ("CURRENCY", "NA")),
    "percent",
)
#: canonical id -> what its description says (case-insensitive)
DESCRIPTIONS = {
    "IORB": re.compile(r"\binterest\b.*\breserve balances\b", re.IGNORECASE),
    "IOER": re.compile(r"\binterest\b.*\bexcess reserves\b", re.IGNORECASE),
}
#: names seen in public code, used only for a series that has no description
KNOWN_NAMES = {"RESBM_N.D": "IORB", "RESBME_N.D": "IOER"}
#: the archive is small (two or three daily series since 2008); far below these bounds
MAX_ZIP_BYTES = 16 * 2**20
MAX_XML_BYTES = 64 * 2**20


class Picker:
    """Chooses IORB and IOER among PRATES' series by description (name as a fallback); refuses two for one."""

    def __init__(self, wanted: tuple[str, ...], url: str):
        self.wanted = wanted
        self.url = url
        self.how: dict[str, str] = {}
        self.names: list[str] = []

    def __call__(self, name: str, attributes: dict[str, str], text: str) -> str | None:
        self.names.append(name)
        if text:
            found = [sid for sid, pattern in DESCRIPTIONS.items() if pattern.search(text)]
            sid = found[0] if len(found) == 1 else None
            how = f"{name} ({text!r})"
        else:
            sid = KNOWN_NAMES.get(name)
            how = f"{name} (no description; by its name)"
        if sid is None or sid not in self.wanted:
            return None
        if sid in self.how:
            raise ParseError(SOURCE, self.url, f"two PRATES series could be {sid}: {self.how[sid]} and {how}; refused")
        self.how[sid] = how
        return sid

    def note(self) -> str:
        return "; ".join(f"{sid} from {how}" for sid, how in self.how.items())


def read_prates_archive(
    file: IO[bytes],
    *,
    url: str,
    wanted: tuple[str, ...],
    since: dict[str, dt.date] | None = None,
    end: dt.date | None = None,
    max_data_bytes: int = MAX_XML_BYTES,
) -> tuple[H41Release, str]:
    """The ``wanted`` policy rates (IORB, IOER) in the archive in ``file``, and which series they came from.

    A wanted series that no series' description (or known name) matches is refused by itself
    (``H41Release.problems``), naming the series the file holds.
    """
    picker = Picker(wanted, url)
    release = read_h41_archive(
        file,
        url=url,
        series={},
        required=(),
        max_data_bytes=max_data_bytes,
        since=since,
        end=end,
        fmt=PRATES_FORMAT,
        pick=picker,
    )
    problems = dict(release.problems)
    for sid in wanted:
        if sid not in release.picked and sid not in problems:
            names = ", ".join(picker.names) or "none"
            problems[sid] = f"no series of {PRATES_FORMAT.data_member} is described as {sid} (series: {names})"
    return H41Release(release.observations, release.prepared, problems, release.picked), picker.note()
