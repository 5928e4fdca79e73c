/* The command centre's grid map (指挥中心 · 网格地图): the grids of an area coloured by an indicator, the case
 * points clustered (leaflet.markercluster), a heat layer (leaflet.heat) and the recurring problems as
 * circles, with a layer control and a legend. No tile server: the boundaries are the base map.
 *
 * Everything comes from /api/v1/command (its base path in data-api on #grid-map); clicking a grid opens the
 * cases behind the indicator for that grid (data-cases-url, with __code__ and __figure__ to fill in).
 * Names and categories are text: tooltips and popups get elements filled with textContent, never strings. */
(function () {
  "use strict";

  var GOOD = "#1a9850";
  var MIDDLE = "#fdae61";
  var POOR = "#d73027";
  var NO_DATA = "#9ca3af";
  // Quantile classes from best to worst.
  var RAMP = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027"];

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
      function (response) {
        if (!response.ok) {
          return response
            .json()
            .catch(function () {
              return {};
            })
            .then(function (body) {
              var error = new Error(body.message || "HTTP " + response.status);
              error.status = response.status;
              throw error;
            });
        }
        return response.json();
      }
    );
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  // Leaflet's layer control writes a layer's name as HTML: hand it our label already escaped.
  function escaped(text) {
    var box = document.createElement("span");
    box.textContent = text;
    return box.innerHTML;
  }

  function formatValue(value) {
    if (value === null || value === undefined) {
      return null;
    }
    return Math.round(value * 100) / 100;
  }

  /* The classes of a colouring: by the indicator's good/poor thresholds when it has both, else by
   * quantiles of the values shown. Each class: {colour, label, test(value)}. */
  function classesFor(indicator, values, texts) {
    var lowerIsBetter = indicator.direction === "lower";
    var good = indicator.good === null || indicator.good === undefined ? null : Number(indicator.good);
    var poor = indicator.poor === null || indicator.poor === undefined ? null : Number(indicator.poor);
    if (good !== null && poor !== null && !isNaN(good) && !isNaN(poor)) {
      if (lowerIsBetter) {
        return [
          { colour: GOOD, label: "≤ " + good + " " + texts.good, test: function (v) { return v <= good; } },
          { colour: MIDDLE, label: good + " – " + poor, test: function (v) { return v > good && v < poor; } },
          { colour: POOR, label: "≥ " + poor + " " + texts.poor, test: function (v) { return v >= poor; } },
        ];
      }
      return [
        { colour: GOOD, label: "≥ " + good + " " + texts.good, test: function (v) { return v >= good; } },
        { colour: MIDDLE, label: poor + " – " + good, test: function (v) { return v < good && v > poor; } },
        { colour: POOR, label: "≤ " + poor + " " + texts.poor, test: function (v) { return v <= poor; } },
      ];
    }
    var sorted = values
      .filter(function (v) {
        return v !== null && v !== undefined;
      })
      .sort(function (a, b) {
        return a - b;
      });
    if (!sorted.length) {
      return [];
    }
    var breaks = [];
    for (var i = 1; i < RAMP.length; i++) {
      var cut = sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / RAMP.length))];
      if (breaks.indexOf(cut) === -1 && cut > sorted[0]) {
        breaks.push(cut);
      }
    }
    var bounds = [sorted[0]].concat(breaks);
    var classes = [];
    bounds.forEach(function (low, index) {
      var high = index + 1 < bounds.length ? bounds[index + 1] : null;
      // Spread the classes over the ramp; the worst end of the ramp is the worst end of the values.
      var rank = bounds.length === 1 ? 0 : Math.round((index * (RAMP.length - 1)) / (bounds.length - 1));
      var colour = lowerIsBetter ? RAMP[rank] : RAMP[RAMP.length - 1 - rank];
      classes.push({
        colour: colour,
        label: high === null ? "≥ " + formatValue(low) : formatValue(low) + " – " + formatValue(high),
        test: function (v) {
          return v >= low && (high === null || v < high);
        },
      });
    });
    return classes;
  }

  function colourOf(classes, value) {
    if (value === null || value === undefined) {
      return NO_DATA;
    }
    for (var i = 0; i < classes.length; i++) {
      if (classes[i].test(value)) {
        return classes[i].colour;
      }
    }
    return NO_DATA;
  }

  function drawLegend(box, indicator, period, classes, texts) {
    if (!box) {
      return;
    }
    box.replaceChildren();
    var title = element("p", "dash-legend-title", indicator.name + (indicator.unit ? "（" + indicator.unit + "）" : ""));
    box.appendChild(title);
    if (period) {
      box.appendChild(element("p", "dash-legend-period", period.key));
    }
    var list = element("ul", "dash-legend-list");
    classes
      .concat([{ colour: NO_DATA, label: texts.noData }])
      .forEach(function (item) {
        var row = element("li", "dash-legend-item");
        var swatch = element("span", "dash-swatch");
        swatch.style.backgroundColor = item.colour;
        row.appendChild(swatch);
        row.appendChild(element("span", "dash-legend-label", item.label));
        list.appendChild(row);
      });
    box.appendChild(list);
  }

  function tooltipFor(props, value, indicator, texts) {
    var box = element("div", "dash-tip");
    box.appendChild(element("strong", null, props.name || props.code));
    var shown = formatValue(value);
    box.appendChild(
      element(
        "div",
        null,
        indicator.name + "：" + (shown === null ? texts.noData : shown + (indicator.unit ? " " + indicator.unit : ""))
      )
    );
    box.appendChild(element("div", "dash-tip-hint", texts.click));
    return box;
  }

  function pointPopup(point, texts) {
    var box = element("div", "dash-tip");
    box.appendChild(element("strong", "mono", point.ref));
    box.appendChild(element("div", null, point.category || ""));
    if (point.overdue) {
      box.appendChild(element("div", "dash-bad", texts.overdue));
    }
    return box;
  }

  function hotspotPopup(h, texts) {
    var box = element("div", "dash-tip");
    var link = element("a", null, h.category + " · " + h.area);
    link.href = h.url;
    box.appendChild(link);
    box.appendChild(element("div", null, h.count + " " + texts.count));
    return box;
  }

  function start(el) {
    var api = el.dataset.api;
    var code = el.dataset.code;
    var texts = {
      noData: el.dataset.textNoData,
      good: el.dataset.textGood,
      poor: el.dataset.textPoor,
      error: el.dataset.textError,
      empty: el.dataset.textEmpty,
      overdue: el.dataset.textOverdue,
      count: el.dataset.textCount,
      click: el.dataset.textClick,
    };
    var legend = document.getElementById("map-legend");
    var form = document.getElementById("map-controls");
    var select = document.getElementById("map-indicator");
    var periodInput = document.getElementById("map-period");
    var areaBase = api + "areas/" + encodeURIComponent(code) + "/";
    var state = { indicator: el.dataset.indicator, period: el.dataset.period, figure: "overdue" };

    var map = L.map(el, { attributionControl: false, zoomSnap: 0.25, minZoom: 3, maxZoom: 19 });
    var gridLayer = null;
    var clusters = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 });
    var heat = L.heatLayer([], { radius: 25, blur: 18, maxZoom: 17 });
    var circles = L.layerGroup();

    function fail(error) {
      el.dataset.state = "error";
      if (window.console && error) {
        window.console.error(error && error.stack ? error.stack : error);
      }
      var box = element("div", "map-message", texts.error + (error && error.message ? "：" + error.message : ""));
      el.appendChild(box);
    }

    function casesUrl(gridCode) {
      return el.dataset.casesUrl
        .replace("__code__", encodeURIComponent(gridCode))
        .replace("__figure__", encodeURIComponent(state.figure));
    }

    function colour(data) {
      var values = {};
      data.grids.forEach(function (g) {
        values[g.code] = g.value;
      });
      state.figure = data.indicator.figure || "overdue";
      var classes = classesFor(
        data.indicator,
        data.grids.map(function (g) {
          return g.value;
        }),
        texts
      );
      gridLayer.eachLayer(function (path) {
        var props = path.feature.properties || {};
        var value = values.hasOwnProperty(props.code) ? values[props.code] : null;
        var fill = colourOf(classes, value);
        path.setStyle({ fillColor: fill, fillOpacity: 0.72, color: "#334155", weight: 1.5, opacity: 0.9 });
        path.unbindTooltip();
        path.bindTooltip(tooltipFor(props, value, data.indicator, texts), { sticky: true, className: "dash-tooltip" });
        var node = path.getElement();
        if (node) {
          node.setAttribute("data-code", props.code);
          node.setAttribute("data-value", value === null || value === undefined ? "" : String(value));
          node.setAttribute("data-fill", fill);
        }
      });
      drawLegend(legend, data.indicator, data.period, classes, texts);
    }

    function loadValues() {
      var query = "indicator=" + encodeURIComponent(state.indicator);
      if (state.period) {
        query += "&period=" + encodeURIComponent(state.period);
      }
      return getJson(areaBase + "values?" + query).then(colour);
    }

    function loadPoints() {
      return getJson(areaBase + "points").then(function (data) {
        clusters.clearLayers();
        var markers = [];
        var heatPoints = [];
        data.points.forEach(function (p) {
          var marker = L.marker([p.lat, p.lng], {
            icon: L.divIcon({
              className: "case-point" + (p.overdue ? " case-point-overdue" : p.open ? " case-point-open" : ""),
              html: "",
              iconSize: [14, 14],
            }),
            keyboard: false,
          });
          marker.bindPopup(pointPopup(p, texts));
          markers.push(marker);
          heatPoints.push([p.lat, p.lng, p.overdue ? 1 : 0.5]);
        });
        clusters.addLayers(markers);
        heat.setLatLngs(heatPoints);
      });
    }

    function loadHotspots() {
      return getJson(areaBase + "hotspots").then(function (rows) {
        circles.clearLayers();
        rows.forEach(function (h) {
          var circle = L.circle([h.lat, h.lng], {
            radius: Math.max(h.radius_m || 0, 40),
            color: "#7c3aed",
            weight: 2,
            fillColor: "#7c3aed",
            fillOpacity: 0.25,
            className: "hotspot-shape",
          });
          circle.bindPopup(hotspotPopup(h, texts));
          circles.addLayer(circle);
        });
      });
    }

    function reloadFromForm(event) {
      if (event) {
        event.preventDefault();
      }
      state.indicator = select ? select.value : state.indicator;
      state.period = periodInput ? periodInput.value.trim() : state.period;
      if (window.history && window.history.replaceState) {
        var params = new URLSearchParams(window.location.search);
        params.set("indicator", state.indicator);
        if (state.period) {
          params.set("period", state.period);
        } else {
          params.delete("period");
        }
        window.history.replaceState(null, "", "?" + params.toString());
      }
      el.dataset.state = "loading";
      loadValues().then(
        function () {
          el.dataset.state = "ready";
        },
        function (error) {
          el.dataset.state = "error";
          var old = el.querySelector(".map-message");
          if (old) {
            old.remove();
          }
          fail(error);
        }
      );
    }

    getJson(areaBase + "grids")
      .then(function (collection) {
        if (!collection.features || !collection.features.length) {
          el.dataset.state = "empty";
          el.appendChild(element("div", "map-message", texts.empty));
          return null;
        }
        gridLayer = L.geoJSON(collection, {
          className: "grid-shape",
          style: function () {
            return { fillColor: NO_DATA, fillOpacity: 0.6, color: "#334155", weight: 1.5 };
          },
          onEachFeature: function (feature, path) {
            path.on("click", function () {
              window.location.href = casesUrl(feature.properties.code);
            });
            path.on("mouseover", function () {
              path.setStyle({ weight: 3 });
            });
            path.on("mouseout", function () {
              path.setStyle({ weight: 1.5 });
            });
          },
        }).addTo(map);
        map.fitBounds(gridLayer.getBounds(), { padding: [12, 12] });
        clusters.addTo(map);
        circles.addTo(map);
        var overlays = {};
        overlays[escaped(el.dataset.textGrids)] = gridLayer;
        overlays[escaped(el.dataset.textPoints)] = clusters;
        overlays[escaped(el.dataset.textHeat)] = heat;
        overlays[escaped(el.dataset.textHotspots)] = circles;
        L.control.layers(null, overlays, { collapsed: false }).addTo(map);
        return Promise.all([loadValues(), loadPoints(), loadHotspots()]).then(function () {
          el.dataset.state = "ready";
        });
      })
      .catch(fail);

    if (form) {
      form.addEventListener("submit", reloadFromForm);
      if (select) {
        select.addEventListener("change", reloadFromForm);
      }
    }
    var every = parseInt(el.dataset.refresh || "0", 10);
    if (every > 0) {
      window.setInterval(function () {
        if (gridLayer) {
          Promise.all([loadValues(), loadPoints(), loadHotspots()]).catch(function () {});
        }
      }, every * 1000);
    }
  }

  function init() {
    var el = document.getElementById("grid-map");
    if (el && window.L) {
      start(el);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
