/* The case detail's small map: the case's grid outline and the reported point, no tile server. */
(function () {
  "use strict";

  var OUTLINE = { color: "#2563eb", weight: 2, fillColor: "#2563eb", fillOpacity: 0.1, interactive: false };
  var PIN = {
    radius: 9,
    color: "#b4231b",
    weight: 3,
    fillColor: "#fff",
    fillOpacity: 1,
    interactive: false,
    className: "case-point",
  };

  function init() {
    var el = document.getElementById("case-map");
    var source = document.getElementById("case-map-data");
    if (!el || !source || typeof L === "undefined") {
      return;
    }
    try {
      var data = JSON.parse(source.textContent);
      var layers = [];
      var bounds = null;
      if (data.boundary) {
        var outline = L.geoJSON(data.boundary, {
          style: function () {
            return OUTLINE;
          },
        });
        layers.push(outline);
        bounds = outline.getBounds();
      }
      if (data.point) {
        var latlng = L.latLng(data.point[1], data.point[0]);
        layers.push(L.circleMarker(latlng, PIN));
        bounds = bounds ? bounds.extend(latlng) : L.latLngBounds([latlng, latlng]);
      }
      if (!bounds) {
        return;
      }
      // The view first: Leaflet draws vector layers only on a map that has one.
      var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
      if (bounds.getNorthEast().equals(bounds.getSouthWest())) {
        map.setView(bounds.getCenter(), 16);
      } else {
        map.fitBounds(bounds, { padding: [16, 16] });
      }
      layers.forEach(function (layer) {
        layer.addTo(map);
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
