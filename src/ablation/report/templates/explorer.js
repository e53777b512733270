// The Explore section: the runs embedded as JSON (ablation.report.explorer), grouped as the
// reader asks and drawn with Vega-Lite. Vega's expressions run through vega-interpreter,
// because the page's Content-Security-Policy allows no eval. The view lives in the URL
// fragment (#explore?metric=...), so a link restores it. Every text it shows comes in the
// page's language from ablation.report.script_texts (T), sentences whole: t(key, values).
(function () {
  "use strict";
  var startedMs = performance.now();
  var D = JSON.parse(document.getElementById("explorer-data").textContent);
  var T = JSON.parse(document.getElementById("explorer-texts").textContent);
  var AXES = D.axes, METRICS = {}, RUNS = D.runs.id.length, LAST = D.epochs[D.epochs.length - 1];
  D.metrics.forEach(function (m) { METRICS[m.key] = m; });
  var axisAt = {};
  AXES.forEach(function (a, i) { axisAt[a.key] = i; });
  var DATASET = axisAt.dataset !== undefined && AXES[axisAt.dataset].values.length > 1;
  var $ = function (id) { return document.getElementById(id); };
  var api = window.ablationExplorer = {views: {}, redraws: 0, startedMs: startedMs, state: function () { return copy(state); }};

  // Each run's milestones as [first, end) into the columnar points.
  var spans = [];
  D.points.run.forEach(function (r, i) {
    if (!spans[r]) spans[r] = [i, i];
    spans[r][1] = i + 1;
  });

  var varying = AXES.filter(function (a) { return a.values.length > 1 && a.key !== "dataset"; });
  var DEFAULT = {
    metric: "test_accuracy", x: "epoch", colour: varying.length ? varying[0].key : "",
    facet: "", seeds: false, pc: "test_accuracy", hide: {}, brush: null, config: "",
  };
  var state = copy(DEFAULT);

  function copy(s) { return JSON.parse(JSON.stringify(s)); }

  // ----------------------------------------------------------------- words and numbers
  // T[key] with its {name} placeholders filled from `values`.
  function t(key, values) {
    return T[key].replace(/\{(\w+)\}/g, function (whole, name) {
      return values && values[name] !== undefined ? String(values[name]) : whole;
    });
  }

  // A state code of the data (a verdict) as the page's language says it.
  function say(code) { return T.words[code] || code; }

  // A number written the English way (toFixed, toPrecision) with the language's marks.
  function localNumber(text) {
    return text.replace(/[.,]/g, function (c) { return c === "." ? T.number.decimal : T.number.group; });
  }

  function format(v, metric) {
    return metric.share ? localNumber((100 * v).toFixed(2)) + T.number.percent : localNumber(v.toPrecision(4));
  }

  // Vega's config: the view's frame, and the language's number marks in every axis and tooltip.
  // No generated ARIA texts (Vega writes them in English): each chart's container is a
  // labelled image in the report's language.
  function vegaConfig(view) {
    var config = view ? {view: view, aria: false} : {aria: false};
    if (T.locale) config.locale = {number: T.locale};
    return config;
  }

  // ----------------------------------------------------------------- the URL fragment
  function serialize(s) {
    var q = new URLSearchParams();
    ["metric", "x", "colour", "facet", "pc", "config"].forEach(function (k) { if (s[k]) q.set(k, s[k]); });
    if (s.seeds) q.set("seeds", "1");
    Object.keys(s.hide).sort().forEach(function (k) { if (s.hide[k].length) q.set("hide." + k, s.hide[k].join("~")); });
    if (s.brush) q.set("brush", s.brush.map(function (v) { return +v.toFixed(4); }).join(","));
    return "explore?" + q.toString();
  }

  // The state a fragment asks for, and what in it this study does not have.
  function parse(hash) {
    var s = copy(DEFAULT), bad = [];
    var q = new URLSearchParams(hash.slice(hash.indexOf("?") + 1));
    q.forEach(function (value, key) {
      if (key === "metric" || key === "pc") {
        if (METRICS[value]) s[key] = value; else bad.push(t("badMetric", {value: value}));
      } else if (key === "x" || key === "colour" || key === "facet") {
        if (axisAt[value] !== undefined || (key === "x" && value === "epoch")) s[key] = value;
        else bad.push(t("badAxis", {value: value}));
      } else if (key === "seeds") {
        s.seeds = value === "1";
      } else if (key === "config") {
        if (D.configs.some(function (c) { return c.id === value; })) s.config = value;
        else bad.push(t("badConfig", {value: value}));
      } else if (key === "brush") {
        var b = value.split(",").map(Number);
        if (b.length === 4 && b.every(isFinite)) s.brush = b; else bad.push(t("badBox", {value: value}));
      } else if (key.indexOf("hide.") === 0) {
        var axis = key.slice(5), a = AXES[axisAt[axis]];
        if (!a) { bad.push(t("badAxis", {value: axis})); return; }
        value.split("~").forEach(function (v) {
          if (a.values.indexOf(v) < 0) bad.push(t("badLevel", {axis: a.label, value: v}));
        });
        s.hide[axis] = value.split("~");
      } else {
        bad.push(t("badSetting", {value: key}));
      }
    });
    return bad.length ? {state: copy(DEFAULT), bad: bad} : {state: s, bad: []};
  }

  // Kept quiet until the reader changes something, so a link to another section still works.
  var quiet = true;
  function writeFragment() {
    if (!quiet) history.replaceState(null, "", "#" + serialize(state));
  }
  document.getElementById("explorer-controls").addEventListener("change", function () { quiet = false; }, true);
  document.getElementById("explorer").addEventListener("click", function () { quiet = false; }, true);
  document.getElementById("explorer").addEventListener("mousedown", function () { quiet = false; }, true);

  // ----------------------------------------------------------------- selection
  function hidden(axisKey, code) {
    var h = state.hide[axisKey];
    return !!h && h.indexOf(AXES[axisAt[axisKey]].values[code]) >= 0;
  }

  function passesFilters(config) {
    return config.codes.every(function (code, i) { return !hidden(AXES[i].key, code); });
  }

  // Mean of `metric` at the last epoch over each configuration's runs (finite values only).
  function configMeans(metric) {
    var sum = D.configs.map(function () { return 0; }), n = sum.slice();
    for (var r = 0; r < RUNS; r++) {
      var c = D.runs.config[r], span = spans[r];
      if (c < 0 || !span) continue;
      var i = span[1] - 1;
      if (D.points.epoch[i] !== LAST) continue;
      var v = D.points[metric][i];
      if (v === null) continue;
      sum[c] += v; n[c] += 1;
    }
    return sum.map(function (s, c) { return n[c] ? s / n[c] : null; });
  }

  // The parallel-coordinates dimensions: every axis, then the chosen metric.
  function dimensions() {
    return AXES.map(function (a) { return a.label; }).concat([METRICS[state.pc].label]);
  }

  function metricRange(means) {
    var lo = Infinity, hi = -Infinity;
    means.forEach(function (v) { if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
    return lo < hi ? [lo, hi] : [lo - 1e-9, lo + 1e-9];
  }

  // Position of a configuration on dimension d, from 0 (bottom) to 1 (top).
  function position(config, d, means, range) {
    if (d < AXES.length) {
      var k = AXES[d].values.length;
      return k > 1 ? config.codes[d] / (k - 1) : 0.5;
    }
    var v = means[D.configs.indexOf(config)];
    return v === null ? null : (v - range[0]) / (range[1] - range[0]);
  }

  // Configurations the filters and the box keep (indices into D.configs).
  function keptConfigs() {
    var means = configMeans(state.pc), range = metricRange(means), dims = dimensions().length;
    var keep = {};
    D.configs.forEach(function (c, i) {
      if (!passesFilters(c)) return;
      if (state.brush) {
        var b = state.brush;
        for (var d = Math.ceil(b[0]); d <= Math.floor(b[1]) && d < dims; d++) {
          var y = position(c, d, means, range);
          if (y === null || y < b[2] || y > b[3]) return;
        }
      }
      keep[i] = true;
    });
    return keep;
  }

  // ----------------------------------------------------------------- statistics
  // Mean and t-interval of `values` as ablation.stats.seeds.t_interval computes them.
  function describe(values) {
    var n = values.length, mean = 0, ss = 0;
    values.forEach(function (v) { mean += v; });
    mean /= n;
    values.forEach(function (v) { ss += (v - mean) * (v - mean); });
    if (n < 2) return {n: n, mean: mean, lo: null, hi: null};
    var half = D.tq[n - 1] * Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
    return {n: n, mean: mean, lo: mean - half, hi: mean + half};
  }

  function axisValue(r, key) {
    var a = axisAt[key];
    return AXES[a].values[D.configs[D.runs.config[r]].codes[a]];
  }

  // The chart's rows: means with intervals by (dataset, panel, colour, x), and the seeds.
  function chartRows(keep) {
    var rowKey = DATASET && [state.x, state.colour, state.facet].indexOf("dataset") < 0 ? "dataset" : "";
    var groups = {}, rows = [], share = METRICS[state.metric].share;
    for (var r = 0; r < RUNS; r++) {
      var c = D.runs.config[r], span = spans[r];
      if (c < 0 || !span || !keep[c]) continue;
      var base = {
        row: rowKey ? axisValue(r, rowKey) : "",
        facet: state.facet ? axisValue(r, state.facet) : "",
        colour: state.colour ? axisValue(r, state.colour) : "",
      };
      for (var i = span[0]; i < span[1]; i++) {
        var v = D.points[state.metric][i], epoch = D.points.epoch[i];
        if (v === null || (state.x !== "epoch" && epoch !== LAST)) continue;
        var x = state.x === "epoch" ? epoch : axisValue(r, state.x);
        var id = [base.row, base.facet, base.colour, x].join("\u0001");
        (groups[id] = groups[id] || {base: base, x: x, values: []}).values.push(v);
        if (state.seeds) rows.push({kind: "seed", row: base.row, facet: base.facet, colour: base.colour, x: x, value: v, run: D.runs.id[r]});
      }
    }
    Object.keys(groups).forEach(function (id) {
      var g = groups[id], s = describe(g.values);
      var lo = s.lo, hi = s.hi;
      if (share && lo !== null) { lo = Math.max(lo, 0); hi = Math.min(hi, 1); }
      rows.push({kind: "mean", row: g.base.row, facet: g.base.facet, colour: g.base.colour, x: g.x,
        mean: s.mean, n: s.n, ci_low: s.lo, ci_high: s.hi, lo: lo, hi: hi});
    });
    return {rows: rows, rowKey: rowKey};
  }

  function axisTitle(key) { return key === "epoch" ? T.epoch : AXES[axisAt[key]].label; }

  function chartSpec(made) {
    var metric = METRICS[state.metric], byEpoch = state.x === "epoch";
    var xEnc = byEpoch ? {field: "x", type: "quantitative", title: T.epoch}
      : {field: "x", type: "ordinal", title: axisTitle(state.x), sort: AXES[axisAt[state.x]].values};
    var color = state.colour ? {field: "colour", type: "nominal", title: axisTitle(state.colour),
      sort: AXES[axisAt[state.colour]].values} : {value: "#2166ac"};
    var yTitle = byEpoch ? metric.label : t("atEpoch", {metric: metric.label, epoch: LAST});
    var y = {field: "mean", type: "quantitative", title: yTitle, scale: {zero: false},
      axis: metric.share ? {format: ".1%"} : {}};
    var shown = metric.share ? ".2%" : ".4g";
    var tooltip = [{field: "x", title: axisTitle(state.x)}, {field: "mean", title: T.mean, format: shown},
      {field: "ci_low", title: T.ciLow, format: shown}, {field: "ci_high", title: T.ciHigh, format: shown},
      {field: "n", title: T.runs}];
    var mean = {filter: "datum.kind === 'mean'"};
    var layers = [
      {transform: [mean], mark: byEpoch ? {type: "area", opacity: 0.2} : {type: "rule"},
        encoding: {x: xEnc, y: {field: "lo", type: "quantitative", title: yTitle}, y2: {field: "hi"}, color: color}},
      {transform: [mean], mark: {type: "line", point: true},
        encoding: {x: xEnc, y: y, color: color, tooltip: tooltip}},
    ];
    if (state.seeds) {
      layers.push({transform: [{filter: "datum.kind === 'seed'"}],
        mark: byEpoch ? {type: "line", opacity: 0.35, strokeWidth: 1} : {type: "point", opacity: 0.5, size: 15},
        encoding: {x: xEnc, y: {field: "value", type: "quantitative", title: yTitle}, color: color,
          detail: {field: "run"}, tooltip: [{field: "run", title: T.run}, {field: "value", title: T.value, format: shown}]}});
    }
    var spec = {
      data: {name: "points", values: made.rows}, config: vegaConfig({stroke: null})};
    var facet = {};
    if (made.rowKey) facet.row = {field: "row", type: "nominal", title: axisTitle(made.rowKey)};
    if (state.facet) facet.column = {field: "facet", type: "nominal", title: axisTitle(state.facet),
      sort: AXES[axisAt[state.facet]].values};
    var inner = {width: state.facet ? 260 : 640, height: 260, layer: layers};
    if (facet.row || facet.column) return Object.assign(spec, {facet: facet, spec: inner, resolve: {scale: {y: "independent"}}});
    return Object.assign(spec, inner);
  }

  // One row per configuration the filters keep and dimension; `kept`: inside the box too.
  function pcRows(keep) {
    var means = configMeans(state.pc), range = metricRange(means), dims = dimensions(), rows = [];
    D.configs.forEach(function (c, i) {
      if (!passesFilters(c)) return;
      dims.forEach(function (name, d) {
        var y = position(c, d, means, range);
        if (y !== null) rows.push({config: c.id, d: d, y: y, kept: keep[i] ? 1 : 0,
          dataset: DATASET ? AXES[axisAt.dataset].values[c.codes[axisAt.dataset]] : ""});
      });
    });
    return rows;
  }

  function pcSpec(keep) {
    var means = configMeans(state.pc), range = metricRange(means), dims = dimensions();
    var rows = pcRows(keep), ticks = [];
    AXES.forEach(function (a, d) {
      a.values.forEach(function (v, k) { ticks.push({d: d, y: a.values.length > 1 ? k / (a.values.length - 1) : 0.5, text: v}); });
    });
    var share = METRICS[state.pc].share;
    [0, 0.5, 1].forEach(function (y) {
      var v = range[0] + y * (range[1] - range[0]);
      ticks.push({d: dims.length - 1, y: y, text: format(v, {share: share})});
    });
    var x = {field: "d", type: "quantitative", title: null, scale: {domain: [-0.3, dims.length - 0.7], nice: false},
      axis: {values: dims.map(function (_, d) { return d; }), labelExpr: "[" + dims.map(function (n) { return JSON.stringify(n); }).join(",") + "][datum.value]",
        grid: true, orient: "top", ticks: false, domain: false}};
    var y = {field: "y", type: "quantitative", axis: null, scale: {domain: [-0.05, 1.05], nice: false}};
    var brush = {name: "brush", select: {type: "interval", encodings: ["x", "y"], clear: "dblclick"}};
    if (state.brush) brush.value = {x: state.brush.slice(0, 2), y: state.brush.slice(2)};
    return {
      width: Math.max(420, 110 * dims.length), height: 240, config: vegaConfig({stroke: null, fill: "#fff"}),
      layer: [
        {data: {name: "pc", values: rows}, mark: {type: "line", strokeWidth: 1},
          encoding: {x: x, y: y, detail: {field: "config"},
            color: DATASET ? {field: "dataset", type: "nominal", title: AXES[axisAt.dataset].label} : {value: "#2166ac"},
            opacity: {condition: {test: "datum.kept === 1", value: 0.75}, value: 0.06}}},
        {data: {name: "pcpoints", values: rows}, mark: {type: "point", size: 8, opacity: 0},
          params: [brush], encoding: {x: x, y: y}},
        {data: {name: "ticks", values: ticks}, mark: {type: "text", align: "left", dx: 4, fontSize: 10},
          encoding: {x: x, y: y, text: {field: "text"}}},
      ]};
  }

  // ----------------------------------------------------------------- drawing
  function draw(name, element, spec) {
    if (api.views[name]) api.views[name].finalize();
    if (!element.dataset.label) element.dataset.label = element.getAttribute("aria-label") || "";
    var compiled = vegaLite.compile(spec).spec;
    var view = new vega.View(vega.parse(compiled, null, {ast: true}), {
      expr: vega.expressionInterpreter, renderer: "svg", container: element, hover: true,
    });
    api.views[name] = view;
    return view.runAsync().then(function () { keepLabel(element); });
  }

  // Vega marks its container a "Vega visualization" in English: give it back its role and
  // its label in the report's language (set by the template).
  function keepLabel(element) {
    element.setAttribute("role", "img");
    element.setAttribute("aria-label", element.dataset.label);
    element.removeAttribute("aria-roledescription");
  }

  function redraw(what) {
    var started = performance.now(), keep = keptConfigs(), jobs = [];
    jobs.push(draw("chart", $("explorer-chart"), chartSpec(chartRows(keep))));
    // The parallel coordinates are drawn anew only for a new metric; else their data change
    // in place, which is faster and keeps the box.
    if (what === "pc" || !api.views.pc) jobs.push(draw("pc", $("explorer-pc"), pcSpec(keep)).then(listenToBrush));
    else jobs.push(updatePc(keep));
    updateTable(keep);
    writeFragment();
    api.ready = Promise.all(jobs).then(function () {
      api.lastRedrawMs = performance.now() - started;
      api.redraws += 1;
      if (api.firstPaintMs === undefined) api.firstPaintMs = performance.now();
    }, function (error) { console.error(error); });
    return api.ready;
  }

  // The lines the box lets through stay dark; the others fade (the box itself stays).
  function updatePc(keep) {
    var view = api.views.pc, rows = pcRows(keep);
    view.change("pc", vega.changeset().remove(vega.truthy).insert(rows));
    view.change("pcpoints", vega.changeset().remove(vega.truthy).insert(rows));
    return view.runAsync();
  }

  var brushTimer = null;
  function listenToBrush() {
    api.views.pc.addSignalListener("brush", function (_, value) {
      var b = value && value.d && value.y ? [value.d[0], value.d[1], value.y[0], value.y[1]] : null;
      state.brush = b;
      clearTimeout(brushTimer);
      brushTimer = setTimeout(function () { redraw("brush"); }, 60);
    });
  }

  // ----------------------------------------------------------------- the table
  var configIndex = {}, runCount = D.configs.map(function () { return 0; });
  D.configs.forEach(function (c, i) { configIndex[c.id] = i; });
  D.runs.config.forEach(function (c) { if (c >= 0) runCount[c] += 1; });

  function buildTable() {
    var head = $("explorer-table-head");
    AXES.concat([{label: T.seeds}, {label: T.meanAtLast}, {label: T.verdict}]).forEach(function (a) {
      var th = document.createElement("th");
      th.textContent = a.label;
      head.appendChild(th);
    });
    var body = $("explorer-table").tBodies[0];
    D.configs.forEach(function (c, i) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-config", c.id);
      tr.setAttribute("data-index", i);
      c.codes.forEach(function (code, a) { cell(tr, AXES[a].values[code]); });
      cell(tr, ""); cell(tr, ""); cell(tr, c.verdict ? say(c.verdict) : "—");
      tr.addEventListener("click", function () { state.config = c.id; showDetail(); writeFragment(); });
      body.appendChild(tr);
    });
  }

  function cell(tr, text) {
    var td = document.createElement("td");
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function updateTable(keep) {
    var metric = METRICS[state.pc], values = {}, shown = 0;
    for (var r = 0; r < RUNS; r++) {
      var c = D.runs.config[r], span = spans[r];
      if (c < 0 || !span || D.points.epoch[span[1] - 1] !== LAST) continue;
      var v = D.points[state.pc][span[1] - 1];
      if (v !== null) (values[c] = values[c] || []).push(v);
    }
    var rows = $("explorer-table").tBodies[0].rows;
    Array.prototype.forEach.call(rows, function (tr) {
      var i = Number(tr.getAttribute("data-index"));
      tr.hidden = !keep[i];
      if (keep[i]) shown += 1;
      var s = values[i] ? describe(values[i]) : null, n = AXES.length;
      if (s && s.lo !== null && metric.share) { s.lo = Math.max(s.lo, 0); s.hi = Math.min(s.hi, 1); }
      tr.cells[n].textContent = String(runCount[i]);
      tr.cells[n + 1].setAttribute("data-sort", s ? s.mean : "");
      tr.cells[n + 1].textContent = !s ? "—" : s.lo === null ? format(s.mean, metric)
        : t("meanInterval", {mean: format(s.mean, metric), low: format(s.lo, metric), high: format(s.hi, metric)});
    });
    $("explorer-count").textContent = t("shownCount", {shown: shown, total: rows.length});
    $("explorer-pc-label").textContent = metric.label;
  }

  // ----------------------------------------------------------------- one configuration
  function showDetail() {
    var i = configIndex[state.config], panel = $("explorer-detail");
    Array.prototype.forEach.call($("explorer-table").tBodies[0].rows, function (tr) {
      tr.classList.toggle("chosen", Number(tr.getAttribute("data-index")) === i);
    });
    if (i === undefined) { panel.hidden = true; return; }
    var c = D.configs[i];
    panel.hidden = false;
    $("explorer-detail-title").textContent = c.label;
    $("explorer-detail-words").textContent = c.words;
    var counts = {};
    D.runs.config.forEach(function (x, r) {
      var v = D.runs.verdict[r] ? say(D.runs.verdict[r]) : T.noVerdict;
      if (x === i) counts[v] = (counts[v] || 0) + 1;
    });
    $("explorer-detail-verdict").textContent = t("verdictLine", {verdict: c.verdict ? say(c.verdict) : "—",
      counts: Object.keys(counts).map(function (v) { return t("seedCount", {n: counts[v], verdict: v}); }).join(", ")});
    // The splits keep their codes in the data (`split`) and show their names (`shown`).
    var loss = /loss/.test(state.metric), rows = [], what = loss ? T.loss : T.accuracy;
    var splitName = {train: T.train, validation: T.validation, test: T.test};
    D.runs.config.forEach(function (x, r) {
      if (x !== i || !spans[r]) return;
      for (var p = spans[r][0]; p < spans[r][1]; p++) {
        ["train", "validation", "test"].forEach(function (split) {
          var v = D.points[split + (loss ? "_loss" : "_accuracy")][p];
          if (v !== null) rows.push({epoch: D.points.epoch[p], split: split, shown: splitName[split], seed: D.runs.seed[r], value: v});
        });
      }
    });
    var splits = [T.train, T.validation, T.test];
    draw("curves", $("explorer-curves"), {
      data: {name: "curves", values: rows}, width: 380, height: 240, mark: {type: "line", point: true},
      config: vegaConfig(),
      encoding: {x: {field: "epoch", type: "quantitative", title: T.epoch},
        y: {field: "value", type: "quantitative", title: what, scale: {zero: false}},
        color: {field: "shown", type: "nominal", title: T.split, sort: splits},
        detail: {field: "seed"}, strokeDash: {field: "seed", type: "nominal", title: T.seed},
        tooltip: [{field: "shown", title: T.split}, {field: "seed", title: T.seed}, {field: "epoch", title: T.epoch},
          {field: "value", title: T.value}]}});
    var cells = [];
    if (c.confusion) c.confusion.rates.forEach(function (row, t) {
      row.forEach(function (rate, p) { cells.push({true: c.confusion.classes[t], predicted: c.confusion.classes[p], rate: rate}); });
    });
    if (cells.length) draw("confusion", $("explorer-confusion"), {
      data: {name: "confusion", values: cells}, width: 260, height: 260, mark: "rect", config: vegaConfig(),
      encoding: {x: {field: "predicted", type: "ordinal", title: T.predicted, sort: c.confusion.classes},
        y: {field: "true", type: "ordinal", title: T.trueClass, sort: c.confusion.classes},
        color: {field: "rate", type: "quantitative", scale: {type: "sqrt", scheme: "blues"}, title: T.trueShare},
        tooltip: [{field: "true", title: T.trueClass}, {field: "predicted", title: T.predicted},
          {field: "rate", title: T.rate, format: ".2%"}]}});
    else $("explorer-confusion").textContent = T.noConfusion;
  }

  // ----------------------------------------------------------------- controls
  function options(select, items, chosen) {
    select.textContent = "";
    items.forEach(function (item) {
      var o = document.createElement("option");
      o.value = item[0]; o.textContent = item[1];
      select.appendChild(o);
    });
    select.value = chosen;
  }

  function buildControls() {
    var metrics = D.metrics.map(function (m) { return [m.key, m.label]; });
    var axes = AXES.map(function (a) { return [a.key, a.label]; });
    options($("explorer-metric"), metrics, state.metric);
    options($("explorer-pc-metric"), metrics, state.pc);
    options($("explorer-x"), [["epoch", T.epoch]].concat(axes), state.x);
    options($("explorer-colour"), [["", T.none]].concat(axes), state.colour);
    options($("explorer-facet"), [["", T.none]].concat(axes), state.facet);
    $("explorer-seeds").checked = state.seeds;
    var box = $("explorer-filters");
    box.textContent = "";
    AXES.forEach(function (a) {
      if (a.values.length < 2) return;
      var set = document.createElement("fieldset"), legend = document.createElement("legend");
      legend.textContent = a.label;
      set.appendChild(legend);
      a.values.forEach(function (v) {
        var label = document.createElement("label"), input = document.createElement("input");
        input.type = "checkbox"; input.checked = !(state.hide[a.key] || []).includes(v);
        input.setAttribute("data-axis", a.key); input.value = v;
        input.addEventListener("change", function () {
          var h = (state.hide[a.key] || []).filter(function (x) { return x !== v; });
          if (!input.checked) h.push(v);
          state.hide[a.key] = h;
          if (!h.length) delete state.hide[a.key];
          redraw();
        });
        label.appendChild(input); label.appendChild(document.createTextNode(" " + v));
        set.appendChild(label);
      });
      box.appendChild(set);
    });
  }

  [["explorer-metric", "metric"], ["explorer-pc-metric", "pc"], ["explorer-x", "x"],
    ["explorer-colour", "colour"], ["explorer-facet", "facet"]].forEach(function (pair) {
    $(pair[0]).addEventListener("change", function (e) {
      state[pair[1]] = e.target.value;
      if (pair[1] === "pc") state.brush = null;
      redraw(pair[1] === "pc" ? "pc" : "");
      if (state.config) showDetail();
    });
  });
  $("explorer-seeds").addEventListener("change", function (e) { state.seeds = e.target.checked; redraw(); });
  $("explorer-unbrush").addEventListener("click", function () { state.brush = null; redraw("pc"); });
  $("explorer-reset").addEventListener("click", function () { apply(copy(DEFAULT), []); });

  function apply(s, bad) {
    state = s;
    var note = $("explorer-note");
    note.hidden = !bad.length;
    note.textContent = bad.length ? t("badLink", {list: bad.join(", ")}) : "";
    buildControls();
    showDetail();
    return redraw("pc");
  }

  function fromFragment() {
    var hash = decodeURIComponent(location.hash.slice(1)).indexOf("explore?") === 0 ? location.hash.slice(1) : "";
    var parsed = hash ? parse(hash) : {state: copy(DEFAULT), bad: []};
    return apply(parsed.state, parsed.bad);
  }

  window.addEventListener("hashchange", function () {
    if (location.hash.indexOf("#explore?") === 0 && location.hash.slice(1) !== serialize(state)) fromFragment();
  });
  buildTable();
  fromFragment();
})();
