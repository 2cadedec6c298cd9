"""Mobile pages: the station map and list, a station's page, the QR poster and check-in."""

import io
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.models import Member, WorkerCategory
from unionportal.core.errors import DomainError

from . import rules, selectors, services
from .api import station_detail_row, station_row
from .models import Amenity, Station, Visit

MAP_LIST_SIZE = 30
# On the list, the amenities a worker looks for first.
FILTER_AMENITIES = ["drinking_water", "hot_water", "toilet", "phone_charging", "ebike_charging", "microwave",
                    "air_conditioning", "first_aid", "health_kiosk"]


def _float(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _tiles():
    tiles = settings.LEAFLET_CONFIG.get("TILES") or []
    if not tiles or not tiles[0][1]:
        return None
    name, url, options = tiles[0]
    return {"url": url, "attribution": options.get("attribution", ""), "maxZoom": options.get("maxZoom", 18)}


def _display(lat, lng):
    """Coordinates as the configured tiles draw them (GCJ-02 tiles need shifted markers)."""
    if settings.MAP_TILES_CRS == "gcj02":
        lat, lng = rules.wgs84_to_gcj02(lat, lng)
    return round(lat, 6), round(lng, 6)


def navigation_links(name: str, lat: float, lng: float) -> dict:
    """A link that opens the phone's map app: AMap's URI (iOS and Android), and a plain geo: URI."""
    g_lat, g_lng = rules.wgs84_to_gcj02(lat, lng)
    amap = "https://uri.amap.com/marker?" + urlencode(
        {"position": f"{g_lng:.6f},{g_lat:.6f}", "name": name, "coordinate": "gaode", "callnative": 1},
    )
    geo = f"geo:{lat:.6f},{lng:.6f}?q={lat:.6f},{lng:.6f}({quote(name)})"
    return {"amap": amap, "geo": geo}


def _decorate(row: dict) -> dict:
    lat, lng = row["location"]["lat"], row["location"]["lng"]
    row["display"] = dict(zip(("lat", "lng"), _display(lat, lng)))
    row["nav"] = navigation_links(row["name"], lat, lng)
    labels = dict(Amenity.choices)
    row["amenity_labels"] = [str(labels[a]) for a in row["amenities"] if a in labels]
    if "distance_m" in row:
        meters = row["distance_m"]
        row["distance_text"] = f"{meters} m" if meters < 1000 else f"{meters / 1000:.1f} km"
    return row


def station_map(request):
    """Nearest stations first from the phone's position, a chosen district, or the city centre."""
    districts = selectors.district_centres()
    lat, lng = _float(request.GET.get("lat")), _float(request.GET.get("lng"))
    origin_label, has_position = _("your position"), True
    district_id = request.GET.get("district", "")
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        has_position = False
        chosen = next((d for d in districts if str(d["id"]) == district_id), None)
        if chosen:
            lat, lng, origin_label = chosen["lat"], chosen["lng"], chosen["name"]
        else:
            lat, lng = settings.LEAFLET_CONFIG["DEFAULT_CENTER"]
            origin_label = _("the city centre")
    kinds = [k for k in request.GET.getlist("kind") if k in Station.Kind.values]
    amenities = [a for a in request.GET.getlist("amenity") if a in Amenity.values]
    open_now = request.GET.get("open_now") == "1"
    moment = selectors.local_now()
    search = selectors.StationSearch(near=(lat, lng), kinds=tuple(kinds), amenities=tuple(amenities), open_now=open_now)
    if open_now:
        nearest = selectors.nearest_open_rows(search, MAP_LIST_SIZE, now=moment)
    else:
        nearest = selectors.station_list_values(selectors.station_search(search, now=moment))[:MAP_LIST_SIZE]
    stations = selectors.listed_stations(nearest, now=moment)
    rows = [_decorate(station_row(s, crs="wgs84", moment=moment, near=(lat, lng))) for s in stations]
    map_data = {
        "center": dict(zip(("lat", "lng"), _display(lat, lng))), "has_position": has_position,
        "tiles": _tiles(), "zoom": 14,
        "stations": [{"id": r["id"], "name": r["name"], "lat": r["display"]["lat"], "lng": r["display"]["lng"],
                      "open": r["open_now"], "url": reverse("stations:detail", args=[r["id"]])} for r in rows],
    }
    context = {
        "rows": rows, "districts": districts, "district_id": district_id, "origin_label": origin_label,
        "kinds": Station.Kind.choices, "chosen_kinds": kinds, "chosen_amenities": amenities, "open_now": open_now,
        "amenity_choices": [(a, dict(Amenity.choices)[a]) for a in FILTER_AMENITIES], "map_data": map_data,
        "position": {"lat": request.GET.get("lat", ""), "lng": request.GET.get("lng", "")},
    }
    return render(request, "stations/map.html", context)


def _member(request):
    user = request.user
    return getattr(user, "member", None) if user.is_authenticated else None


def station_detail(request, pk):
    moment = selectors.local_now()
    try:
        station = selectors.station_detail(pk, now=moment)
    except Station.DoesNotExist:
        raise Http404 from None
    row = _decorate(station_detail_row(station, crs="wgs84", moment=moment))
    member = _member(request)
    booked = set()
    if member:
        booked = set(member.session_bookings.filter(status="booked", session__station=station)
                     .values_list("session_id", flat=True))
    context = {
        "station": station, "row": row, "member": member, "booked": booked,
        "map_data": {"center": row["display"], "tiles": _tiles(), "zoom": 16, "has_position": True,
                     "stations": [{"id": row["id"], "name": row["name"], "lat": row["display"]["lat"],
                                   "lng": row["display"]["lng"], "open": row["open_now"], "url": ""}]},
    }
    return render(request, "stations/detail.html", context)


@login_required
@require_POST
def session_book(request, pk):
    member = _member(request)
    from .models import ServiceSession

    session = get_object_or_404(ServiceSession.objects.filter(station__is_active=True), pk=pk)
    if member is None:
        messages.error(request, _("Only members can book. Join the union first."))
    else:
        try:
            services.session_book(session_id=session.pk, member=member)
            messages.success(request, _("Booked. We will remind you before the session."))
        except DomainError as error:
            messages.error(request, str(error.message))
    return redirect("stations:detail", pk=session.station_id)


@login_required
@require_POST
def booking_cancel(request, pk):
    member = _member(request)
    if member is None:
        raise Http404
    try:
        booking = services.session_booking_cancel(booking_id=pk, member=member)
        messages.success(request, _("Your booking is cancelled."))
        return redirect("stations:detail", pk=booking.session.station_id)
    except DomainError as error:
        if error.status == 404:
            raise Http404 from None
        messages.error(request, str(error.message))
        return redirect("stations:map")


@login_required
@require_POST
def station_rate(request, pk):
    station = get_object_or_404(Station.objects.filter(is_active=True), pk=pk)
    member = _member(request)
    score = request.POST.get("score", "")
    if member is None:
        messages.error(request, _("Only members can rate stations."))
    elif not score.isdecimal():
        messages.error(request, _("Give 1 to 5 stars."))
    else:
        try:
            services.rating_submit(station=station, member=member, score=int(score),
                                   comment=request.POST.get("comment", "")[:500])
            messages.success(request, _("Thank you for your rating."))
        except DomainError as error:
            messages.error(request, str(error.message))
    return redirect("stations:detail", pk=pk)


def station_check_in(request, pk):
    """What the QR poster opens: a member checks in, anyone else says what work they do."""
    station = get_object_or_404(Station.objects.filter(is_active=True), pk=pk)
    member = _member(request)
    session_key = f"checked_in_{pk}_{timezone.localdate():%Y%m%d}"
    done = request.session.get(session_key, False)
    error = ""
    if request.method == "POST" and not done:
        category = request.POST.get("visitor_category", "")
        if member is not None and member.status == Member.Status.ACTIVE:
            services.visit_record(station=station, source=Visit.Source.QR_CHECK_IN, member=member)
            done = True
        elif category in WorkerCategory.values:
            services.visit_record(station=station, source=Visit.Source.QR_CHECK_IN, visitor_category=category)
            done = True
        else:
            error = _("Choose what work you do.")
        if done:
            request.session[session_key] = True
    return render(request, "stations/check_in.html", {
        "station": station, "member": member, "done": done, "error": error, "categories": WorkerCategory.choices,
    })


def station_poster(request, pk):
    """A printable A4 poster with the station's check-in QR code."""
    import qrcode
    import qrcode.image.svg

    station = get_object_or_404(Station.objects.filter(is_active=True), pk=pk)
    url = request.build_absolute_uri(reverse("stations:check-in", args=[pk]))
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=12, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    svg = svg[svg.index("<svg"):]  # drop the XML declaration to inline it
    return render(request, "stations/poster.html", {"station": station, "qr_svg": svg, "url": url})


@login_required
def my_health_readings(request):
    """The member's own kiosk readings on the phone; the look is access-logged."""
    member = _member(request)
    if member is None:
        raise Http404
    readings = list(
        member.health_readings.select_related("station__organization").order_by("-measured_at")[:50]
    )
    services.health_readings_viewed(viewer=request.user, readings=readings, context="member_own_page")
    rows = []
    for reading in readings:
        data = services.health_reading_data(reading)
        rows.append({
            "reading": reading, "advice": data["advice"], "level": data["level"],
            "values": [
                {"label": rules.REFERENCE_RANGES[name].label, "value": value, "unit": rules.REFERENCE_RANGES[name].unit,
                 "flag": data["flags"][name]}
                for name, value in data["values"].items()
            ],
        })
    return render(request, "stations/my_health.html", {"rows": rows})

