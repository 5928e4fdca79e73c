/* The report form: a Leaflet map of the district's grids (no tile server, so it works on an intranet)
 * where a click places the problem; and the anonymous checkbox, usable only for categories that allow it.
 * Everything it needs comes from data- attributes and the form's own fields. */
(function () {
  "use strict";

  var DISTRICT = { color: "#0f766e", weight: 2, fill: false, interactive: false };
  var GRID = {
    color: "#2563eb",
    weight: 1,
    fillColor: "#2563eb",
    fillOpacity: 0.12,
    className: "report-grid",
  };
  // Rough width of one label character in pixels (CJK at the label's font size), for fitting names.
  var LABEL_CHAR_PX = 12;
  var PIN = { radius: 9, color: "#b4231b", weight: 3, fillColor: "#fff", fillOpacity: 1 };

  // Ray casting on one ring of [lng, lat] positions.
  function inRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0],
        yi = ring[i][1],
        xj = ring[j][0],
        yj = ring[j][1];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) {
        inside = !inside;
      }
    }
    return inside;
  }

  function inPolygon(x, y, rings) {
    if (!rings.length || !inRing(x, y, rings[0])) {
      return false;
    }
    for (var k = 1; k < rings.length; k++) {
      if (inRing(x, y, rings[k])) {
        return false; // in a hole
      }
    }
    return true;
  }

  function contains(geometry, x, y) {
    if (!geometry) {
      return false;
    }
    if (geometry.type === "Polygon") {
      return inPolygon(x, y, geometry.coordinates);
    }
    if (geometry.type === "MultiPolygon") {
      return geometry.coordinates.some(function (rings) {
        return inPolygon(x, y, rings);
      });
    }
    return false;
  }

  function gridAt(grids, lng, lat) {
    // Ties on shared edges go to the lower code, as on the server.
    for (var i = 0; i < grids.length; i++) {
      if (contains(grids[i].geometry, lng, lat)) {
        return grids[i];
      }
    }
    return null;
  }

  // Names are user text: Leaflet sets a string as innerHTML, so a tooltip gets an element holding text.
  function textElement(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  // A grid's name stays written inside it while it fits there; otherwise it shows on hover only.
  function label(map, path) {
    var text = path.feature.properties.name || "";
    var bounds = path.getBounds();
    var nw = map.latLngToContainerPoint(bounds.getNorthWest());
    var se = map.latLngToContainerPoint(bounds.getSouthEast());
    var fits = se.x - nw.x >= text.length * LABEL_CHAR_PX + 12 && se.y - nw.y >= 24;
    if (path.labelFits === fits) {
      return;
    }
    path.labelFits = fits;
    path.unbindTooltip();
    path.bindTooltip(textElement(text), {
      permanent: fits,
      direction: fits ? "center" : "top",
      sticky: !fits,
      interactive: false,
      className: fits ? "area-label area-label-fixed" : "area-label",
    });
  }

  function setupMap(el) {
    var lngInput = document.getElementById("id_lng");
    var latInput = document.getElementById("id_lat");
    var status = document.getElementById("location-status");
    var clear = document.getElementById("clear-location");

    function say(text, isError) {
      status.textContent = text;
      status.classList.toggle("is-error", !!isError);
    }

    fetch(el.dataset.url, { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (collection) {
        var features = collection.features || [];
        var districts = features.filter(function (f) {
          return f.properties.level === "district";
        });
        var grids = features.filter(function (f) {
          return f.properties.level === "grid";
        });
        if (!features.length) {
          throw new Error("no boundaries");
        }
        var gridLayer = L.geoJSON(
          { type: "FeatureCollection", features: grids },
          {
            style: function () {
              return GRID;
            },
          }
        );
        var districtLayer = L.geoJSON({ type: "FeatureCollection", features: districts }, {
          style: function () {
            return DISTRICT;
          },
        });
        // The view first: Leaflet draws vector layers only on a map that has one.
        var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
        var bounds = districts.length ? districtLayer.getBounds() : gridLayer.getBounds();
        map.fitBounds(bounds, { padding: [8, 8] });
        gridLayer.addTo(map);
        districtLayer.addTo(map);
        var placeLabels = function () {
          gridLayer.eachLayer(function (path) {
            label(map, path);
          });
        };
        placeLabels();
        map.on("zoomend", placeLabels);
        var pin = null;

        function place(lat, lng, announce) {
          var grid = gridAt(grids, lng, lat);
          if (!grid) {
            if (pin) {
              map.removeLayer(pin);
              pin = null;
            }
            lngInput.value = "";
            latInput.value = "";
            clear.hidden = true;
            el.dataset.grid = "";
            say(el.dataset.outsideText, true);
            return;
          }
          if (pin) {
            pin.setLatLng([lat, lng]);
          } else {
            pin = L.circleMarker([lat, lng], PIN).addTo(map);
          }
          lngInput.value = lng.toFixed(6);
          latInput.value = lat.toFixed(6);
          clear.hidden = false;
          el.dataset.grid = grid.properties.code;
          if (announce) {
            say(el.dataset.chosenText + grid.properties.name, false);
          }
        }

        map.on("click", function (event) {
          place(event.latlng.lat, event.latlng.lng, true);
        });
        clear.addEventListener("click", function () {
          if (pin) {
            map.removeLayer(pin);
            pin = null;
          }
          lngInput.value = "";
          latInput.value = "";
          clear.hidden = true;
          el.dataset.grid = "";
          say("", false);
        });
        // Input kept after an error: show where it was.
        var lat = parseFloat(latInput.value);
        var lng = parseFloat(lngInput.value);
        if (isFinite(lat) && isFinite(lng)) {
          place(lat, lng, !status.textContent);
        }
        el.dataset.state = "ready";
      })
      .catch(function () {
        el.dataset.state = "error";
        var box = document.createElement("div");
        box.className = "map-message";
        box.textContent = el.dataset.errorText;
        el.appendChild(box);
      });
  }

  function setupAnonymous() {
    var select = document.getElementById("id_category");
    var box = document.getElementById("id_anonymous");
    var hint = document.getElementById("anonymous-hint");
    if (!select || !box || !hint) {
      return;
    }
    var general = hint.textContent;
    function update() {
      var option = select.options[select.selectedIndex];
      var disallowed = option && option.value && option.dataset.anonymous !== "1";
      if (disallowed) {
        box.checked = false;
      }
      box.disabled = !!disallowed;
      hint.textContent = disallowed ? hint.dataset.disallowedText + " " + general : general;
    }
    select.addEventListener("change", update);
    update();
  }

  function init() {
    var el = document.getElementById("report-map");
    if (el && typeof L !== "undefined") {
      setupMap(el);
    }
    setupAnonymous();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
