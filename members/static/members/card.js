// Keeps the card's QR code fresh: its signed token is valid for a few minutes only.
(function () {
  "use strict";
  var figure = document.getElementById("card-qr");
  if (!figure) { return; }
  var image = document.getElementById("card-qr-image");
  var seconds = parseInt(figure.dataset.refresh, 10) || 120;

  function refresh() {
    fetch(figure.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) { if (body && body.svg) { image.innerHTML = body.svg; } })
      .catch(function () { /* offline: try again at the next tick */ });
  }
  setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });
})();
