/** The status page's stylesheet: one small inline sheet (the page loads nothing else). */
export const PAGE_STYLE = `
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --muted: #6e7781; --line: #d0d7de; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; padding: 1.25rem 1.5rem; max-width: 78rem; }
header { display: flex; align-items: baseline; gap: 1rem; margin-bottom: 1rem; }
header h1 { font-size: 1.3rem; margin: 0; }
header .meta { color: var(--muted); flex: 1; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; }
tr.selected td { background: rgba(127, 127, 127, .12); }
.state { font-weight: 600; }
.state.running { color: var(--ok); }
.state.crashed, .state.failed { color: var(--bad); }
.state.stopped, .state.not-started { color: var(--muted); }
.problem { color: var(--bad); font-size: .85rem; }
.detail { color: var(--muted); font-size: .8rem; }
.health { font-size: .85rem; }
.health.healthy { color: var(--ok); }
.health.unhealthy { color: var(--bad); }
.ports { font-family: ui-monospace, monospace; font-size: .85rem; }
button { font: inherit; padding: .15rem .6rem; border-radius: 4px; border: 1px solid var(--line); background: transparent; cursor: pointer; }
button:hover { border-color: var(--muted); }
button:disabled { opacity: .5; cursor: wait; }
section.log h2 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
pre#log { background: #0d1117; color: #c9d1d9; padding: .75rem; border-radius: 6px; height: 22rem; overflow: auto; font-size: .8rem; margin: 0; white-space: pre-wrap; word-break: break-all; }
#notice { min-height: 1.4em; color: var(--warn); }
#notice.ok { color: var(--ok); }
#notice.bad { color: var(--bad); }
.empty { color: var(--muted); padding: 1rem 0; }
form.login { display: flex; flex-direction: column; gap: .6rem; max-width: 26rem; margin-top: 3rem; }
form.login input { font: inherit; padding: .4rem; }
.error { color: var(--bad); }
`;
