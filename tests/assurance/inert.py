"""Stored-XSS payloads and the check that none of them came alive in a page.

Each payload carries a marker. A page is parsed the way a browser parses it (html5lib, the
WHATWG algorithm), and a payload is *live* when the parsed document holds an element that
the payload brought (its ``id`` starts with the marker), an event-handler attribute or a
script URL carrying the marker, a script whose code carries it, or the result of evaluated
template syntax. Text that merely shows the payload (escaped) is what should happen.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree

import html5lib

MARKER = "xsz9"
#: What ``{{ 4242|add:1 }}`` or ``${4242+1}`` would turn into if anything evaluated it.
EVALUATED = "4243"

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "background",
                  "xlink:href", "srcdoc", "ping", "cite", "manifest", "codebase"}
DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "base", "frame",
                  "frameset", "applet", "style", "link", "meta"}
_SCHEME = re.compile(r"^(javascript|vbscript|data:text/html|data:image/svg)", re.I)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


def payload(field: str, max_length: int | None = None) -> str:
    """A payload naming ``field`` (so a finding says where it came from), cut to fit."""
    tag = f"{MARKER}{field}"[:40]
    text = (f"\"'><script id={tag}>alert('{tag}')</script>"
            f"<img id={tag} src=x onerror=alert('{tag}')>"
            f"<svg id={tag} onload=alert('{tag}')>"
            f"<a id={tag} href=\"javascript:alert('{tag}')\">x</a>"
            f"\" onmouseover=\"alert('{tag}')\" x=\"' onfocus='alert(`{tag}`)' "
            f"{{{{ 4242|add:1 }}}} ${{4242+1}} [{tag}](javascript:alert('{tag}')) "
            f"<iframe id={tag} srcdoc=\"<script>alert('{tag}')</script>\"></iframe>")
    if max_length is not None and len(text) > max_length:
        # Short fields get the shortest payloads that still try to break out.
        short = [f"\"><svg id={tag} onload=alert(1)>", f"<script id={tag}>", f"'\"><b id={tag}>"]
        text = next((s for s in short if len(s) <= max_length), tag[:max_length])
    return text


def parse(html: str) -> Any:
    return html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)


def live_injections(html: str, marker: str = MARKER) -> list[str]:
    """What of a payload is alive in ``html``: [] when the page is inert.

    ``marker=""``: any script, event handler, script URL or dangerous element counts (for
    sanitised fragments, which must contain none at all)."""
    found: list[str] = []
    document = parse(html)
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.lower()
        identifier = element.get("id") or ""
        if marker and identifier.startswith(marker):
            found.append(f"<{tag} id={identifier}> element from a payload")
        if not marker and tag in DANGEROUS_TAGS:
            found.append(f"<{tag}> element")
        if tag == "script" and (element.get("type") or "").lower() not in (
                "application/json", "application/ld+json"):
            code = "".join(element.itertext())
            if marker and marker in code:
                found.append(f"script running a payload: {code[:80]!r}")
        for name, value in element.attrib.items():
            lowered = name.lower()
            if lowered.startswith("on") and (not marker or marker in value):
                found.append(f"<{tag} {name}={value[:60]!r}> event handler")
            if lowered in URL_ATTRIBUTES or lowered.endswith(":href"):
                compact = _INVISIBLE.sub("", value)
                if _SCHEME.match(compact) and (not marker or marker in value):
                    found.append(f"<{tag} {name}={value[:60]!r}> script URL")
            if marker and lowered.startswith(marker):
                found.append(f"<{tag} {name}> attribute from a payload")
    return found


def evaluated(html: str) -> bool:
    """Template syntax from a payload was evaluated somewhere on the page."""
    return EVALUATED in ElementTree.tostring(parse(html), encoding="unicode", method="text")
