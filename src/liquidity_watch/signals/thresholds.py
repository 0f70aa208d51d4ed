"""The signal thresholds: one TOML file (the packaged ``thresholds.toml`` by default), validated, echoed.

The file has one table per rule. Each table is a typed model: a key outside its table, an
unknown key, a word where a number belongs, NaN or infinity, or a value outside the key's
plausible range is refused with a one-line error naming the table, the key and the bound.
The plausible ranges (``RANGES``, in docs/signals.md) are wide margins over history, so a
value that passes can still be a choice, but never one that silences a rule for good:

* windows and lookbacks: at least 1 and at most a year (262 fixings, the most weekdays a
  year has; 366 calendar days); a count of days in the window at most the window;
* basis points: within +/-1000 bp. The widest spread in history is SOFR - IORB at +315 bp
  (2019-09-17) and the largest IORB cut 150 bp (2020-03-15): 1000 bp is three times either;
* amounts ($mn): at most $10 tn. Nothing the balance sheet does can exceed the whole balance
  sheet, whose peak was $8.97 tn (2022-04);
* shares and percentages: strictly inside 0-100 % (0 or 100 makes a rule always or never on).

A file whose values differ from the packaged defaults is listed key by key
(``Thresholds.changes``), for the run summary and the artifact.

Keys added after the first release (``ADDED``) may be missing from a user's older copy:
they then take the documented default (the packaged file's value) and ``Thresholds.notes``
says so, for the run log and the backtest to print. A missing original key is an error.
Keys the rules no longer read (``RETIRED``) are ignored with a note.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from liquidity_watch.domain.rules import Rule
from liquidity_watch.resources import default_thresholds_file

#: the most weekdays in a year (2024): a window of published fixings is at most a year of them
MAX_FIXINGS = 262
#: a lookback in calendar days is at most a year
MAX_CALENDAR_DAYS = 366
#: three times the widest spread (SOFR - IORB +315 bp, 2019-09-17) and largest cut (150 bp) seen
MAX_ABS_BP = 1000.0
#: above the balance sheet's peak ($8.97 tn, 2022-04): no change in it can be larger ($mn)
MAX_AMOUNT_USD_MN = 10_000_000.0

Fixings = Annotated[int, Field(gt=0, le=MAX_FIXINGS)]
CalendarDays = Annotated[int, Field(gt=0, le=MAX_CALENDAR_DAYS)]
Amount = Annotated[float, Field(ge=0, le=MAX_AMOUNT_USD_MN)]
Percent = Annotated[float, Field(gt=0, lt=100)]
Basis = Annotated[float, Field(ge=-MAX_ABS_BP, le=MAX_ABS_BP)]
BasisRise = Annotated[float, Field(ge=0, le=MAX_ABS_BP)]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class Easing(_Table):
    """The Fed is easing: a cut of the target range's top, or IORB falling."""

    cut_lookback_days: CalendarDays
    iorb_drop_bp: BasisRise
    iorb_lookback_days: CalendarDays


class Draining(_Table):
    """The balance sheet is shrinking."""

    qt_runoff_13w_usd_mn: Amount
    qt_runoff_4w_usd_mn: Amount
    total_assets_fall_4w_usd_mn: Amount


class Persistence(_Table):
    """How far back each of the three signs looks."""

    window_days: Fixings = 20


class RepoRates(_Table):
    """Sign (a): repo rates above the Fed's administered rate (IORB)."""

    sofr_above_iorb_share_pct: Percent = 80.0
    tgcr_above_iorb_share_pct: Percent = 50.0
    sofr_minus_iorb_median_bp: Basis = 3.0


class FacilityUse(_Table):
    """Sign (b): take-up at the Fed's repo operations / Standing Repo Facility."""

    takeup_floor_usd_mn: Amount = 1500.0
    takeup_days: Fixings = 2


class EffrRising(_Table):
    """Sign (c): EFFR rising relative to IORB."""

    change_lag_days: Fixings = 60
    effr_minus_iorb_rise_bp: BasisRise = 3.0


class Scarcity(_Table):
    """Reserves low against banks' assets, or far below their 52-week high."""

    reserves_below_52w_high_pct: Percent
    reserves_to_bank_assets_pct: Percent = 9.33


class Stress(_Table):
    """Critical: stress repeating off the known pressure days, or a break beyond what they show."""

    off_calendar_sofr_minus_iorb_bp: Basis = 15.0
    off_calendar_days: Fixings = 3
    break_sofr_minus_iorb_bp: Basis = 36.0
    break_effr_minus_iorb_bp: Basis = 10.0


