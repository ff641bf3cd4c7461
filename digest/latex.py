"""LaTeX in BibTeX fields, to plain text: what Zotero's, Better BibTeX's and arXiv's exports
write in a title or an abstract.

Zotero's BibTeX export escapes the characters LaTeX reserves (``\\&``, ``\\%``, ``\\$``, ``\\_``,
``{\\textless}``, ``{\\textbackslash}``), writes its rich text as commands (``\\textit{...}``,
``\\textsubscript{...}``), protects capitals with braces (``{BERT}``) and, with an ASCII charset,
writes accents and symbols as commands (``M{\\"u}ller``, ``{\\textquoteright}``,
``{\\textendash}``). Each is read back as the character it stands for; a command it does not
know leaves its argument and nothing of itself. Math (``$\\alpha$``) is kept as written, as
arXiv's own titles keep it, so a title read here meets the same paper's title from a feed.
"""

from __future__ import annotations

import re
import unicodedata

# accent commands and the combining mark each puts on the letter after it
_ACCENTS = {
    '"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
    "r": "\u030a", "d": "\u0323", "b": "\u0331",
}  # fmt: skip
# commands that stand for a character (Zotero's BibTeX mapping table, the common part)
_SYMBOLS = {
    "ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "aa": "å",
    "AA": "Å", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "dh": "ð", "DH": "Ð", "th": "þ",
    "TH": "Þ", "ng": "ŋ", "NG": "Ŋ",
    "textless": "<", "textgreater": ">", "textbackslash": "\\", "textbar": "|",
    "textasciitilde": "~", "textasciicircum": "^", "textunderscore": "_", "textendash": "–",
    "textemdash": "—", "textquoteleft": "‘", "textquoteright": "’", "textquotedblleft": "“",
    "textquotedblright": "”", "textquotesingle": "'", "textquotedbl": '"', "textellipsis": "…",
    "textbullet": "•", "textdagger": "†", "texttimes": "×", "textdiv": "÷", "textpm": "±",
    "textdegree": "°", "textmu": "µ", "textpercent": "%", "textdollar": "$",
    "textregistered": "®", "textcopyright": "©", "texttrademark": "™", "texteuro": "€",
    "textsterling": "£", "textsection": "§", "textparagraph": "¶", "guillemotleft": "«",
    "guillemotright": "»", "textrightarrow": "→", "textleftarrow": "←", "textonehalf": "½",
    "LaTeX": "LaTeX", "TeX": "TeX", "dots": "…", "ldots": "…",
}  # fmt: skip
# characters a backslash escapes, and LaTeX's spacing commands
_ESCAPED = {"&": "&", "%": "%", "$": "$", "#": "#", "_": "_", "{": "{", "}": "}", " ": " ",
            ",": " ", ";": " ", ":": " ", "!": "", "/": "", "-": "", "\\": " "}  # fmt: skip

_TOKEN = re.compile(
    r"\\(?P<accent>[\"'`^~=.]|[uvHckrdb](?=[{\s]))\s*"
    r"(?:\{\s*(?P<braced>\\?[A-Za-z])\s*\}|(?P<bare>\\?[A-Za-z]))"
    r"|\\(?P<escaped>[&%$#_{} ,;:!/\-\\])"
    r"|\\(?P<name>[A-Za-z]+)\s*(?:\{\})?"
    r"|(?P<dashes>---?)"
    r"|(?P<quotes>``|'')"
    r"|(?P<tie>(?<!\\)~)"
    r"|(?P<brace>[{}])"
)


def _token(match: re.Match[str]) -> str:
    if match["accent"]:
        letter = (match["braced"] or match["bare"]).lstrip("\\")
        letter = {"i": "i", "j": "j"}.get(letter, letter)  # \"{\i}: the dotless i takes it
        return unicodedata.normalize("NFC", letter + _ACCENTS[match["accent"]])
    if match["escaped"] is not None:
        return _ESCAPED[match["escaped"]]
    if match["name"]:
        return _SYMBOLS.get(match["name"], "")  # \textit{x} -> x: the braces go below
    if match["dashes"]:
        return "—" if len(match["dashes"]) == 3 else "–"
    if match["quotes"]:
        return "“" if match["quotes"] == "``" else "”"
    if match["tie"]:
        return " "
    return ""  # a brace


def latex_to_text(text: str) -> str:
    """A BibTeX field's value as plain text (see the module's docstring); math is kept."""
    out = []
    at = 0
    # math between single dollars is kept as written: only what lies outside is decoded
    for math in re.finditer(r"(?<!\\)\$[^$]*(?<!\\)\$", text):
        out.append(_TOKEN.sub(_token, text[at : math.start()]))
        out.append(math[0])
        at = math.end()
    out.append(_TOKEN.sub(_token, text[at:]))
    return "".join(out)
