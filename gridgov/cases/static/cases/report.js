/* The report form: a Leaflet map of the district's grids and the ledger's buildings (no tile server
 * unless one is configured, so it works on an intranet) where a click, a dragged pin, "use my location"
 * or a building found by name places the problem; the chosen category's attribute fields; and the
 * anonymous checkbox, usable only for categories that allow it.
 * Everything it needs comes from data- attributes and the form's own fields.
 * Positions are stored and sent in WGS-84; a base map in GCJ-02 (data-tile-crs) gets converted positions
 * for display (docs/maps.md; the same formulas as gridgov/areas/coords.py). */
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
  // Zoom levels: buildings show from BUILDINGS_FROM, their names from LABELS_FROM; a found place opens at PLACE_ZOOM.
  var BUILDINGS_FROM = 14;
  var LABELS_FROM = 16;
  var PLACE_ZOOM = 17;
  var SEARCH_DELAY_MS = 250;

  // ---- WGS-84 <-> GCJ-02 (the published formula; the inverse by iteration), as gridgov/areas/coords.py.
  var A = 6378245.0;
  var EE = 0.00669342162296594323;

  function outsideChina(lng, lat) {
    return !(lng >= 72.004 && lng <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);
  }

  function transformLat(x, y) {
    var ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    ret += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
    ret += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
    ret += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
    return ret;
  }

  function transformLng(x, y) {
    var ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    ret += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
    ret += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
    ret += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
    return ret;
  }

  function wgs84ToGcj02(lng, lat) {
    if (outsideChina(lng, lat)) {
      return [lng, lat];
    }
    var dlat = transformLat(lng - 105.0, lat - 35.0);
    var dlng = transformLng(lng - 105.0, lat - 35.0);
    var radlat = (lat / 180.0) * Math.PI;
    var magic = 1 - EE * Math.sin(radlat) * Math.sin(radlat);
    var sqrtmagic = Math.sqrt(magic);
    dlat = (dlat * 180.0) / (((A * (1 - EE)) / (magic * sqrtmagic)) * Math.PI);
    dlng = (dlng * 180.0) / ((A / sqrtmagic) * Math.cos(radlat) * Math.PI);
    return [lng + dlng, lat + dlat];
  }

  function gcj02ToWgs84(lng, lat) {
    if (outsideChina(lng, lat)) {
      return [lng, lat];
    }
    var x = lng,
      y = lat;
    for (var step = 0; step < 30; step++) {
      var g = wgs84ToGcj02(x, y);
      var dx = lng - g[0],
        dy = lat - g[1];
      x += dx;
      y += dy;
      if (Math.abs(dx) < 1e-8 && Math.abs(dy) < 1e-8) {
        break;
      }
    }
    return [x, y];
  }

  window.gridgovCoords = { wgs84ToGcj02: wgs84ToGcj02, gcj02ToWgs84: gcj02ToWgs84 };

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

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    });
  }

  // Leaflet writes a string attribution as HTML: the configured text goes in escaped.
  function escapeText(text) {
    return text.replace(/[&<>"']/g, function (c) {
      return "&#" + c.charCodeAt(0) + ";";
    });
  }

  function setupMap(el) {
    var lngInput = document.getElementById("id_lng");
    var latInput = document.getElementById("id_lat");
    var status = document.getElementById("location-status");
    var clear = document.getElementById("clear-location");
    var locate = document.getElementById("use-location");
    var address = document.getElementById("id_address");
    var gcj = el.dataset.tileCrs === "gcj02" && !!el.dataset.tileUrl;

    // Stored (WGS-84) <-> shown (the tiles' system) positions, as Leaflet latlngs.
    function toView(lat, lng) {
      if (!gcj) {
        return L.latLng(lat, lng);
      }
      var g = wgs84ToGcj02(lng, lat);
      return L.latLng(g[1], g[0]);
    }
    function fromView(latlng) {
      if (!gcj) {
        return { lat: latlng.lat, lng: latlng.lng };
      }
      var w = gcj02ToWgs84(latlng.lng, latlng.lat);
      return { lat: w[1], lng: w[0] };
    }
    function coordsToLatLng(c) {
      return toView(c[1], c[0]);
    }

    function say(text, isError) {
      status.textContent = text;
      status.classList.toggle("is-error", !!isError);
    }

    getJSON(el.dataset.url)
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
            coordsToLatLng: coordsToLatLng,
            style: function () {
              return GRID;
            },
          }
        );
        var districtLayer = L.geoJSON(
          { type: "FeatureCollection", features: districts },
          {
            coordsToLatLng: coordsToLatLng,
            style: function () {
              return DISTRICT;
            },
          }
        );
        // The view first: Leaflet draws vector layers only on a map that has one.
        var map = L.map(el, { attributionControl: !!el.dataset.tileUrl, zoomSnap: 0.25 });
        if (el.dataset.tileUrl) {
          map.attributionControl.setPrefix(false);
          L.tileLayer(el.dataset.tileUrl, {
            maxZoom: 19,
            attribution: escapeText(el.dataset.tileAttribution || ""),
          }).addTo(map);
        }
        var home = (el.dataset.home || "").split(",").map(parseFloat);
        var bounds;
        if (home.length === 4 && home.every(isFinite)) {
          bounds = L.latLngBounds(toView(home[1], home[0]), toView(home[3], home[2]));
        } else {
          bounds = districts.length ? districtLayer.getBounds() : gridLayer.getBounds();
        }
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

        function removePin() {
          if (pin) {
            map.removeLayer(pin);
            pin = null;
          }
          lngInput.value = "";
          latInput.value = "";
          clear.hidden = true;
          el.dataset.grid = "";
        }

        // Place the problem at a WGS-84 position; "pan" brings it into view at a street-level zoom.
        function place(lat, lng, announce, pan) {
          var grid = gridAt(grids, lng, lat);
          if (!grid) {
            removePin();
            say(el.dataset.outsideText, true);
            return false;
          }
          var shown = toView(lat, lng);
          if (pin) {
            pin.setLatLng(shown);
          } else {
            pin = L.marker(shown, {
              draggable: true,
              autoPan: true,
              keyboard: true,
              title: el.dataset.pinLabel,
              alt: el.dataset.pinLabel,
              icon: L.divIcon({ className: "report-pin", iconSize: [44, 44], iconAnchor: [22, 22] }),
            }).addTo(map);
            pin.on("dragend", function () {
              var at = fromView(pin.getLatLng());
              place(at.lat, at.lng, true, false);
            });
          }
          lngInput.value = lng.toFixed(6);
          latInput.value = lat.toFixed(6);
          clear.hidden = false;
          el.dataset.grid = grid.properties.code;
          if (announce) {
            say(el.dataset.chosenText + grid.properties.name, false);
          }
          if (pan) {
            map.setView(shown, Math.max(map.getZoom(), PLACE_ZOOM), { animate: false });
          }
          return true;
        }

        map.on("click", function (event) {
          var at = fromView(event.latlng);
          place(at.lat, at.lng, true, false);
        });
        clear.addEventListener("click", function () {
          removePin();
          say("", false);
        });
        setupBuildings(el, map, toView, function (b) {
          if (place(b.lat, b.lng, true, false) && address && !address.value) {
            address.value = b.name;
          }
        });
        setupLocate(locate, function (lat, lng) {
          place(lat, lng, true, true);
        }, say);
        setupSearch(function (item) {
          if (item.lat == null || item.lng == null) {
            return;
          }
          if (place(item.lat, item.lng, true, true) && address && !address.value) {
            address.value = item.address || item.name;
          }
        });
        // Input kept after an error (or a pin started in a grid): show where it was.
        var lat = parseFloat(latInput.value);
        var lng = parseFloat(lngInput.value);
        if (isFinite(lat) && isFinite(lng)) {
          place(lat, lng, !status.textContent, false);
          if (pin && !map.getBounds().contains(pin.getLatLng())) {
            map.setView(pin.getLatLng(), map.getZoom());
          }
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

  // The ledger's buildings with a point: a 44 px target each, named when zoomed in; a tap places the pin.
  function setupBuildings(el, map, toView, choose) {
    if (!el.dataset.buildingsUrl) {
      return;
    }
    var container = map.getContainer();
    function zoomClasses() {
      var zoom = map.getZoom();
      container.classList.toggle("hide-buildings", zoom < BUILDINGS_FROM);
      container.classList.toggle("show-building-labels", zoom >= LABELS_FROM);
    }
    zoomClasses();
    map.on("zoomend", zoomClasses);
    getJSON(el.dataset.buildingsUrl)
      .then(function (buildings) {
        var layer = L.layerGroup();
        buildings.forEach(function (b) {
          var marker = L.marker(toView(b.lat, b.lng), {
            keyboard: false,
            icon: L.divIcon({ className: "building-point", iconSize: [44, 44], iconAnchor: [22, 22] }),
          });
          marker.bindTooltip(textElement(b.name), {
            permanent: true,
            direction: "right",
            offset: [10, 0],
            interactive: false,
            className: "building-label",
          });
          marker.on("click", function () {
            choose(b);
          });
          layer.addLayer(marker);
        });
        layer.addTo(map);
        el.dataset.buildings = String(buildings.length);
      })
      .catch(function () {
        el.dataset.buildings = "error";
      });
  }

  // "Use my location": the browser's position (WGS-84), or a message saying why there is none.
  function setupLocate(button, found, say) {
    if (!button) {
      return;
    }
    button.hidden = false;
    var label = button.textContent;
    button.addEventListener("click", function () {
      if (!navigator.geolocation) {
        say(button.dataset.unavailableText, true);
        return;
      }
      button.disabled = true;
      button.textContent = button.dataset.busyText;
      function done() {
        button.disabled = false;
        button.textContent = label;
      }
      navigator.geolocation.getCurrentPosition(
        function (position) {
          done();
          found(position.coords.latitude, position.coords.longitude);
        },
        function (error) {
          done();
          var text = button.dataset.unavailableText;
          if (error.code === 1) {
            text = button.dataset.deniedText;
          } else if (error.code === 3) {
            text = button.dataset.timeoutText;
          }
          say(text, true);
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }

  // The building search: names and addresses of the ledger's buildings, picked from a list.
  function setupSearch(pick) {
    var input = document.getElementById("place-q");
    var list = document.getElementById("place-results");
    if (!input || !list) {
      return;
    }
    var timer = null;
    var asked = 0;
    var results = [];

    function show(items, message) {
      list.textContent = "";
      results = items;
      if (message) {
        var li = document.createElement("li");
        li.className = "place-none";
        li.textContent = message;
        list.appendChild(li);
      }
      items.forEach(function (item) {
        var li = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "place-result";
        var name = document.createElement("span");
        name.className = "place-name";
        name.textContent = item.name + (item.address && item.address !== item.name ? " · " + item.address : "");
        var where = document.createElement("span");
        where.className = "place-where";
        where.textContent = [item.community, item.grid_name].filter(Boolean).join(" · ");
        button.appendChild(name);
        button.appendChild(where);
        button.addEventListener("click", function () {
          choose(item);
        });
        li.appendChild(button);
        list.appendChild(li);
      });
      list.hidden = !items.length && !message;
    }

    function choose(item) {
      show([], "");
      input.value = item.name;
      pick(item);
    }

    function search() {
      var q = input.value.trim();
      if (!q) {
        show([], "");
        return;
      }
      var mine = ++asked;
      getJSON(input.dataset.url + "?q=" + encodeURIComponent(q))
        .then(function (items) {
          if (mine === asked) {
            show(items, items.length ? "" : input.dataset.noneText);
          }
        })
        .catch(function () {
          if (mine === asked) {
            show([], input.dataset.errorText);
          }
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, SEARCH_DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault(); // not the report form's submit
        if (results.length) {
          choose(results[0]);
        } else {
          clearTimeout(timer);
          search();
        }
      } else if (event.key === "Escape") {
        show([], "");
      }
    });
  }

  // Each category's attribute fields show while it is chosen; the others are hidden and not sent.
  function setupAttributes() {
    var select = document.getElementById("id_category");
    var boxes = document.querySelectorAll(".category-attributes");
    if (!select || !boxes.length) {
      return;
    }
    function update() {
      for (var i = 0; i < boxes.length; i++) {
        var mine = boxes[i].dataset.category === select.value;
        boxes[i].hidden = !mine;
        boxes[i].disabled = !mine;
      }
    }
    select.addEventListener("change", update);
    update();
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
    setupAttributes();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