#: Table name -> its model, in file order.
TABLES: dict[str, type[_Table]] = {
    "easing": Easing,
    "draining": Draining,
    "persistence": Persistence,
    "repo_rates": RepoRates,
    "facility_use": FacilityUse,
    "effr_rising": EffrRising,
    "scarcity": Scarcity,
    "stress": Stress,
}
#: The tables each rule reads: its own, and [persistence] for the three signs and stress,
#: which count over the last ``window_days`` fixings. ``core.signals.thresholds`` holds these.
RULE_TABLES: dict[Rule, tuple[str, ...]] = {
    Rule.EASING: ("easing",),
    Rule.DRAINING: ("draining",),
    Rule.REPO_RATES: ("persistence", "repo_rates"),
    Rule.FACILITY_USE: ("persistence", "facility_use"),
    Rule.EFFR_RISING: ("persistence", "effr_rising"),
    Rule.SCARCITY: ("scarcity",),
    Rule.STRESS: ("persistence", "stress"),
}
#: Every key -> the table it belongs in (key names are unique across tables).
KEY_TABLE: dict[str, str] = {key: table for table, model in TABLES.items() for key in model.model_fields}
#: Keys the first release had: a file without one of them is refused.
ORIGINAL = frozenset(
    {
        "cut_lookback_days",
        "iorb_drop_bp",
        "iorb_lookback_days",
        "qt_runoff_13w_usd_mn",
        "qt_runoff_4w_usd_mn",
        "total_assets_fall_4w_usd_mn",
        "reserves_below_52w_high_pct",
    }
)
#: Keys added since (they have a documented default).
ADDED = frozenset(KEY_TABLE) - ORIGINAL
#: Keys of the first release the rules no longer read -> why.
RETIRED: dict[str, str] = {
    "sofr_minus_iorb_bp": "a one-day SOFR - IORB level is no longer a rule (see [repo_rates] and [stress])",
    "sofr_p99_minus_iorb_bp": "SOFR's 99th percentile is no longer a rule",
    "reserves_below_usd_mn": "scarcity is now relative to banks' assets ([scarcity] reserves_to_bank_assets_pct)",
    "reserves_fall_13w_usd_mn": "scarcity is now relative to banks' assets ([scarcity] reserves_to_bank_assets_pct)",
}


@dataclass(frozen=True)
class Thresholds:
    """Every threshold in force, flat (key names are unique), plus what loading noticed."""

    cut_lookback_days: int
    iorb_drop_bp: float
    iorb_lookback_days: int
    qt_runoff_13w_usd_mn: float
    qt_runoff_4w_usd_mn: float
    total_assets_fall_4w_usd_mn: float
    window_days: int
    sofr_above_iorb_share_pct: float
    tgcr_above_iorb_share_pct: float
    sofr_minus_iorb_median_bp: float
    takeup_floor_usd_mn: float
    takeup_days: int
    change_lag_days: int
    effr_minus_iorb_rise_bp: float
    reserves_below_52w_high_pct: float
    reserves_to_bank_assets_pct: float
    off_calendar_sofr_minus_iorb_bp: float
    off_calendar_days: int
    break_sofr_minus_iorb_bp: float
    break_effr_minus_iorb_bp: float
    notes: tuple[str, ...] = field(default=(), compare=False)
    changes: tuple[str, ...] = field(default=(), compare=False)

    def values(self) -> dict[str, float]:
        """Key -> value, without the notes and changes."""
        out = asdict(self)
        out.pop("notes")
        out.pop("changes")
        return out

    def to_json(self) -> str:
        return json.dumps(self.values(), sort_keys=True)


def rule_thresholds(values: Mapping[str, float], rule: str) -> dict[str, float]:
    """The thresholds ``rule`` reads, picked from all of them (``Thresholds.values()``).

    >>> sorted(rule_thresholds(load_thresholds().values(), "facility_use"))
    ['takeup_days', 'takeup_floor_usd_mn', 'window_days']
    """
    tables = RULE_TABLES[Rule(rule)]
    return {key: value for key, value in values.items() if KEY_TABLE[key] in tables}


def defaults() -> dict[str, Any]:
    """The documented default of every key that has one (the packaged file must agree: a test checks)."""
    return {
        key: info.default
        for model in TABLES.values()
        for key, info in model.model_fields.items()
        if not info.is_required()
    }


