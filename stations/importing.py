"""Import stations from CSV or GeoJSON: every row is checked first; one bad row saves nothing.

CSV columns (UTF-8, header row; the Chinese headers of the template work too):
    name, kind, address, lat, lng, organization, host, amenities, hours, is_open_24h, contact_phone
- kind and amenities take the codes (outdoor_worker_station, drinking_water) or the Chinese labels;
  amenities are separated by ";" "|" or "、".
- organization: the id or exact name of the running union (empty: the one chosen in the form);
  it must be in the importing staff member's part of the tree.
- hours: "08:00-20:00" every day, or per day "1-5 08:00-18:00; 6-7 09:00-17:00" (1 = Monday).
GeoJSON: a FeatureCollection of Points; each feature's properties carry the same keys.
"""

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import time

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils.translation import gettext as _

from members.models import Organization
from members.scoping import scope_queryset
from unionportal.core.services import audit_log

from . import map_tiles
from .models import Amenity, OpeningHours, Station

HEADER_ALIASES = {
    "名称": "name", "类型": "kind", "地址": "address", "纬度": "lat", "经度": "lng", "所属工会": "organization",
    "承建单位": "host", "服务设施": "amenities", "开放时间": "hours", "24小时": "is_open_24h", "联系电话": "contact_phone",
}
MAX_ROWS = 5000


@dataclass
class ImportRow:
    number: int
    station: Station | None = None
    hours: list = field(default_factory=list)
    errors: list = field(default_factory=list)


def _choice(value: str, choices) -> str | None:
    value = value.strip()
    for code, label in choices:
        if value in (code, str(label)):
            return code
    return None


def parse_hours(text: str) -> list[tuple[int, time, time]]:
    """'08:00-20:00' or '1-5 08:00-18:00; 6-7 09:00-17:00' → [(weekday, opens, closes)]."""
    result = []
    for part in filter(None, (p.strip() for p in re.split(r"[;；]", text))):
        match = re.fullmatch(r"(?:(\d)(?:-(\d))?\s+)?(\d{1,2}:\d{2})\s*[-–~]\s*(\d{1,2}:\d{2})", part)
        if not match:
            raise ValueError(part)
        first, last, opens, closes = match.groups()
        first_day = int(first) if first else 1
        last_day = int(last) if last else (first_day if first else 7)
        if not 1 <= first_day <= last_day <= 7:
            raise ValueError(part)
        opens_at, closes_at = time.fromisoformat(opens.zfill(5)), time.fromisoformat(closes.zfill(5))
        if opens_at == closes_at:
            raise ValueError(part)
        result += [(day - 1, opens_at, closes_at) for day in range(first_day, last_day + 1)]
    return result


def read_rows(upload_name: str, content: bytes) -> list[dict]:
    """Raw rows as dicts with the canonical keys; raises ValueError with a message for a bad file."""
    text = content.decode("utf-8-sig")
    if upload_name.lower().endswith((".geojson", ".json")):
        data = json.loads(text)
        if data.get("type") != "FeatureCollection":
            raise ValueError(_("The GeoJSON file must hold a FeatureCollection."))
        rows = []
        for feature in data.get("features", []):
            properties = dict(feature.get("properties") or {})
            geometry = feature.get("geometry") or {}
            if geometry.get("type") == "Point" and len(geometry.get("coordinates", [])) >= 2:
                properties["lng"], properties["lat"] = geometry["coordinates"][:2]
            else:
                properties["lng"] = properties["lat"] = None
            if isinstance(properties.get("amenities"), list):
                properties["amenities"] = ";".join(properties["amenities"])
            rows.append(properties)
        return rows
    reader = csv.DictReader(io.StringIO(text))
    return [{HEADER_ALIASES.get((k or "").strip(), (k or "").strip()): (v or "") for k, v in row.items()} for row in reader]


def validate_rows(rows: list[dict], *, user, default_organization: Organization | None) -> list[ImportRow]:
    organizations = scope_queryset(Organization.objects.all(), user)
    checked = []
    for number, raw in enumerate(rows, start=1):
        row = ImportRow(number=number)
        value = {k: ("" if v is None else str(v)).strip() for k, v in raw.items()}
        name = value.get("name", "")
        if not name:
            row.errors.append(_("name: required"))
        elif len(name) > 128:
            row.errors.append(_("name: at most 128 characters"))
        kind = _choice(value.get("kind", ""), Station.Kind.choices)
        if kind is None:
            row.errors.append(_("kind: unknown kind “%(value)s”") % {"value": value.get("kind", "")})
        if not value.get("address"):
            row.errors.append(_("address: required"))
        try:
            lat, lng = float(value.get("lat", "")), float(value.get("lng", ""))
            if not (-90 <= lat <= 90 and -180 <= lng <= 180):
                raise ValueError
        except ValueError:
            lat = lng = None
            row.errors.append(_("location: latitude and longitude must be numbers within range"))
        amenities = []
        for item in filter(None, (a.strip() for a in re.split(r"[;|、,，]", value.get("amenities", "")))):
            code = _choice(item, Amenity.choices)
            if code is None:
                row.errors.append(_("amenities: unknown amenity “%(value)s”") % {"value": item})
            elif code not in amenities:
                amenities.append(code)
        organization = default_organization
        if value.get("organization"):
            reference = value["organization"]
            lookup = {"pk": int(reference)} if reference.isdecimal() else {"name": reference}
            organization = organizations.filter(**lookup).first()
            if organization is None:
                row.errors.append(_("organization: “%(value)s” is not a union in your part of the tree") % {"value": reference})
        elif organization is None:
            row.errors.append(_("organization: required"))
        try:
            row.hours = parse_hours(value.get("hours", ""))
        except ValueError as error:
            row.errors.append(_("hours: cannot read “%(value)s”") % {"value": error})
        is_24h = value.get("is_open_24h", "").lower() in ("1", "true", "yes", "是", "y")
        if not row.errors:
            row.station = Station(
                name=name, kind=kind, address=value["address"][:255], location=Point(lng, lat, srid=4326),
                organization=organization, host=value.get("host", "")[:128], amenities=amenities,
                is_open_24h=is_24h, contact_phone=value.get("contact_phone", "")[:20],
            )
        checked.append(row)
    return checked


def stations_import(*, rows: list[ImportRow], user) -> list[Station]:
    """Save checked rows in one transaction; the caller has made sure no row has errors."""
    assert all(not row.errors for row in rows)
    with transaction.atomic():
        stations = Station.objects.bulk_create([row.station for row in rows])
        OpeningHours.objects.bulk_create(
            OpeningHours(station=station, weekday=day, opens_at=opens, closes_at=closes)
            for station, row in zip(stations, rows) for day, opens, closes in row.hours
        )
        for station in stations:
            audit_log(actor=user, action="station_imported", obj=station, organization_path=station.organization.path)
        map_tiles.tiles_changed()  # bulk_create sends no post_save
    return stations
