{#- The search page's script (copied as it is). It loads the Pagefind indexes that
    digest.search.index_site writes into pagefind/ beside the site, one per month (listed in
    pagefind/months.json, newest first: the newest is loaded, the others merged into it), runs
    the query of `?q=`,
    and lists the papers found, each linked to its place on its date's page. Results are put
    in the page as text (never as HTML), but for Pagefind's <mark> around the words found. -#}
{% raw %}
"use strict";
(function () {
  const input = document.getElementById("q");
  const status = document.getElementById("search-status");
  const list = document.getElementById("search-results");
  if (!input || !status || !list) return;
  const query = (new URLSearchParams(location.search).get("q") || "").trim();
  input.value = query;
  const say = (text) => { status.textContent = text; };
  if (location.protocol === "file:") {
    say("Search works when the site is served over HTTP (digest serve, or where it is " +
        "published), not opened from disk. Browse the archive or a topic instead.");
    return;
  }
  if (!query) {
    say("Type words from a title, an author, an abstract or a topic.");
    input.focus();
    return;
  }
  const PAGES = 4;  // dates whose papers are ranked (each loads its part of the index)
  const SHOWN = 30;
  const here = new URL(".", location.href);
  const folder = new URL("pagefind/", here);

  // "a &lt;b&gt; <mark>c</mark>" as nodes: text for the text, <mark> for the marks
  const unescape = (s) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"').replace(/&#0?39;|&#x27;/g, "'").replace(/&amp;/g, "&");
  function excerpt(html) {
    const p = document.createElement("p");
    p.className = "excerpt";
    html.split(/(<mark>[^<]*<\/mark>)/).forEach((part) => {
      const marked = part.startsWith("<mark>");
      const text = unescape(marked ? part.slice(6, -7) : part.replace(/<[^>]*>/g, ""));
      if (!text) return;
      if (marked) {
        const m = document.createElement("mark");
        m.textContent = text;
        p.appendChild(m);
      } else {
        p.appendChild(document.createTextNode(text));
      }
    });
    return p;
  }
  // a result's address, relative to the site (never another scheme or host)
  function link(url) {
    const target = new URL(String(url).replace(/^\/+/, ""), here);
    return target.origin === here.origin ? target.href : null;
  }

  async function run() {
    say("Searching…");
    let pagefind;
    try {
      const listed = await fetch(new URL("months.json", folder));
      if (!listed.ok) throw new Error("no index");
      const months = (await listed.json()).filter((m) => /^\d{4}-\d{2}$/.test(m));
      if (!months.length) throw new Error("no index");
      const bundle = (m) => new URL(m + "/", folder).href;
      pagefind = await import(bundle(months[0]) + "pagefind.js");
      await pagefind.options({ baseUrl: "/" });
      await pagefind.init();
      await Promise.all(months.slice(1).map((m) => pagefind.mergeIndex(bundle(m), { baseUrl: "/" })));
    } catch (e) {
      say("This copy of the site has no search index yet: it is made when the site is " +
          "built with search on. Browse the archive or a topic instead.");
      return;
    }
    const found = await pagefind.search(query);
    // Pagefind finds dates (pages); each paper of a date is a sub-result under its heading.
    // The papers of the best dates, ranked by how much of the query each holds and where.
    const pages = await Promise.all(found.results.slice(0, PAGES).map((r) => r.data()));
    // a query word is found in a paper when a word there starts like it (Pagefind stems)
    const fold = (w) => w.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");
    const terms = query.split(/\s+/).map(fold).filter(Boolean)
      .map((t) => t.slice(0, Math.max(3, t.length - 2)));
    const papers = [];
    for (const page of pages) {
      const words = (page.content || "").split(/\s+/);
      for (const sub of page.sub_results || []) {
        if (!/#p-/.test(sub.url)) continue;  // the date's own heading, not a paper
        const found = (sub.locations || []).map((at) => fold(words[at] || ""));
        const covered = terms.filter((t) => found.some((w) => w.startsWith(t))).length;
        const weights = sub.weighted_locations || [];
        const weight = weights.reduce((sum, w) => sum + (w.balanced_score || w.weight || 1), 0);
        if (found.length) papers.push({ sub, page, covered, weight });
      }
    }
    papers.sort((a, b) => b.covered - a.covered || b.weight - a.weight);
    // the papers holding every word of the query, when some do; else those holding some
    const every = papers.filter((p) => p.covered === terms.length);
    const listed = every.length ? every : papers;
    const shown = listed.slice(0, SHOWN);
    list.textContent = "";
    for (const { sub, page } of shown) {
      const href = link(sub.url);
      if (!href) continue;
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = href;
      a.className = "title";
      a.textContent = sub.title || sub.url;
      li.appendChild(a);
      const when = page.meta && page.meta.title;
      if (when) {
        const meta = document.createElement("span");
        meta.className = "meta";
        meta.textContent = " · " + when;
        li.appendChild(meta);
      }
      li.appendChild(excerpt(sub.excerpt || ""));
      list.appendChild(li);
    }
    const n = listed.length;
    say(n === 0 ? `No paper found for “${query}”.`
      : `${n} paper${n === 1 ? "" : "s"} found for “${query}”` +
        (found.results.length > PAGES ? ` on the ${PAGES} dates that match best` : "") +
        (n > shown.length ? `; the best ${shown.length} below.` : "."));
  }
  run().catch(() => say("The search failed: try again, or browse the archive."));
})();
{% endraw %}
