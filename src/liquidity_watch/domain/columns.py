"""Units in column names: every warehouse value carries its unit as the column's suffix.

``reserves_usd_mn`` is in millions of US dollars, ``sofr_pct`` in percent,
``sofr_minus_iorb_bp`` in basis points. The export manifest and the report read units
from here.
"""

from __future__ import annotations

#: Column-name suffix -> what the unit is, longest suffix first.
UNITS: dict[str, str] = {
    "usd_mn": "millions of US dollars",
    "usd_bn": "billions of US dollars",
    "pct": "percent",
    "bp": "basis points",
}


def column_unit(column: str) -> str | None:
    """The unit a column name ends in (``usd_mn``, ``usd_bn``, ``pct`` or ``bp``), else None.

    >>> column_unit("reserves_change_13w_usd_mn"), column_unit("sofr_minus_iorb_bp"), column_unit("severity")
    ('usd_mn', 'bp', None)
    """
    for unit in UNITS:
        if column.endswith(f"_{unit}"):
            return unit
    return None
