/* The dashboard's stylesheet (GET /dashboard/app.css); colours per triple state are `bg-<state>`. */
export const DASHBOARD_CSS = `:root {
  --bg: #f6f7f9; --panel: #fff; --ink: #1d2530; --muted: #667085; --line: #e3e6ea;
  --untested: #8a94a6; --active: #2e9e5b; --cooldown: #e0a100; --no_quota: #d9722b;
  --dead: #c23b3b; --unsupported: #7d6bb3; --disabled: #4b5563; --removed: #c5cad3;
}
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--ink); }
header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 10px 16px; background: #111827; color: #f9fafb; }
header h1 { font-size: 18px; margin: 0 8px 0 0; }
header .meta { color: #cbd5e1; font-size: 13px; }
header .spacer { flex: 1; }
button { font: inherit; cursor: pointer; border: 1px solid var(--line); background: #fff; color: var(--ink); border-radius: 6px; padding: 3px 10px; }
button:hover { background: #eef2f7; }
button:disabled { opacity: .5; cursor: default; }
header button { background: #1f2937; color: #f9fafb; border-color: #374151; }
main { padding: 12px 16px 40px; display: grid; gap: 14px; }
section.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
h2 { font-size: 15px; margin: 0 0 8px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { min-width: 120px; padding: 6px 10px; border: 1px solid var(--line); border-radius: 6px; }
.card .value { font-size: 20px; font-weight: 600; }
.card .label { color: var(--muted); font-size: 12px; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
.chip { display: inline-flex; gap: 6px; align-items: center; border-radius: 999px; padding: 2px 10px; color: #fff; font-size: 12px; border: 0; }
.chip.selected { outline: 2px solid var(--ink); outline-offset: 1px; }
.bg-untested { background: var(--untested); } .bg-active { background: var(--active); }
.bg-cooldown { background: var(--cooldown); } .bg-no_quota { background: var(--no_quota); }
.bg-dead { background: var(--dead); } .bg-unsupported { background: var(--unsupported); }
.bg-disabled { background: var(--disabled); } .bg-removed { background: var(--removed); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 500; font-size: 12px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.filters { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; }
.filters input, .filters select { font: inherit; padding: 3px 6px; border: 1px solid var(--line); border-radius: 6px; }
.group { border: 1px solid var(--line); border-radius: 8px; background: var(--panel); margin-bottom: 8px; }
.group-head { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; padding: 8px 10px; cursor: pointer; user-select: none; }
.group-head .name { font-weight: 600; min-width: 120px; }
.group-head .twisty { width: 14px; display: inline-block; color: var(--muted); }
.bar { display: flex; height: 10px; width: 260px; border-radius: 4px; overflow: hidden; background: var(--line); }
.bar span { display: block; height: 100%; }
.group-body { padding: 0 10px 10px; overflow-x: auto; }
.grid td.cell-td { padding: 2px; min-width: 118px; }
.cell { border-radius: 5px; padding: 3px 6px; color: #fff; font-size: 12px; line-height: 1.3; }
.cell .st { font-weight: 600; }
.cell .sub { opacity: .92; }
.cell button { margin-top: 2px; padding: 0 6px; font-size: 11px; background: rgba(255,255,255,.9); }
.cell.none { background: transparent; color: var(--muted); }
.keycell .mask { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.keycell .src { color: var(--muted); font-size: 12px; }
.badge { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 4px; background: var(--disabled); color: #fff; margin-left: 4px; }
.actions button { margin: 0 4px 4px 0; }
.pager { display: flex; gap: 8px; align-items: center; margin-top: 6px; color: var(--muted); }
.muted { color: var(--muted); }
.warn { color: #b45309; }
.bad { color: var(--dead); }
#login { max-width: 460px; margin: 60px auto; }
#login input { width: 100%; padding: 6px 8px; font: inherit; margin: 8px 0; }
#error { position: fixed; bottom: 12px; right: 12px; max-width: 480px; background: #7f1d1d; color: #fff; padding: 8px 12px; border-radius: 6px; }
#error:empty { display: none; }
#key-history { position: fixed; top: 0; right: 0; bottom: 0; width: min(640px, 100%); background: #fff; border-left: 1px solid var(--line); box-shadow: -6px 0 18px rgba(0,0,0,.12); padding: 12px; overflow: auto; }
`;
