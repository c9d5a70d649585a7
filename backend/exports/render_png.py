"""Render plotly figures to PNG in a child process, with a deadline.

kaleido drives a headless Chromium from a background event loop; inside a busy process
(one that already runs other event loops or browsers) it can stall. A child process keeps
it isolated and lets the caller give up after a deadline instead of hanging.

Child usage: ``python -m backend.exports.render_png FOLDER`` renders every ``*.json``
figure in FOLDER (with ``*.size`` = "width height") to ``*.png`` beside it.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import plotly.graph_objects as go

from backend.errors import ServiceUnavailable

DEADLINE_SECONDS = 180


def render_many(figs: Mapping[str, go.Figure], *, width: int = 1100) -> dict[str, bytes]:
    """Render named figures to PNG bytes in one child process; fail cleanly past the deadline."""
    from backend.exports.figures import require_browser

    require_browser()
    with tempfile.TemporaryDirectory(prefix="tocsin-figures-") as tmp:
        folder = Path(tmp)
        for name, fig in figs.items():
            (folder / f"{name}.json").write_text(fig.to_json(), encoding="utf-8")
            (folder / f"{name}.size").write_text(f"{width} {int(fig.layout.height or 560)}")
        command = [sys.executable, "-m", "backend.exports.render_png", str(folder)]
        try:
            subprocess.run(command, check=True, timeout=DEADLINE_SECONDS, capture_output=True)
        except subprocess.TimeoutExpired:
            raise ServiceUnavailable(
                f"rendering figures took over {DEADLINE_SECONDS} s; export with --no-figures"
            ) from None
        except subprocess.CalledProcessError as exc:
            last = (exc.stderr or b"").decode(errors="replace").strip().splitlines()[-1:]
            raise ServiceUnavailable(
                f"rendering figures failed: {' '.join(last) or 'no message'}"
            ) from None
        return {name: (folder / f"{name}.png").read_bytes() for name in figs}


def _main(folder: Path) -> None:
    """Render every figure file in ``folder`` with one Chromium (the child's entry point)."""
    import plotly.io as pio

    from backend.exports.figures import renderer, to_png

    with renderer():
        for source in sorted(folder.glob("*.json")):
            fig = pio.from_json(source.read_text(encoding="utf-8"))
            width, height = map(int, source.with_suffix(".size").read_text().split())
            fig.update_layout(height=height)
            source.with_suffix(".png").write_bytes(to_png(fig, width=width))


if __name__ == "__main__":
    _main(Path(sys.argv[1]))
