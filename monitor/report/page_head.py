"""What goes in the page's <head>: the stylesheet, the Content-Security-Policy and where plotly.js
comes from.

plotly.js is embedded by default (works offline); `plotlyjs="cdn"` links it instead for a small file
to share. The Content-Security-Policy forbids the page from loading or sending anything (only the
plotly.js CDN script when asked for).
"""

from __future__ import annotations

from monitor.core.priority import DISPLAY_ORDER, LOOK

PLOTLYJS_CHOICES = ("inline", "cdn")


def plotly_version() -> str:
    from plotly.offline import get_plotlyjs_version

    return get_plotlyjs_version()


def cdn_url() -> str:
    return f"https://cdn.plot.ly/plotly-{plotly_version()}.min.js"


# The priority colours come from the one table (monitor/core/priority.py); the medium and low text
# colours are darker shades of theirs, for contrast on white.
CSS = (
    (
        ":root { "
        + " ".join(f"--{'tech' if p == 'technical' else p}:{LOOK[p].report};" for p in DISPLAY_ORDER)
        + " --ink:#1d1d1f; --mute:#5f6368; }"
    )
    + """
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 0; padding: 0 24px 48px; max-width: 1500px; margin-inline: auto; }
h1 { font-size: 24px; margin: 18px 0 2px; overflow-wrap: anywhere; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.sub { color: var(--mute); margin: 0 0 12px; }
.banner { background: repeating-linear-gradient(45deg,#ffde59,#ffde59 14px,#ffe98f 14px,#ffe98f 28px);
          border: 2px solid #8a6d00; color: #3d2f00; font-weight: 700; padding: 10px 14px; margin: 14px 0 6px;
          font-size: 16px; letter-spacing: .02em; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 10px 0; }
.facts dt { color: var(--mute); } .facts dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 6px 0 10px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d9d9d9; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
.wrap { overflow-x: auto; }
.pr-high { color: var(--high); font-weight: 700; } .pr-medium { color: #a86d00; font-weight: 700; }
.pr-low { color: #0f7891; font-weight: 600; } .pr-technical { color: var(--tech); font-weight: 600; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px;
          vertical-align: middle; }
.muted { color: var(--mute); } .small { font-size: 12px; }
.notices { margin: 12px 0; }
.notices .alert { background: #fdecea; border: 2px solid var(--high); color: #5f0d0e; font-weight: 700;
                  padding: 8px 12px; margin: 6px 0; }
.notices .info { background: #eef5fb; border-left: 4px solid #2166ac; padding: 6px 12px; margin: 6px 0; }
.note { background: #f7f7f9; border-left: 4px solid #c7c7d1; padding: 8px 12px; margin: 8px 0; }
.note li { margin: 3px 0; }
#chart { width: 100%; min-height: 400px; }
.chart-help { color: var(--mute); font-size: 12px; margin: 2px 0 0; }
.log { font-size: 13px; }
.log td.msg, .events td.msg { max-width: 560px; overflow-wrap: anywhere; }
.usertext { white-space: pre-wrap; overflow-wrap: anywhere; }
details > summary { cursor: pointer; color: var(--mute); }
.crf { font-size: 13px; } .crf tr.typed td { background: #f4f8ff; } .crf tr.missed td { background: #fff4e5; }
.facts dd.ok { color: #1b7a1b; font-weight: 700; } .facts dd.warn { color: #a86d00; font-weight: 700; }
@media print { body { padding: 0 8px; } .banner { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
               #chart { break-inside: avoid; } }
"""
)


def csp(plotlyjs: str) -> str:
    script = "'unsafe-inline'" + (" https://cdn.plot.ly" if plotlyjs == "cdn" else "")
    return (
        f"default-src 'none'; script-src {script}; style-src 'unsafe-inline'; img-src data: blob:; "
        "font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'"
    )
