"""The main job's HTML report: one section per stage with its images, tables and timing."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from synthetic.atomic import write_atomic


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    cols = list(rows[0].keys())
    fmt = lambda v: f"{v:.4g}" if isinstance(v, float) else html.escape(str(v))  # noqa: E731
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{fmt(r.get(c, ''))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def write_report(path: Path, title: str, summaries: list[dict[str, Any]]) -> Path:
    """Write ``path`` (HTML). Each summary's ``result`` may hold ``images`` (paths relative to the
    report), ``tables`` ({caption: rows}) and ``facts`` ({key: value})."""
    parts = [
        "<!doctype html><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}img{max-width:100%;"
        "border:1px solid #ccc;margin:4px 0}table{border-collapse:collapse;margin:8px 0}"
        "td,th{border:1px solid #bbb;padding:3px 8px;text-align:right}</style>",
        f"<h1>{html.escape(title)}</h1>",
        _table([{"stage": s["title"], "seconds": s["seconds"], "cached": s["cached"]} for s in summaries]),
    ]
    for s in summaries:
        r = s.get("result", {})
        parts.append(f"<h2>{html.escape(s['title'])}</h2>")
        for k, v in r.get("facts", {}).items():
            parts.append(f"<div><b>{html.escape(str(k))}</b>: {html.escape(str(v))}</div>")
        for caption, rows in r.get("tables", {}).items():
            parts.append(f"<h3>{html.escape(caption)}</h3>{_table(rows)}")
        for img in r.get("images", []):
            parts.append(f"<div><img src='{html.escape(img)}'><br><small>{html.escape(img)}</small></div>")
    text = "\n".join(parts)
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))
