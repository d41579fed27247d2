"""The HTML report's stylesheet, inlined into every report (no external CSS or fonts)."""

from __future__ import annotations

CSS = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d8dee4; --bg: #f6f8fa;
  --high: #c62828; --medium: #e07b00; --low: #b59a00; --ok: #1a7f37; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; line-height: 1.45;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 17px; margin: 32px 0 10px; padding-bottom: 4px;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 14px 0 6px; }
code, pre { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code { background: var(--bg); padding: 1px 4px; border-radius: 4px; overflow-wrap: anywhere; }
pre { background: var(--bg); padding: 10px 12px; border-radius: 6px; margin: 6px 0;
  white-space: pre-wrap; overflow-wrap: anywhere; }
pre code { background: none; padding: 0; }
header.verdict { border: 1px solid var(--line); border-left: 6px solid var(--ok);
  border-radius: 8px; padding: 16px 20px; background: var(--bg); }
header.verdict.has-high { border-left-color: var(--high); }
header.verdict.incomplete { border-left-color: var(--medium); }
.verdict-line { font-size: 16px; font-weight: 600; margin: 4px 0 10px; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0;
  color: var(--muted); }
.meta dt { font-weight: 600; }
.meta dd { margin: 0; overflow-wrap: anywhere; }
.badge { display: inline-block; min-width: 64px; text-align: center; padding: 1px 8px;
  border-radius: 10px; color: #fff; font-size: 12px; font-weight: 600; }
.badge.high { background: var(--high); }
.badge.medium { background: var(--medium); }
.badge.low { background: var(--low); }
.badge.zero { background: #d0d7de; color: var(--muted); }
.badge.state { background: var(--ok); }
.badge.state.incomplete { background: var(--medium); }
.counts { display: flex; gap: 8px; margin-bottom: 10px; flex-wrap: wrap; }
.problems { border: 1px solid #f0c36d; background: #fff8e6; border-radius: 8px;
  padding: 10px 18px; margin-top: 16px; }
.problems h2 { border: none; margin: 6px 0; color: #8a5300; }
.sampling { border: 1px solid #9ec5fe; background: #eef5ff; border-radius: 8px;
  padding: 10px 18px; margin-top: 16px; }
.sampling h2 { border: none; margin: 6px 0; color: #0a4ea8; }
.chart { display: block; max-width: 100%; height: auto; }
figure { margin: 8px 0 18px; }
figcaption { color: var(--muted); font-size: 13px; margin-bottom: 4px; }
details.rec { border: 1px solid var(--line); border-radius: 8px; margin: 8px 0; }
details.rec > summary { cursor: pointer; padding: 10px 14px; display: flex; gap: 10px;
  align-items: baseline; }
details.rec > summary .title { flex: 1; font-weight: 600; overflow-wrap: anywhere; }
details.rec > summary .saving { color: var(--muted); white-space: nowrap; }
details.rec[open] > summary { border-bottom: 1px solid var(--line); }
.rec-body { padding: 4px 16px 12px; }
.rec-body .description { white-space: pre-line; }
.rec-body dl { display: grid; grid-template-columns: max-content 1fr; gap: 3px 14px;
  margin: 4px 0; }
.rec-body dt { color: var(--muted); }
.rec-body dd { margin: 0; min-width: 0; }
.rec-body ol { margin: 4px 0; padding-left: 22px; }
.muted { color: var(--muted); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left;
  vertical-align: top; }
th { background: var(--bg); font-weight: 600; white-space: nowrap; }
th.num { text-align: right; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.text { max-width: 520px; }
td.text code { overflow-wrap: break-word; }
details.cell > summary { cursor: pointer; }
details.cell[open] > summary { display: none; }
details.cell pre { margin: 0; max-height: 320px; overflow: auto; }
tbody tr:nth-child(even) { background: #fafbfc; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
@media print { details.rec { break-inside: avoid; } }
"""
