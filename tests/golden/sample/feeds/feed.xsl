<?xml version="1.0" encoding="utf-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
<xsl:output method="html" encoding="utf-8" indent="no" doctype-system="about:legacy-compat"/>
<xsl:template match="/">
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<meta name="color-scheme" content="light dark"/>
<title><xsl:value-of select="/rss/channel/title"/> (feed)</title>
<style>
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --bg: #ffffff; --line: #d8dee4; --accent: #0a58ca; --card: #f1f6ff; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9da7b3; --bg: #0d1117; --line: #30363d; --accent: #6cb6ff; --card: #161f2e; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; overflow-wrap: anywhere; }
main { max-width: 46rem; margin: 0 auto; padding: 1rem; }
a { color: var(--accent); }
.about { background: var(--card); border-left: 4px solid var(--accent); border-radius: 4px; padding: .7rem .9rem; }
.about p { margin: .3rem 0; }
code { font-size: .9em; }
h1 { font-size: 1.5rem; margin: 1.2rem 0 .2rem; }
h2 { font-size: 1.05rem; margin: 0 0 .2rem; }
.item { margin: 0 0 1rem; padding: 0 0 .6rem; border-bottom: 1px solid var(--line); }
.meta, .lede { color: var(--muted); font-size: .88rem; margin: 0; }
</style>
</head>
<body>
<main>
<div class="about">
<p><strong>This is a feed.</strong> A feed reader (NetNewsWire, Feedly, Inoreader, Thunderbird, Miniflux…) follows it for you and shows each new paper once: copy this page's address into your reader.</p>
<p><code><xsl:value-of select="/rss/channel/atom:link[@rel='self']/@href"/></code></p>
</div>
<h1><xsl:value-of select="/rss/channel/title"/></h1>
<p class="lede"><xsl:value-of select="/rss/channel/description"/> · <a href="{/rss/channel/link}">its page</a></p>
<xsl:for-each select="/rss/channel/item">
<div class="item">
<h2><a href="{link}"><xsl:value-of select="title"/></a></h2>
<p class="meta"><xsl:value-of select="substring(pubDate, 1, 16)"/><xsl:if test="dc:creator"> · <xsl:value-of select="dc:creator"/></xsl:if><xsl:for-each select="category"> · <xsl:value-of select="."/></xsl:for-each></p>
</div>
</xsl:for-each>
</main>
</body>
</html>
</xsl:template>
</xsl:stylesheet>
