/* The area browser's map: draws the boundaries of the current area's children (or of the account's
 * scope roots) with Leaflet on a plain background — no tile server, so it works on an intranet.
 * Everything it needs comes from data- attributes on #map. */
(function () {
  "use strict";

  var STYLES = {
    basic: { color: "#2563eb", fillColor: "#2563eb", fillOpacity: 0.18 },
    dedicated: { color: "#ea580c", fillColor: "#ea580c", fillOpacity: 0.25 },
    area: { color: "#0f766e", fillColor: "#0f766e", fillOpacity: 0.14 },
  };
  // Rough width of one label character in pixels (CJK at the label's font size), for fitting names.
  var LABEL_CHAR_PX = 13;

  function styleFor(properties) {
    var base = STYLES[properties.kind] || STYLES.area;
    return {
      color: base.color,
      fillColor: base.fillColor,
      fillOpacity: base.fillOpacity,
      weight: 2,
      opacity: 0.9,
    };
  }

  function fillUrl(template, code) {
    return template.replace("__code__", encodeURIComponent(code));
  }

  function showMessage(el, text) {
    var box = document.createElement("div");
    box.className = "map-message";
    box.textContent = text;
    el.appendChild(box);
  }

  function getJson(url) {
    return fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    });
  }

  // The features to draw: the children of data-code, or the boundaries of the scope roots.
  function loadFeatures(el) {
    var code = el.dataset.code;
    if (code) {
      return getJson(fillUrl(el.dataset.childrenUrl, code)).then(function (collection) {
        return collection.features || [];
      });
    }
    var roots = (el.dataset.roots || "").split(/\s+/).filter(Boolean);
    return Promise.all(
      roots.map(function (root) {
        return getJson(fillUrl(el.dataset.areaUrl, root));
      })
    ).then(function (areas) {
      return areas
        .filter(function (area) {
          return area.boundary;
        })
        .map(function (area) {
          return {
            type: "Feature",
            geometry: area.boundary,
            properties: {
              code: area.code,
              name: area.name,
              level: area.level,
              kind: area.kind,
              grid_type: area.grid_type,
            },
          };
        });
    });
  }

  // Names are user text: Leaflet sets a string as innerHTML, so a tooltip gets an element holding text.
  function textElement(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  // A name stays written inside its polygon while it fits there; otherwise it shows on hover only.
  function label(map, path) {
    var props = path.feature.properties || {};
    var text = props.name || props.code || "";
    var bounds = path.getBounds();
    var nw = map.latLngToContainerPoint(bounds.getNorthWest());
    var se = map.latLngToContainerPoint(bounds.getSouthEast());
    var fits = se.x - nw.x >= text.length * LABEL_CHAR_PX + 16 && se.y - nw.y >= 28;
    if (path.labelFits === fits) {
      return;
    }
    path.labelFits = fits;
    path.unbindTooltip();
    path.bindTooltip(textElement(text), {
      permanent: fits,
      direction: fits ? "center" : "top",
      sticky: !fits,
      className: fits ? "area-label area-label-fixed" : "area-label",
    });
  }

  function draw(el, features) {
    if (!features.length) {
      el.dataset.state = "empty";
      showMessage(el, el.dataset.emptyText);
      return;
    }
    var map = L.map(el, {
      crs: L.CRS.EPSG3857,
      attributionControl: false,
      zoomSnap: 0.25,
    });
    var current = el.dataset.code;
    var layer = L.geoJSON(
      { type: "FeatureCollection", features: features },
      {
        style: function (feature) {
          return styleFor(feature.properties || {});
        },
        onEachFeature: function (feature, path) {
          var props = feature.properties || {};
          path.on("mouseover", function () {
            path.setStyle({ weight: 3, fillOpacity: 0.4 });
          });
          path.on("mouseout", function () {
            layer.resetStyle(path);
          });
          if (props.code && props.code !== current) {
            path.on("click", function () {
              window.location.href = fillUrl(el.dataset.pageUrl, props.code);
            });
          }
        },
      }
    ).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [16, 16] });
    var placeLabels = function () {
      layer.eachLayer(function (path) {
        label(map, path);
      });
    };
    placeLabels();
    map.on("zoomend", placeLabels);
    el.dataset.features = String(features.length);
    el.dataset.state = "ready";
  }

  function init() {
    var el = document.getElementById("map");
    if (!el || typeof L === "undefined") {
      return;
    }
    loadFeatures(el)
      .then(function (features) {
        draw(el, features);
      })
      .catch(function () {
        el.dataset.state = "error";
        showMessage(el, el.dataset.errorText);
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
