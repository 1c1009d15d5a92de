"""`tandem bench …`: measurements printed as figures and ratios (never asserted in tests)."""

from __future__ import annotations

import numpy as np

#: How headless Chromium is started for the browser benches and tests: no network of its own.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def percentiles(values: list[float]) -> dict[str, float | int | None]:
    """p50, p95 and max of ``values`` (rounded to ms), and how many there were."""
    if not values:
        return {"p50": None, "p95": None, "max": None, "n": 0}
    array = np.asarray(values)
    return {
        "p50": round(float(np.percentile(array, 50)), 3),
        "p95": round(float(np.percentile(array, 95)), 3),
        "max": round(float(array.max()), 3),
        "n": len(values),
    }


class BenchInputError(ValueError):
    """A bench's input (manifest, folder, recording) is missing or malformed; the message
    says which and why. The CLI prints it as one line."""
