// The dashboard's one stylesheet (light and dark, phone-readable, visible keyboard focus), served at /assets/style.css.

export const STYLESHEET = `
:root{--bg:#fff;--fg:#1d2327;--muted:#5b6770;--line:#d5dbe0;--panel:#f5f7f9;--link:#0b57d0;--ok:#1a7f37;--bad:#c62828;--warn:#9a6700;--run:#0969da;--focus:#e36209}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--fg:#e3e7ea;--muted:#9aa5ae;--line:#2e353c;--panel:#1a1f24;--link:#8ab4f8;--ok:#4ac26b;--bad:#ff7b72;--warn:#d29922;--run:#58a6ff;--focus:#ffa657}}
*{box-sizing:border-box}
html{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:var(--fg)}
body{margin:0}
a{color:var(--link)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
header.top{display:flex;flex-wrap:wrap;align-items:center;gap:.4em 1em;padding:.6em 1em;border-bottom:1px solid var(--line);background:var(--panel)}
header.top .brand{font-weight:700;text-decoration:none;color:var(--fg)}
nav.main{display:flex;flex-wrap:wrap;gap:.2em .9em}
nav.main a{text-decoration:none}
nav.main a[aria-current=page]{font-weight:700;text-decoration:underline}
header.top form{margin-left:auto}
main{padding:1em;max-width:1200px;margin:0 auto}
h1{font-size:1.5em;margin:.2em 0 .6em;overflow-wrap:anywhere}
h2{font-size:1.15em;margin:1.4em 0 .5em}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.93em}
th,td{border-bottom:1px solid var(--line);padding:.35em .5em;text-align:left;vertical-align:top}
th{color:var(--muted);font-weight:600}
td{overflow-wrap:anywhere}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
pre{background:var(--panel);padding:.6em;overflow:auto;white-space:pre-wrap;overflow-wrap:anywhere}
.muted{color:var(--muted)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:.8em}
.card{border:1px solid var(--line);border-radius:6px;padding:.7em;background:var(--panel)}
.card .n{font-size:1.6em;font-weight:700}
.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}.run{color:var(--run)}
.badge{display:inline-block;padding:0 .45em;border-radius:1em;border:1px solid currentColor;font-size:.85em;white-space:nowrap}
.flash{padding:.6em .8em;border-radius:6px;border:1px solid var(--line);background:var(--panel);margin:0 0 1em}
.flash.error{border-color:var(--bad);color:var(--bad)}
form.inline{display:inline}
form.filters{display:flex;flex-wrap:wrap;gap:.5em;align-items:end;margin:0 0 1em}
label{display:inline-flex;flex-direction:column;font-size:.9em;gap:.15em}
input,select,button{font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:4px;padding:.3em .5em}
button{cursor:pointer;background:var(--panel)}
button.danger{border-color:var(--bad);color:var(--bad)}
.pager{display:flex;gap:1em;margin:1em 0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25em 1em;margin:0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;overflow-wrap:anywhere}
progress{width:100%;max-width:520px;height:1.1em}
svg.chart{width:100%;max-width:560px;height:auto;background:var(--panel);border:1px solid var(--line);border-radius:6px}
svg.chart .ok{fill:var(--ok)}svg.chart .bad{fill:var(--bad)}svg.chart .dur{fill:none;stroke:var(--run);stroke-width:2}
svg.chart text{fill:var(--muted);font-size:10px}svg.chart line{stroke:var(--line)}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:1em}
table.code td{border:0;padding:0 .6em;white-space:pre-wrap;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.88em}
table.code td.ln{text-align:right;color:var(--muted);user-select:none;width:1%;white-space:nowrap}
table.code td.ln a{color:inherit;text-decoration:none}
table.code tr:target{background:color-mix(in srgb,var(--warn) 25%,transparent)}
.swhid{display:flex;flex-wrap:wrap;gap:.4em;align-items:center;margin:.3em 0}
.swhid code{overflow-wrap:anywhere}
.timeline{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.4em}
.timeline li{border:1px solid var(--line);border-radius:4px;padding:.2em .5em}
@media (max-width:640px){main{padding:.6em}th,td{padding:.3em}header.top form{margin-left:0}}
`;
