/* The station map: markers from the server-rendered list; the list works without it. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("map-data").textContent);
  var mapElement = document.getElementById("map");

  if (window.L && mapElement) {
    var map = L.map(mapElement, { zoomControl: true, attributionControl: !!data.tiles });
    if (data.tiles) {
      L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution, maxZoom: data.tiles.maxZoom }).addTo(map);
    } else {
      mapElement.classList.add("no-tiles");
    }
    var points = [];
    if (data.has_position) {
      L.circleMarker([data.center.lat, data.center.lng], { radius: 7, color: "#1565c0", fillOpacity: 0.9 }).addTo(map);
      points.push([data.center.lat, data.center.lng]);
    }
    data.stations.forEach(function (s) {
      var marker = L.circleMarker([s.lat, s.lng], {
        radius: 9, color: s.open ? "#2e7d32" : "#757575", fillOpacity: 0.8, weight: 2,
      }).addTo(map);
      var link = document.createElement("a");
      link.textContent = s.name;
      if (s.url) { link.href = s.url; }
      marker.bindPopup(link);
      points.push([s.lat, s.lng]);
    });
    if (points.length > 1) {
      map.fitBounds(points.slice(0, 6), { padding: [24, 24], maxZoom: 16 });
    } else {
      map.setView([data.center.lat, data.center.lng], data.zoom);
    }
  } else if (mapElement) {
    mapElement.hidden = true;
  }

  var button = document.getElementById("locate");
  if (!button) { return; }
  var status = document.getElementById("locate-status");
  var form = document.getElementById("filters");
  function fallBack() {
    status.textContent = button.dataset.denied;
    var district = document.getElementById("district");
    if (district) { district.focus(); }
  }
  button.addEventListener("click", function () {
    if (!navigator.geolocation) { fallBack(); return; }
    status.textContent = button.dataset.busy;
    navigator.geolocation.getCurrentPosition(function (position) {
      form.elements.lat.value = position.coords.latitude.toFixed(6);
      form.elements.lng.value = position.coords.longitude.toFixed(6);
      form.elements.district.value = "";
      form.submit();
    }, fallBack, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  });
  // Choosing a district replaces the phone's position.
  document.getElementById("district").addEventListener("change", function () {
    form.elements.lat.value = "";
    form.elements.lng.value = "";
  });
})();
