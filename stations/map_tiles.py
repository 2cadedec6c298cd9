"""Map viewports (GeoJSON `bbox=` with no other filter) assembled from cached tiles.

Phones pan the map over the same few square kilometres all day. The map is cut into tiles of
TILE_DEGREES; each tile's features are written once and kept in Redis, shared by every web
process, until the first of its stations opens, closes, arrives at or leaves a stop (or
midnight comes): until then every feature in it reads the same. A viewport is its tiles'
features cut to the box and ordered by id: the answer the database search gives, without
the search.

Staff changes to stations, hours, exceptions and stops bump the version every tile key carries
(`tiles_changed`), so they show at once; a new rating drops its station's tile
(`station_tile_changed`). No tile is kept longer than TILE_MAX_SECONDS. Without Redis, or for a
viewport wider than MAX_TILES, the caller searches the database as before.
"""

import json
import logging
import math
from collections import defaultdict
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from rest_framework.utils.encoders import JSONEncoder

logger = logging.getLogger(__name__)

TILE_DEGREES = 0.01  # about 1 km: a phone's viewport covers a few dozen tiles
MAX_TILES = 100  # wider viewports (a whole district) are searched directly
TILE_MAX_SECONDS = 600  # an upper bound on any staleness a missed change could cause
KEEP_STEP_SECONDS = 30
VERSION_KEY = "stations:tiles:version"
CRS_NAMES = ("wgs84", "gcj02")


class TileFeature(NamedTuple):
    """A station's own position (as the box test uses it), its GeoJSON feature written, and
    the moment (a timestamp) until which that feature holds."""

    pk: int
    lng: float
    lat: float
    feature: bytes
    holds_until: float


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


def station_tile_changed(lng: float, lat: float) -> None:
    """Drop the tile of one station (in every language and coordinate system), at commit."""
    transaction.on_commit(lambda: _forget(tile_of(lng, lat)))


def _bump_version() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not there yet (or expired from Redis)
        cache.add(VERSION_KEY, 1, timeout=None)
    except Exception:
        logger.warning("map tile version unavailable; tiles expire within %s s", TILE_MAX_SECONDS)


def _forget(tile) -> None:
    try:
        prefix = _prefix(cache.get(VERSION_KEY) or 0)
        cache.delete_many([f"{prefix}:{language}:{crs}:{tile[0]}:{tile[1]}"
                           for language, _name in settings.LANGUAGES for crs in CRS_NAMES])
    except Exception:
        logger.warning("map tiles unavailable; a tile expires within %s s", TILE_MAX_SECONDS)


def _prefix(version) -> str:
    return f"stations:tile:{version}"


def viewport_body(bbox, *, crs: str, language: str, moment: datetime, compute, max_features: int) -> bytes | None:
    """The GeoJSON answer for `bbox` at `moment`, from tiles; None when tiles cannot serve it.

    `compute(box)` → TileFeatures of every active station in `box` at `moment`.
    """
    tiles = tiles_covering(bbox)
    if len(tiles) > MAX_TILES:
        return None
    now = moment.timestamp()
    try:
        prefix = f"{_prefix(cache.get(VERSION_KEY) or 0)}:{language}:{crs}"
        keys = {tile: f"{prefix}:{tile[0]}:{tile[1]}" for tile in tiles}
        found = cache.get_many(list(keys.values()))
    except Exception:
        logger.warning("map tiles unavailable; searching the database")
        return None
    # A tile is (holds until, [(pk, lng, lat, feature), …]): plain tuples unpickle fastest.
    contents = {}
    for tile, key in keys.items():
        kept = found.get(key)
        if kept is not None and kept[0] > now:
            contents[tile] = kept[1]
    missing = [tile for tile in tiles if tile not in contents]
    if missing:
        _fill(missing, keys, contents, now, compute)
    min_lng, min_lat, max_lng, max_lat = bbox
    inside = sorted(
        item for items in contents.values() for item in items
        if min_lng <= item[1] <= max_lng and min_lat <= item[2] <= max_lat
    )
    truncated = len(inside) > max_features
    features = b",".join(item[3] for item in inside[:max_features])
    return b'{"type":"FeatureCollection","features":[' + features + b'],"truncated":' + (
        b"true" if truncated else b"false") + b"}"


def _fill(missing, keys, contents, now: float, compute) -> None:
    """Write the missing tiles from one search of the box around them, and keep them."""
    fresh = {tile: [] for tile in missing}
    holds = {tile: now + TILE_MAX_SECONDS for tile in missing}
    for item in compute(tile_box(missing)):
        tile = tile_of(item.lng, item.lat)
        if tile in fresh:
            fresh[tile].append(item[:4])
            holds[tile] = min(holds[tile], item.holds_until)
    contents.update(fresh)
    # Kept in a few batches by lifetime (rounded down: a tile leaves Redis early, never late;
    # a reader checks the exact moment anyway).
    batches = defaultdict(dict)
    for tile, items in fresh.items():
        seconds = int(holds[tile] - now) // KEEP_STEP_SECONDS * KEEP_STEP_SECONDS
        if seconds > 0:
            batches[seconds][keys[tile]] = (holds[tile], items)
    try:
        for seconds, values in batches.items():
            cache.set_many(values, timeout=seconds)
    except Exception:
        logger.warning("map tiles unavailable; not kept")
