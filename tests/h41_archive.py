"""H.4.1 release archives in the Board's documented structure, built at test time (never committed).

The layout is the one docs/sources.md documents for ``rel=H41&filetype=zip``: a ZIP holding exactly ``H41_data.xml``,
``H41_struct.xml``, ``H41_H41.xsd`` and ``frb_common.xsd``; the data member is SDMX-ML compact
(``message:MessageGroup`` > ``message:Header`` with ``message:Prepared``, then ``frb:DataSet`` >
``kf:Series`` with ``SERIES_NAME``, ``UNIT``, ``UNIT_MULT``, ``CURRENCY`` and an annotation, >
``frb:Obs`` with ``TIME_PERIOD``, ``OBS_VALUE``, ``OBS_STATUS``). Values come from the bundled
snapshot (FRED's copies of the H.4.1 series); *filler* series in the same form stand for the
hundreds of other H.4.1 series that make the real file about 100 MB, so that size and memory
are exercised for real. Used by the tests (a session-cached archive) and by the benchmark.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from liquidity_watch.sources.ddp import H41_SERIES

NAMESPACES = (
    'xmlns:message="http://www.SDMX.org/resources/SDMXML/schemas/v1_0/message" '
    'xmlns:common="http://www.SDMX.org/resources/SDMXML/schemas/v1_0/common" '
    'xmlns:frb="http://www.federalreserve.gov/structure/compact/common" '
    'xmlns:kf="http://www.federalreserve.gov/structure/compact/H41_H41" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)
PREPARED = "2026-08-27T16:30:00"
FIRST_WEEK = dt.date(2002, 12, 18)
#: what a missing observation looks like in the file: a status other than A and a sentinel value
MISSING_STATUS, MISSING_VALUE = "NA", "-9999"
SMALL_MEMBERS = {
    "H41_struct.xml": b'<?xml version="1.0" encoding="UTF-8"?>\n<Structure><CodeLists/></Structure>\n',
    "H41_H41.xsd": b'<?xml version="1.0" encoding="UTF-8"?>\n<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>\n',
    "frb_common.xsd": b'<?xml version="1.0" encoding="UTF-8"?>\n<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>\n',
}
_SERIES_NAMES = {sid: name for name, sid in H41_SERIES.items()}


def wednesdays(last: dt.date) -> list[dt.date]:
    days, day = [], FIRST_WEEK
    while day <= last:
        days.append(day)
        day += dt.timedelta(days=7)
    return days


def _series_open(name: str, attributes: dict[str, str], description: str) -> str:
    attrs = {
        "SERIES_NAME": name,
        "FREQ": "19",
        "CATEGORY": "ASSET",
        "DISTRIBUTION": "TOT",
        "SERIESTYPE": "A" if "_XAW_" in name else "L",
        "UNIT": "Currency",
        "UNIT_MULT": "1000000",
        "CURRENCY": "USD",
        **attributes,
    }
    text = " ".join(f'{k}="{v}"' for k, v in attrs.items() if v is not None)
    return (
        f"    <kf:Series {text}>\n"
        "      <frb:Annotations><common:Annotation>"
        "<common:AnnotationType>Short Description</common:AnnotationType>"
        f'<common:AnnotationText xml:lang="en">{description}</common:AnnotationText>'
        "</common:Annotation></frb:Annotations>\n"
    )


def _obs(day: str, value: str, status: str) -> str:
    return f'      <frb:Obs OBS_STATUS="{status}" OBS_VALUE="{value}" TIME_PERIOD="{day}" />\n'


def data_xml(
    observations: pl.DataFrame,
    *,
    filler_bytes: int = 0,
    attributes: dict[str, dict[str, str]] | None = None,
    drop: frozenset[str] = frozenset(),
    statuses: dict[tuple[str, dt.date], str] | None = None,
    prepared: str = PREPARED,
) -> Iterator[bytes]:
    """``H41_data.xml`` in chunks: the snapshot's H.4.1 series, then filler series up to ``filler_bytes``.

    ``attributes`` overrides Series attributes by SERIES_NAME (a unit change), ``drop`` leaves
    series out, ``statuses`` marks observations (SERIES_NAME, date) with another OBS_STATUS.
    """
    attributes, statuses = attributes or {}, statuses or {}
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<message:MessageGroup {NAMESPACES}>\n"
        "  <message:Header><message:ID>H41</message:ID><message:Test>false</message:Test>"
        '<message:Name xml:lang="en">Factors Affecting Reserve Balances</message:Name>'
        f"<message:Prepared>{prepared}</message:Prepared>"
        '<message:Sender id="FRB"><message:Name xml:lang="en">Federal Reserve Board</message:Name></message:Sender>'
        "</message:Header>\n"
        '  <frb:DataSet id="H41">\n'
    ).encode()
    h41 = observations.filter(pl.col("series_id").is_in(list(_SERIES_NAMES)))
    last = h41["date"].max() if h41.height else dt.date(2026, 8, 26)
    weeks = wednesdays(last)
    for (sid,), group in sorted(h41.group_by("series_id"), key=lambda g: str(g[0][0])):
        name = _SERIES_NAMES[str(sid)]
        if name in drop:
            continue
        values = dict(zip(group["date"], group["value"], strict=True))
        parts = [_series_open(name, attributes.get(name, {}), f"{sid}: H.4.1 {name}")]
        for day in weeks:
            status = statuses.get((name, day))
            if day in values and status is None:
                parts.append(_obs(day.isoformat(), f"{values[day]:.0f}", "A"))
            elif day in values or status is not None:
                parts.append(_obs(day.isoformat(), MISSING_VALUE, status or MISSING_STATUS))
        parts.append("    </kf:Series>\n")
        yield "".join(parts).encode()
    written, i = 0, 0
    days = [d.isoformat() for d in weeks]
    while written < filler_bytes:
        name = f"RESPPF{i:04d}_N.WW"
        parts = [_series_open(name, {}, f"Filler series {i} (stands for the other H.4.1 series)")]
        parts += [_obs(day, str((i * 7919 + k * 104729) % 9_000_000 + 1000), "A") for k, day in enumerate(days)]
        parts.append("    </kf:Series>\n")
        chunk = "".join(parts).encode()
        written += len(chunk)
        i += 1
        yield chunk
    yield b"  </frb:DataSet>\n</message:MessageGroup>\n"


def write_archive(
    target: Path | io.BytesIO,
    observations: pl.DataFrame,
    *,
    filler_bytes: int = 0,
    members: dict[str, bytes | None] | None = None,
    compresslevel: int = 1,
    **xml: object,
) -> int:
    """Write a release archive to ``target``; return the size of ``H41_data.xml`` in bytes.

    ``members`` adds members, replaces them (bytes) or leaves them out (``None``), by name;
    an entry named ``H41_data.xml`` with bytes replaces the generated data.
    """
    members = dict(members or {})
    size = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive:
        data = members.pop("H41_data.xml", b"")
        if data is not None:
            with archive.open("H41_data.xml", "w", force_zip64=True) as member:
                chunks = [data] if data else data_xml(observations, filler_bytes=filler_bytes, **xml)  # type: ignore[arg-type]
                for chunk in chunks:
                    member.write(chunk)
                    size += len(chunk)
        for name, body in {**SMALL_MEMBERS, **members}.items():
            if body is not None:
                archive.writestr(name, body)
    return size


def archive_bytes(observations: pl.DataFrame, **options: object) -> bytes:
    """A (small) release archive in memory."""
    buffer = io.BytesIO()
    write_archive(buffer, observations, **options)  # type: ignore[arg-type]
    return buffer.getvalue()


#: PRATES series in the fake: SERIES_NAME -> (canonical id the values come from, short description)
PRATES_SERIES = {
    "RESBM_N.D": ("IORB", "Interest rate on reserve balances (IORB rate), Last Changed 12-11-2025"),
    "RESBME_N.D": ("IOER", "Interest rate on excess reserves (IOER rate), Last Changed 06-17-2021"),
    "RESBMS_N.D": ("IOER", "Interest rate on required reserves (IORR rate), Last Changed 06-17-2021"),
}
PRATES_NAMESPACES = NAMESPACES.replace("compact/H41_H41", "compact/PRATES_PRATES_POLICY_RATES")


def prates_xml(
    observations: pl.DataFrame,
    *,
    series: dict[str, tuple[str, str]] | None = None,
    attributes: dict[str, dict[str, str]] | None = None,
    prepared: str = PREPARED,
) -> bytes:
    """``PRATES_data.xml``: daily policy-rate series (weekends included) in percent, from the snapshot's IORB and IOER.

    ``series`` replaces the series written (SERIES_NAME -> (canonical id, description)); ``attributes``
    overrides Series attributes by SERIES_NAME.
    """
    attributes = attributes or {}
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<message:MessageGroup {PRATES_NAMESPACES}>\n"
        "  <message:Header><message:ID>PRATES</message:ID><message:Test>false</message:Test>"
        f"<message:Prepared>{prepared}</message:Prepared></message:Header>\n"
        '  <frb:DataSet id="PRATES_POLICY_RATES">\n'
    ]
    for name, (sid, text) in (series if series is not None else PRATES_SERIES).items():
        rows = observations.filter(pl.col("series_id") == sid).sort("date")
        attrs = {"FREQ": "8", "UNIT": "Percent", "UNIT_MULT": "1", "CURRENCY": "NA", "INT_RATES_PAID": "IOR"}
        parts.append(_series_open(name, {**attrs, **attributes.get(name, {})}, text))
        parts += [_obs(day.isoformat(), f"{value:.2f}", "A") for day, value in rows.select("date", "value").rows()]
        parts.append("    </kf:Series>\n")
    parts.append("  </frb:DataSet>\n</message:MessageGroup>\n")
    return "".join(parts).encode()


def prates_archive_bytes(observations: pl.DataFrame, **xml: object) -> bytes:
    """The PRATES release archive: its data member and small structure and schema members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("PRATES_data.xml", prates_xml(observations, **xml))  # type: ignore[arg-type]
        archive.writestr("PRATES_struct.xml", SMALL_MEMBERS["H41_struct.xml"])
        archive.writestr("PRATES_PRATES_POLICY_RATES.xsd", SMALL_MEMBERS["H41_H41.xsd"])
        archive.writestr("frb_common.xsd", SMALL_MEMBERS["frb_common.xsd"])
    return buffer.getvalue()
