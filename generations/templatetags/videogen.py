"""Display filters for the pages: durations and money, formatted the same everywhere."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()

NOTHING = "\u2013"  # an en dash: "no value yet"


@register.filter
def seconds(value: float | int | None) -> str:
    """4.23 → "4.2 s", 75 → "1 min 15 s", 4000 → "1 h 6 min", None → an en dash."""
    if value is None or value == "":
        return NOTHING
    value = float(value)
    if value < 10:
        return f"{value:.1f} s"
    if value < 60:
        return f"{round(value)} s"
    minutes, rest = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


@register.filter
def usd(value: Decimal | float | str | None) -> str:
    """Dollars to the ledger's precision, trailing zeros dropped down to cents: "$0.10",
    "$0.0165". Rounding to cents would show the seed's $0.0055 image price as $0.01."""
    try:
        amount = Decimal(str(value if value not in (None, "") else 0)).quantize(Decimal("0.0001"))
    except InvalidOperation:
        return NOTHING
    text = f"{amount:.4f}"
    while text.endswith("0") and len(text.split(".")[1]) > 2:
        text = text[:-1]
    return f"${text}"
