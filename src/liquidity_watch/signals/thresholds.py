"""The signal thresholds: one TOML file (the packaged ``thresholds.toml`` by default), validated, echoed.

The file has one table per rule. Each table is a typed model: a key outside its table, an
unknown key, a word where a number belongs, NaN or infinity, a negative amount or window,
or a percentage outside 0-100 is refused with a one-line error naming the table and the key.

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

PositiveInt = Annotated[int, Field(gt=0)]
Amount = Annotated[float, Field(ge=0)]
Percent = Annotated[float, Field(ge=0, le=100)]
Basis = float  # basis points: any finite number


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class Easing(_Table):
    """The Fed is easing: a cut of the target range's top, or IORB falling."""

    cut_lookback_days: PositiveInt
    iorb_drop_bp: Amount
    iorb_lookback_days: PositiveInt


class Draining(_Table):
    """The balance sheet is shrinking."""

    qt_runoff_13w_usd_mn: Amount
    qt_runoff_4w_usd_mn: Amount
    total_assets_fall_4w_usd_mn: Amount


class Persistence(_Table):
    """How far back each of the three signs looks."""

    window_days: PositiveInt = 20


class RepoRates(_Table):
    """Sign (a): repo rates above the Fed's administered rate (IORB)."""

    sofr_above_iorb_share_pct: Percent = 80.0
    tgcr_above_iorb_share_pct: Percent = 50.0
    sofr_minus_iorb_median_bp: Basis = 3.0


class FacilityUse(_Table):
    """Sign (b): take-up at the Fed's repo operations / Standing Repo Facility."""

    takeup_floor_usd_mn: Amount = 1500.0
    takeup_days: PositiveInt = 2


class EffrRising(_Table):
    """Sign (c): EFFR rising relative to IORB."""

    change_lag_days: PositiveInt = 60
    effr_minus_iorb_rise_bp: Amount = 3.0


class Scarcity(_Table):
    """Reserves low against banks' assets, or far below their 52-week high."""

    reserves_below_52w_high_pct: Percent
    reserves_to_bank_assets_pct: Percent = 9.33


class Stress(_Table):
    """Critical: stress repeating off the known pressure days, or a break beyond what they show."""

    off_calendar_sofr_minus_iorb_bp: Basis = 15.0
    off_calendar_days: PositiveInt = 3
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

    def values(self) -> dict[str, float]:
        """Key -> value, without the notes."""
        out = asdict(self)
        out.pop("notes")
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
            raise _refuse(path, f"[{name}] {key} = {_describe(error['input'])}: {error['msg'].lower()}") from None
    return Thresholds(**flat, notes=tuple(notes))
