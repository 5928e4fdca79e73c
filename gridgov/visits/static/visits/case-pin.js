/* The visit → case form's map: the building's grid outline and a pin that starts at the household's
   building; a tap elsewhere moves the pin and the hidden lng/lat fields (no tile server). */
(function () {
  "use strict";

  var OUTLINE = { color: "#2563eb", weight: 2, fillColor: "#2563eb", fillOpacity: 0.1, interactive: false };
  var BUILDING = { radius: 5, color: "#64748b", weight: 2, fillColor: "#64748b", fillOpacity: 0.6, interactive: false };
  var PIN = { radius: 9, color: "#b4231b", weight: 3, fillColor: "#fff", fillOpacity: 1, interactive: false, className: "case-pin" };

  function init() {
    var el = document.getElementById("case-pin-map");
    var source = document.getElementById("case-pin-data");
    var lng = document.getElementById("id_lng");
    var lat = document.getElementById("id_lat");
    if (!el || !source || !lng || !lat || typeof L === "undefined") {
      return;
    }
    try {
      var data = JSON.parse(source.textContent);
      var building = L.latLng(data.building[1], data.building[0]);
      var start = lng.value && lat.value ? L.latLng(parseFloat(lat.value), parseFloat(lng.value)) : building;
      var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
      var outline = data.boundary
        ? L.geoJSON(data.boundary, {
            style: function () {
              return OUTLINE;
            },
          })
        : null;
      if (outline) {
        map.fitBounds(outline.getBounds().extend(start), { padding: [16, 16] });
        outline.addTo(map);
      } else {
        map.setView(start, 17);
      }
      L.circleMarker(building, BUILDING).addTo(map);
      var pin = L.circleMarker(start, PIN).addTo(map);
      map.on("click", function (event) {
        pin.setLatLng(event.latlng);
        lng.value = event.latlng.lng.toFixed(6);
        lat.value = event.latlng.lat.toFixed(6);
        el.dataset.moved = "1";
      });
      el.dataset.state = "ready";
    } catch (error) {
      el.dataset.state = "error";
      el.textContent = el.dataset.errorText;
      if (window.console) {
        window.console.error(error);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
