"""Map viewports (GeoJSON `bbox=` with no other filter) assembled from cached tiles.

Phones pan the map over the same few square kilometres all day. The map is cut into tiles of
TILE_DEGREES; each tile's features are written once and kept in Redis, shared by every web
process, until the first of its stations opens, closes, arrives at or leaves a stop (or
midnight comes): until then every feature in it reads the same. A viewport is its tiles'
features cut to the box and ordered by id: the answer the database search gives, without
the search.

Each web process also holds the tiles it read for HELD_SECONDS (at most HELD_FEATURES
features): a viewport's few dozen tiles then cost neither Redis's time nor unpickling, which
were most of a viewport's answer.

Staff changes to stations, hours, exceptions and stops bump the version every tile key carries
(`tiles_changed`), so they show at once in this process and within VERSION_HELD_SECONDS in the
others; a new rating drops its station's tile (`station_tile_changed`), at once in this process
and within HELD_SECONDS in the others. No tile is kept longer than TILE_MAX_SECONDS. Without
Redis, or for a viewport wider than MAX_TILES, the caller searches the database as before.
"""

import json
import logging
import math
import threading
from collections import defaultdict
from datetime import datetime
from operator import itemgetter
from typing import NamedTuple

from cachetools import TTLCache
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from rest_framework.utils.encoders import JSONEncoder

from unionportal.core.held import drop_held, held_or_fetched

logger = logging.getLogger(__name__)

TILE_DEGREES = 0.01  # about 1 km: a phone's viewport covers a few dozen tiles
# Float division may put a station a hair outside its tile's edges: boxes around tiles are padded.
TILE_PAD = TILE_DEGREES / 100
MAX_TILES = 100  # wider viewports (a whole district) are searched directly
TILE_MAX_SECONDS = 600  # an upper bound on any staleness a missed change could cause
KEEP_STEP_SECONDS = 30
HELD_SECONDS = 30
HELD_FEATURES = 120_000  # at most about 80 MB; a city of a few thousand stations needs a few MB
VERSION_KEY = "stations:tiles:version"
VERSION_HELD_SECONDS = 1
CRS_NAMES = ("wgs84", "gcj02")


class TileFeature(NamedTuple):
    """A station's own position (as the box test uses it), its GeoJSON feature written, and
    the moment (a timestamp) until which that feature holds."""

    pk: int
    lng: float
    lat: float
    feature: bytes
    holds_until: float


# Tiles read in this process, by key (version, language, system, square); `cachetools` caches
# are not thread-safe, and gunicorn's threads share them.
_held = TTLCache(maxsize=HELD_FEATURES, ttl=HELD_SECONDS, getsizeof=lambda tile: len(tile[1]) + 1)
_held_lock = threading.Lock()


def forget_held_tiles() -> None:
    with _held_lock:
        _held.clear()


def tile_of(lng: float, lat: float) -> tuple[int, int]:
    return math.floor(lng / TILE_DEGREES), math.floor(lat / TILE_DEGREES)


def tiles_covering(bbox) -> list[tuple[int, int]]:
    min_lng, min_lat, max_lng, max_lat = bbox
    (x0, y0), (x1, y1) = tile_of(min_lng, min_lat), tile_of(max_lng, max_lat)
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def tile_box(tiles) -> tuple[float, float, float, float]:
    """A box holding every station that tile_of puts in `tiles` (padded, see TILE_PAD)."""
    pad = TILE_PAD
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


def _version() -> int:
    """The tiles' version, held in the process for a second (raises when Redis is unreachable)."""
    return held_or_fetched(VERSION_KEY, lambda: cache.get(VERSION_KEY) or 0, VERSION_HELD_SECONDS)


def _bump_version() -> None:
    drop_held(VERSION_KEY)
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not there yet (or expired from Redis)
        cache.add(VERSION_KEY, 1, timeout=None)
    except Exception:
        logger.warning("map tile version unavailable; tiles expire within %s s", TILE_MAX_SECONDS)


def _forget(tile) -> None:
    try:
        prefix = _prefix(cache.get(VERSION_KEY) or 0)  # Redis's own: a held one may be a second old
        keys = [f"{prefix}:{language}:{crs}:{tile[0]}:{tile[1]}" for language, _name in settings.LANGUAGES
                for crs in CRS_NAMES]
        with _held_lock:
            for key in keys:
                _held.pop(key, None)
        cache.delete_many(keys)
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
        prefix = f"{_prefix(_version())}:{language}:{crs}"
    except Exception:
        logger.warning("map tiles unavailable; searching the database")
        return None
    keys = {tile: f"{prefix}:{tile[0]}:{tile[1]}" for tile in tiles}
    # A tile is (holds until, [(pk, lng, lat, feature), …]): plain tuples unpickle fastest.
    contents = {}
    with _held_lock:
        for tile, key in keys.items():
            try:  # `_held.get` looks a key up twice, timing it each time: a third of this loop
                kept = _held[key]
            except KeyError:
                continue
            if kept[0] > now:
                contents[tile] = kept[1]
    if len(contents) < len(keys):
        try:
            found = cache.get_many([key for tile, key in keys.items() if tile not in contents])
        except Exception:
            logger.warning("map tiles unavailable; searching the database")
            return None
        read = {}
        for tile, key in keys.items():
            kept = found.get(key)
            if kept is not None and kept[0] > now:
                contents[tile] = kept[1]
                read[key] = kept
        missing = [tile for tile in tiles if tile not in contents]
        if missing:
            read.update(_fill(missing, keys, contents, now, compute))
        with _held_lock:
            _held.update(read)
    return _viewport(bbox, contents, max_features)


def _viewport(bbox, contents, max_features: int) -> bytes:
    """The FeatureCollection of the tiles' features inside `bbox`, by id. A tile wholly inside
    the box is taken whole (padded, see TILE_PAD); only the tiles on its edges are cut."""
    min_lng, min_lat, max_lng, max_lat = bbox
    pad = TILE_PAD
    inside = []
    for (x, y), items in contents.items():
        if (min_lng <= x * TILE_DEGREES - pad and (x + 1) * TILE_DEGREES + pad <= max_lng
                and min_lat <= y * TILE_DEGREES - pad and (y + 1) * TILE_DEGREES + pad <= max_lat):
            inside += items
        else:
            inside += [item for item in items if min_lng <= item[1] <= max_lng and min_lat <= item[2] <= max_lat]
    inside.sort(key=itemgetter(0))
    truncated = b"true" if len(inside) > max_features else b"false"
    # The answer is a few hundred kilobytes: written by one join, not copied again to wrap it.
    features = list(map(itemgetter(3), inside[:max_features])) or [b""]
    features[0] = b'{"type":"FeatureCollection","features":[' + features[0]
    features[-1] += b'],"truncated":' + truncated + b"}"
    return b",".join(features)


def _fill(missing, keys, contents, now: float, compute) -> dict:
    """Write the missing tiles from one search of the box around them, and keep them in Redis;
    they are returned by key, to be held."""
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
    return {keys[tile]: (holds[tile], items) for tile, items in fresh.items()}
