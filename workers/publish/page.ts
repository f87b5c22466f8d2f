// The one page template every published page goes through (title, language and direction, navigation per type,
// search box), and the site's static parts: stylesheet, search script, search page and 404 page.

import type { ResourceContainer } from "./manifest";
import { relativeHref } from "./markdown";
import type { BuildPlan, NavItem } from "./plan";
import { escapeHtml } from "./source";

export interface PageInput {
  rc: ResourceContainer;
  plan: BuildPlan;
  page: string;
  title: string;
  body: string;
  /** A Bible book's chapters, for the in-page chapter navigation. */
  chapters?: { number: number; id: string }[];
}

export function renderPage(p: PageInput): string {
  const href = (to: string) => escapeHtml(relativeHref(p.page, to));
  const item = (i: NavItem): string =>
    `<li${i.page === p.page ? ' class="current"' : ""}><a href="${href(i.page)}">${escapeHtml(i.title)}</a>${
      i.children ? `<ul>${i.children.map(item).join("")}</ul>` : ""
    }</li>`;
  const nav = p.plan.nav
    .map((s) => `<section><h2>${escapeHtml(s.title)}</h2><ul>${s.items.map(item).join("")}</ul></section>`)
    .join("");
  const chapters = p.chapters?.length
    ? `<nav class="chapters" aria-label="Chapters">${p.chapters.map((c) => `<a href="#${c.id}">${c.number}</a>`).join(" ")}</nav>`
    : "";
  const lang = p.rc.language;
  return `<!DOCTYPE html>
<html lang="${escapeHtml(lang.identifier)}" dir="${lang.direction}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(p.title)} – ${escapeHtml(p.rc.title)}</title>
<link rel="stylesheet" href="${href("site.css")}">
<link rel="icon" href="data:,">
</head>
<body data-root="${href("index.html").replace(/index\.html$/, "")}">
<header><a class="home" href="${href("index.html")}">${escapeHtml(p.rc.title)}</a>
<form class="search" action="${href("search.html")}" method="get" role="search"><input type="search" name="q" placeholder="Search" aria-label="Search"><button type="submit">Search</button></form></header>
<div class="layout"><nav class="site-nav" aria-label="Contents">${nav}</nav>
<main>${chapters}${p.body}</main></div>
<footer><a href="${href("build_log.json")}">Build log</a></footer>
<script src="${href("search.js")}"></script>
</body>
</html>
`;
}

/** The build's home page: the resource's title and its navigation as a list. */
export function renderIndex(rc: ResourceContainer, plan: BuildPlan): string {
  const list = plan.nav
    .map(
      (s) =>
        `<h2>${escapeHtml(s.title)}</h2><ul class="index">${s.items.map((i) => `<li><a href="${escapeHtml(i.page)}">${escapeHtml(i.title)}</a></li>`).join("")}</ul>`,
    )
    .join("");
  return renderPage({ rc, plan, page: "index.html", title: rc.title, body: `<h1>${escapeHtml(rc.title)}</h1>${list}` });
}

export function renderSearchPage(rc: ResourceContainer, plan: BuildPlan): string {
  return renderPage({ rc, plan, page: "search.html", title: "Search", body: '<h1>Search</h1><ol id="results"></ol>' });
}

export const SITE_CSS = `body{font-family:system-ui,sans-serif;margin:0;line-height:1.5}
header{display:flex;gap:1em;align-items:center;padding:.5em 1em;background:#20425b;color:#fff}
header a{color:#fff;font-weight:bold;text-decoration:none}.layout{display:flex}
.site-nav{width:16em;padding:1em;border-inline-end:1px solid #ddd;font-size:.9em;max-height:90vh;overflow:auto}
.site-nav ul{padding-inline-start:1em}.site-nav .current>a{font-weight:bold}
main{flex:1;padding:1em 2em;max-width:50em}.c-num{margin-top:1.5em}.v-num sup{color:#777;margin-inline-end:.2em}
.q,.q1{margin:0 0 0 2em}.q2{margin:0 0 0 3em}.footnote .note,.xref .note{display:none}
.footnote:hover .note{display:inline;background:#ffd}.chunk-break{height:.5em}.chapters a{margin-inline-end:.3em}
.obs-story img{max-width:100%}.unresolved{color:#777}footer{padding:1em;font-size:.8em}
`;

/** The search box's script: loads the build's search.json and lists headings (and Bible references) that match. */
export const SEARCH_JS = `(function(){
var root=document.body.getAttribute("data-root")||"";var box=document.getElementById("results");if(!box)return;
var q=(new URLSearchParams(location.search).get("q")||"").trim().toLowerCase();var input=document.querySelector("input[name=q]");
if(input)input.value=q;if(!q)return;
fetch(root+"search.json").then(function(r){return r.json()}).then(function(index){
var hits=index.filter(function(e){return e.h.toLowerCase().indexOf(q)>=0}).slice(0,200);
if(!hits.length){var none=document.createElement("li");none.textContent="Nothing found.";box.appendChild(none);return}
hits.forEach(function(e){var li=document.createElement("li");var a=document.createElement("a");
a.href=root+e.p+(e.id?"#"+e.id:"");a.textContent=e.h;li.appendChild(a);box.appendChild(li)})});
})();
`;

export function render404(path: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Not found</title></head>
<body><h1>Not found</h1><p>Nothing is published at ${escapeHtml(path)}.</p></body></html>
`;
}
