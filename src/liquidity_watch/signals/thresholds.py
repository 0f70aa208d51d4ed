"""The signal thresholds: one TOML file (the packaged ``thresholds.toml`` by default), loaded once, echoed."""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from liquidity_watch.resources import default_thresholds_file


@dataclass(frozen=True)
class Thresholds:
    cut_lookback_days: int
    iorb_drop_bp: float
    iorb_lookback_days: int
    qt_runoff_13w_usd_mn: float
    qt_runoff_4w_usd_mn: float
    total_assets_fall_4w_usd_mn: float
    sofr_minus_iorb_bp: float
    sofr_p99_minus_iorb_bp: float
    reserves_below_usd_mn: float
    reserves_fall_13w_usd_mn: float
    reserves_below_52w_high_pct: float

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def load_thresholds(path: Path | None = None) -> Thresholds:
    """Read the thresholds file; every key must be present and numeric (the error names the key)."""
    path = Path(path) if path else default_thresholds_file()
    try:
        doc = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"thresholds file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"thresholds file {path} is not valid TOML: {exc}") from None
    flat = {key: value for section in doc.values() if isinstance(section, dict) for key, value in section.items()}
    expected = set(Thresholds.__dataclass_fields__)
    missing, unknown = sorted(expected - set(flat)), sorted(set(flat) - expected)
    if missing or unknown:
        raise ValueError(f"thresholds file {path}: missing {missing}, unknown {unknown}")
    bad = sorted(k for k, v in flat.items() if isinstance(v, bool) or not isinstance(v, (int, float)))
    if bad:
        raise ValueError(f"thresholds file {path}: {bad} must be numbers")
    return Thresholds(**flat)
