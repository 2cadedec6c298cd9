"""Map viewports (GeoJSON `bbox=` with no other filter) assembled from cached tiles.

Phones pan the map over the same few square kilometres all day. The map is cut into tiles of
TILE_DEGREES; each tile's features are written once per minute and kept in Redis, shared by
every web process. A viewport is then its tiles' features cut to the box and ordered by id:
the answer the database search gives, without the search.

Why a minute: whether a station is open, and where a mobile station stands, change only at
whole minutes (hours and stops are kept in minutes), so features written at the start of a
minute hold for all of it. Staff changes to stations, hours, exceptions and stops bump the
version every tile key carries (`tiles_changed`), so they show at once; a new rating shows
within the minute. Without Redis, or for a viewport wider than MAX_TILES, the caller searches
the database as before.
"""

import json
import logging
import math
from datetime import datetime
from typing import NamedTuple

from django.core.cache import cache
from django.db import transaction
from rest_framework.utils.encoders import JSONEncoder

logger = logging.getLogger(__name__)

TILE_DEGREES = 0.01  # about 1 km: a phone's viewport covers a few dozen tiles
MAX_TILES = 100  # wider viewports (a whole district) are searched directly
TILE_SECONDS = 90  # a tile lives a little past its minute
VERSION_KEY = "stations:tiles:version"


class TileFeature(NamedTuple):
    """A station's own position (as the box test uses it) and its GeoJSON feature, written.
    Kept in Redis as plain tuples: a viewport unpickles about a thousand of them."""

    pk: int
    lng: float
    lat: float
    feature: bytes


def tile_of(lng: float, lat: float) -> tuple[int, int]:
    return math.floor(lng / TILE_DEGREES), math.floor(lat / TILE_DEGREES)


def tiles_covering(bbox) -> list[tuple[int, int]]:
    min_lng, min_lat, max_lng, max_lat = bbox
    (x0, y0), (x1, y1) = tile_of(min_lng, min_lat), tile_of(max_lng, max_lat)
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def tile_box(tiles) -> tuple[float, float, float, float]:
    """A box holding every station that tile_of puts in `tiles` (padded: float division may
    put a station a hair outside a tile's edges into it)."""
    pad = TILE_DEGREES / 100
    xs, ys = [x for x, _y in tiles], [y for _x, y in tiles]
    return (min(xs) * TILE_DEGREES - pad, min(ys) * TILE_DEGREES - pad,
            (max(xs) + 1) * TILE_DEGREES + pad, (max(ys) + 1) * TILE_DEGREES + pad)


def feature_bytes(feature: dict) -> bytes:
    """A feature as the API's JSON renderer writes it (compact, UTF-8, no NaN)."""
    return json.dumps(feature, cls=JSONEncoder, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode()


def tiles_changed() -> None:
    """Drop every cached tile: now, and again at commit (a viewport read between the two
    would otherwise keep the old rows under the new version)."""
    _bump_version()
    transaction.on_commit(_bump_version)


def _bump_version() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not there yet (or expired from Redis)
        cache.add(VERSION_KEY, 1, timeout=None)
    except Exception:
        logger.warning("map tile version unavailable; tiles expire within %s s", TILE_SECONDS)


def viewport_body(bbox, *, crs: str, language: str, minute: datetime, compute, max_features: int) -> bytes | None:
    """The GeoJSON answer for `bbox`, from tiles; None when tiles cannot serve it.

    `compute(box)` → TileFeatures of every active station in `box` as of `minute`.
    """
    tiles = tiles_covering(bbox)
    if len(tiles) > MAX_TILES:
        return None
    try:
        version = cache.get(VERSION_KEY) or 0
        prefix = f"stations:tile:{version}:{language}:{crs}:{minute:%Y%m%d%H%M}"
        keys = {tile: f"{prefix}:{tile[0]}:{tile[1]}" for tile in tiles}
        found = cache.get_many(list(keys.values()))
    except Exception:
        logger.warning("map tiles unavailable; searching the database")
        return None
    contents = {tile: found[key] for tile, key in keys.items() if key in found}
    missing = [tile for tile in tiles if tile not in contents]
    if missing:
        fresh = {tile: [] for tile in missing}
        for item in compute(tile_box(missing)):
            tile = tile_of(item.lng, item.lat)
            if tile in fresh:
                fresh[tile].append(tuple(item))
        contents.update(fresh)
        try:
            cache.set_many({keys[tile]: items for tile, items in fresh.items()}, timeout=TILE_SECONDS)
        except Exception:
            logger.warning("map tiles unavailable; not kept")
    min_lng, min_lat, max_lng, max_lat = bbox
    inside = sorted(
        (item for items in contents.values() for item in items
         if min_lng <= item[1] <= max_lng and min_lat <= item[2] <= max_lat),  # (pk, lng, lat, feature)
    )
    truncated = len(inside) > max_features
    features = b",".join(item[3] for item in inside[:max_features])
    return b'{"type":"FeatureCollection","features":[' + features + b'],"truncated":' + (
        b"true" if truncated else b"false") + b"}"
