"""The dashboard's partial plotly.js bundle: the pip package's version, every trace drawn."""

from __future__ import annotations

import re
from pathlib import Path

import plotly
import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dashboard" / "assets" / "vendor" / "plotly-tocsin.min.js"
ENTRY = ROOT / "scripts" / "plotly-bundle" / "entry.js"
FULL = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
VERSION = re.compile(r"plotly\.js v(\d+\.\d+\.\d+)")


def plotly_js_version() -> str:
    """Return the plotly.js version the installed Python plotly package ships and targets."""
    with FULL.open(encoding="utf-8") as full:
        found = VERSION.search(full.read(400))
    assert found, f"no version in the head of {FULL}"
    return found.group(1)


def test_the_bundle_is_the_plotly_js_of_the_python_package() -> None:
    # Figures are built by the Python package for its own plotly.js: a bundle of another
    # version could draw them differently. Rebuild with scripts/plotly-bundle/build.sh.
    with BUNDLE.open(encoding="utf-8") as bundle:
        found = VERSION.search(bundle.read(400))
    assert found, f"{BUNDLE} has no version banner"
    assert found.group(1) == plotly_js_version()


def _trace_types() -> set[str]:
    return {
        name.lower()
        for name in dir(go)
        if isinstance(getattr(go, name), type) and issubclass(getattr(go, name), BaseTraceType)
    }


def test_the_bundle_has_every_trace_the_dashboard_draws() -> None:
    bundled = {"scatter"} | set(re.findall(r"require\('plotly\.js/lib/(\w+)'\)", ENTRY.read_text()))
    known = _trace_types()
    used = set()
    for source in (ROOT / "dashboard").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        used |= {name.lower() for name in re.findall(r"\bgo\.(\w+)\(", text)} & known
        used |= set(re.findall(r"""["']type["']:\s*["'](\w+)["']""", text)) & known
    assert used, "no trace found: the scan is broken"
    assert used <= bundled, f"add {sorted(used - bundled)} to {ENTRY.name} and rebuild"