def plausible_range(key: str) -> str:
    """A key's plausible range in words, from its model.

    >>> plausible_range("window_days"), plausible_range("sofr_above_iorb_share_pct")
    ('1 to 262', 'more than 0, less than 100')
    """
    info = TABLES[KEY_TABLE[key]].model_fields[key]
    bounds = {type(m).__name__: getattr(m, type(m).__name__.lower()) for m in info.metadata}
    low = f"{bounds['Ge']:,.10g}" if "Ge" in bounds else None
    high = f"{bounds['Le']:,.10g}" if "Le" in bounds else None
    if "Gt" in bounds and info.annotation is int:
        low = f"{bounds['Gt'] + 1:,.10g}"
    if low is not None and high is not None:
        return f"{low} to {high}"
    parts = [f"more than {bounds['Gt']:,.10g}" if low is None else f"at least {low}"]
    parts.append(f"less than {bounds['Lt']:,.10g}" if high is None else f"at most {high}")
    return ", ".join(parts)


#: Every key -> its plausible range in words (docs/signals.md lists them; a test holds the two equal).
RANGES: dict[str, str] = {key: plausible_range(key) for key in KEY_TABLE}
#: counts of days that must fit in the persistence window, for the window to ever reach them
COUNTS_IN_WINDOW = ("takeup_days", "off_calendar_days")


def changes_from(values: Mapping[str, float], packaged: Mapping[str, float]) -> tuple[str, ...]:
    """Each key whose value differs from the packaged default: ``[table] key = value (packaged default)``.

    >>> changes_from({"window_days": 30, "takeup_days": 2}, {"window_days": 20, "takeup_days": 2})
    ('[persistence] window_days = 30 (packaged: 20)',)
    """
    return tuple(
        f"[{KEY_TABLE[key]}] {key} = {value:g} (packaged: {packaged[key]:g})"
        for key, value in values.items()
        if key in packaged and value != packaged[key]
    )


def _refuse(path: Path, message: str) -> ValueError:
    return ValueError(f"thresholds file {path}: {message}")


def _describe(value: object) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return repr(value)


def load_thresholds(path: Path | None = None) -> Thresholds:
    """Read and validate the thresholds file; every error is one line naming the table and key.

    Examples
    --------
    >>> t = load_thresholds()
    >>> t.window_days, t.notes
    (20, ())
    """
    path = Path(path) if path else default_thresholds_file()
    try:
        doc = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"thresholds file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise _refuse(path, f"not valid TOML: {exc}") from None
    notes: list[str] = []
    tables: dict[str, dict[str, Any]] = {name: {} for name in TABLES}
    for name, body in doc.items():
        if not isinstance(body, dict):
            home = KEY_TABLE.get(name)
            where = f"; it belongs in [{home}]" if home else ""
            raise _refuse(path, f"{name} = {_describe(body)} is outside any table{where}")
        if name not in TABLES:
            raise _refuse(path, f"[{name}] is not a table of the rules; the tables are {', '.join(TABLES)}")
        for key, value in body.items():
            if key in RETIRED:
                notes.append(f"thresholds file {path}: [{name}] {key} is ignored: {RETIRED[key]}")
                continue
            home = KEY_TABLE.get(key)
            if home is None:
                raise _refuse(path, f"[{name}] {key} is not a known key")
            if home != name:
                raise _refuse(path, f"[{name}] {key} is in the wrong table; it belongs in [{home}]")
            tables[name][key] = value
    missing = sorted(key for key in ORIGINAL if key not in tables[KEY_TABLE[key]])
    if missing:
        raise _refuse(path, "missing " + ", ".join(f"[{KEY_TABLE[k]}] {k}" for k in missing))
    for key, default in sorted(defaults().items()):
        if key not in tables[KEY_TABLE[key]]:
            notes.append(
                f"thresholds file {path}: no [{KEY_TABLE[key]}] {key}; using the documented default {default:g}"
            )
    flat: dict[str, Any] = {}
    for name, model in TABLES.items():
        try:
            flat.update(model(**tables[name]).model_dump())
        except ValidationError as exc:
            error = exc.errors()[0]
            key = ".".join(str(part) for part in error["loc"])
            bound = f" (plausible range: {RANGES[key]})" if key in RANGES else ""
            message = f"[{name}] {key} = {_describe(error['input'])}: {error['msg'].lower()}{bound}"
            raise _refuse(path, message) from None
    for key in COUNTS_IN_WINDOW:
        if flat[key] > flat["window_days"]:
            raise _refuse(
                path,
                f"[{KEY_TABLE[key]}] {key} = {flat[key]} is more than [persistence] window_days = "
                f"{flat['window_days']}: the window can never hold that many days",
            )
    packaged = default_thresholds_file()
    changes = () if path == packaged else changes_from(flat, load_thresholds(packaged).values())
    return Thresholds(**flat, notes=tuple(notes), changes=changes)
