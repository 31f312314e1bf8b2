"""Which media links may be embedded, and the player address for each.

Only these providers are ever put in an iframe, always at an address built here from the
video's id (never a URL typed by someone), and only after the visitor's consent. The
page's Content-Security-Policy then allows exactly the hosts of the players on that page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_ID = re.compile(r"^\d{1,12}$")
_SPOTIFY_ID = re.compile(r"^[A-Za-z0-9]{22}$")


@dataclass(frozen=True)
class Embed:
    provider: str
    player_url: str

    @property
    def host(self) -> str:
        return urlparse(self.player_url).netloc

    @property
    def origin(self) -> str:
        parsed = urlparse(self.player_url)
        return f"{parsed.scheme}://{parsed.netloc}"


def _youtube(host: str, path: str, query: str) -> str | None:
    video = ""
    if host == "youtu.be":
        video = path.strip("/").split("/")[0]
    elif host in ("youtube.com", "m.youtube.com", "youtube-nocookie.com"):
        parts = path.strip("/").split("/")
        if parts[0] == "watch":
            video = parse_qs(query).get("v", [""])[0]
        elif parts[0] in ("embed", "shorts", "live") and len(parts) > 1:
            video = parts[1]
    if _YOUTUBE_ID.match(video):
        return f"https://www.youtube-nocookie.com/embed/{video}"
    return None


def _vimeo(host: str, path: str, query: str) -> str | None:
    parts = path.strip("/").split("/")
    video = ""
    if host == "vimeo.com":
        video = parts[0]
    elif host == "player.vimeo.com" and parts[0] == "video" and len(parts) > 1:
        video = parts[1]
    if _VIMEO_ID.match(video):
        return f"https://player.vimeo.com/video/{video}?dnt=1"
    return None


def _spotify(host: str, path: str, query: str) -> str | None:
    parts = path.strip("/").split("/")
    if parts and parts[0] == "embed":
        parts = parts[1:]
    if (host == "open.spotify.com" and len(parts) >= 2 and parts[0] in ("episode", "show")
            and _SPOTIFY_ID.match(parts[1])):
        return f"https://open.spotify.com/embed/{parts[0]}/{parts[1]}"
    return None


_PROVIDERS = (("YouTube", _youtube), ("Vimeo", _vimeo), ("Spotify", _spotify))

#: The providers, for help texts.
PROVIDER_NAMES = tuple(name for name, _ in _PROVIDERS)


def embed_for(url: str) -> Embed | None:
    """The player for a media link, or None when it is not from a known provider."""
    parsed = urlparse((url or "").strip())
    if parsed.scheme not in ("http", "https"):
        return None
    host = (parsed.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    for name, build in _PROVIDERS:
        player = build(host, parsed.path, parsed.query)
        if player:
            return Embed(provider=name, player_url=player)
    return None


def embed_from_player(player_url: str) -> Embed | None:
    """The embed for a stored player address (which this module built)."""
    return embed_for(player_url) if player_url else None
