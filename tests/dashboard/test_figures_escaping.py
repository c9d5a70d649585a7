"""Text from publishers and users is shown as written in figures, never read as markup.

Plotly draws a little HTML in titles and hover labels (<b>, <br>, <a href=...>), so a
region name, unit, Council document title or alert explanation holding tags must reach
the browser escaped.
"""

from __future__ import annotations

import json

from dashboard import figures, figures_region

HOSTILE = '<a href="javascript:alert(1)">click</a><img src=x onerror=alert(2)>'
RAW = ('<a href=\\"javascript', "<img src=x")  # as the markup would appear in the JSON


def unescaped(text: str) -> list[str]:
    """Return the pieces of the hostile markup found unescaped in a figure's JSON."""
    return [piece for piece in RAW if piece in text]


def strings(figure: object) -> str:
    """Return every text a figure carries, as one JSON string."""
    return json.dumps(figure.to_plotly_json(), default=str)  # type: ignore[attr-defined]


def test_plain_escapes_markup_but_keeps_the_words() -> None:
    assert figures.plain("a <b> & c") == "a &lt;b&gt; &amp; c"
    assert figures.plain(12.5) == "12.5"


def test_the_heat_map_shows_hostile_names_units_and_titles_as_text() -> None:
    heatmap = {
        "indicator": {"code": "x", "name": HOSTILE, "unit": HOSTILE},
        "period": "2023",
        "items": [
            {
                "region": "JAM",
                "name": HOSTILE,
                "value": 3.0,
                "period": "2023",
                "source": HOSTILE,
                "vintage": "2024-01-01",
            }
        ],
        "missing": [{"region": "CUB", "name": HOSTILE}],
    }
    text = strings(figures.heatmap_figure(heatmap, geojson_url="/assets/geo/world.geojson"))
    assert "<a href" not in text and "<img" not in text
    assert '&lt;a href=\\"javascript:alert(1)\\"&gt;click&lt;/a&gt;' in text


def test_region_figures_show_council_titles_and_explanations_as_text() -> None:
    series = {
        "indicator": {"code": "homicide_rate", "name": HOSTILE, "unit": HOSTILE},
        "items": [{"period": "2022", "value": 5.0, "is_latest": True, "source": HOSTILE}],
    }
    alerts = [{"indicator": "homicide_rate", "period": "2022", "severity": "warning",
               "rule": "r", "state": "firing", "explanation": HOSTILE}]  # fmt: skip
    documents = [{"symbol": "S/PV.1", "date": "2022-03-01", "title": HOSTILE, "kind": "meeting"}]
    figure = figures_region.region_figure([series], alerts=alerts, documents=documents)
    text = strings(figure)
    assert unescaped(text) == []
    assert "&lt;img src=x onerror=alert(2)&gt;" in text
