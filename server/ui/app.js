// evlog's web console: hash-routed pages over evlogd's JSON routes
// (docs/http.md, docs/console.md). No framework, no build step, no other
// origin. Every error is shown in #errors (data-error), which the browser
// test reads: a page that breaks must show it.
"use strict";

const TOKEN_KEY = "evlog-token";
const PAGE = 50;
const view = document.getElementById("view");
let cleanup = null;  // stops the current page's timers and streams

// ---- errors ----------------------------------------------------------------

function reportError(text) {
  const list = document.getElementById("error-list");
  const item = document.createElement("li");
  item.textContent = text;
  list.appendChild(item);
  document.getElementById("errors").hidden = false;
}
window.addEventListener("error", (e) => reportError("script error: " + e.message));
window.addEventListener("unhandledrejection", (e) =>
  reportError("script error: " + (e.reason && e.reason.message ? e.reason.message : e.reason)));

// ---- DOM helpers -------------------------------------------------------------

// el("td", {class: "x"}, "text", child): an element with attributes and children.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function show(...nodes) {
  view.replaceChildren(...nodes);
}

function streamLink(name) {
  return el("a", {href: "#/streams/" + encodeURIComponent(name)}, name);
}

function pretty(value) {
  if (value === null || value === undefined) return el("span", {class: "muted"}, "null");
  return el("pre", {}, typeof value === "string" ? value : JSON.stringify(value, null, 2));
}

function fmtBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; ++i; }
  return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
}

function fmtNumber(n) {
  return Number(n).toLocaleString("en-US");
}

// ---- the token and requests ----------------------------------------------------

function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

// Shows the token form; resolves once the user gave a token (or rejects
// on Cancel).
function askToken() {
  const form = document.getElementById("token-form");
  const input = document.getElementById("token-input");
  form.hidden = false;
  input.value = "";
  input.focus();
  return new Promise((resolve, reject) => {
    form.onsubmit = (e) => {
      e.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, input.value);
      form.hidden = true;
      resolve();
    };
    document.getElementById("token-cancel").onclick = () => {
      form.hidden = true;
      reject(new Error("a token is needed"));
    };
  });
}

class HttpError extends Error {
  constructor(status, body) {
    super((body && body.message) || "HTTP " + status);
    this.status = status;
    this.code = body && body.error;
  }
}

// fetch() with the Bearer token; asks for the token on a 401 and retries.
// Resolves to the parsed JSON (or text with {text: true}). A failed request
// is reported in #errors unless its status is in options.expect.
async function api(path, options = {}) {
  for (;;) {
    const headers = {Accept: "application/json"};
    if (token()) headers.Authorization = "Bearer " + token();
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {method: options.method || "GET", headers,
                                        body: options.body});
    if (response.status === 401) {
      await askToken();
      continue;
    }
    if (!response.ok) {
      let body = null;
      try { body = await response.json(); } catch (e) { body = null; }
      const error = new HttpError(response.status, body);
      if (!(options.expect || []).includes(response.status)) {
        reportError(`${options.method || "GET"} ${path}: ${response.status} ${error.message}`);
      }
      throw error;
    }
    return options.text ? response.text() : response.json();
  }
}

// A URL with the non-empty parameters of `params`.
function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, v);
  }
  const s = q.toString();
  return s ? path + "?" + s : path;
}

// A name just before every name that starts with `prefix`, for
// GET /streams?after= ("" for an empty prefix). Names are UTF-8 and sort
// bytewise: the prefix with its last character one lower, then the highest
// code point, sorts after every name with that lower character.
function before(prefix) {
  if (!prefix) return "";
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) - 1) +
         String.fromCodePoint(0x10ffff);
}

// Whether stream `name` exists, asked of the stream list (a read of a
// missing stream would be a 404: an error in the browser's console).
async function streamExists(name) {
  const list = await api(withQuery("/streams", {after: before(name), count: 1,
                                                system: name.startsWith("$") ? "true" : ""}));
  return list.streams.length > 0 && list.streams[0].stream === name;
}

// ---- Prometheus text -------------------------------------------------------------

// {name: [{labels: {..}, value}]} from the text format.
function parseMetrics(text) {
  const out = {};
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[3]) {
      for (const l of m[3].matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) {
        labels[l[1]] = l[2].replace(/\\n/g, "\n").replace(/\\(.)/g, "$1");
      }
    }
    (out[m[1]] = out[m[1]] || []).push({labels, value: Number(m[4])});
  }
  return out;
}

function metric(metrics, name) {
  const samples = metrics[name];
  return samples && samples.length ? samples[0].value : 0;
}

// ---- events table ------------------------------------------------------------------

function eventsTable(events, {showStream = true} = {}) {
  if (!events.length) return el("p", {class: "muted"}, "No events.");
  const head = el("tr", {},
    el("th", {scope: "col"}, "Position"),
    showStream ? el("th", {scope: "col"}, "Stream") : null,
    el("th", {scope: "col"}, "Version"),
    el("th", {scope: "col"}, "Type"),
    el("th", {scope: "col", class: "wide"}, "Time"),
    el("th", {scope: "col", class: "wide"}, "Id"),
    el("th", {scope: "col"}, "Data"),
    el("th", {scope: "col"}, "Metadata"));
  const rows = events.map((e) => el("tr", {"data-position": e.position},
    el("td", {}, e.position),
    showStream ? el("td", {}, streamLink(e.stream)) : null,
    el("td", {}, e.version),
    el("td", {}, el("code", {}, e.type)),
    el("td", {class: "wide"}, e.time),
    el("td", {class: "wide"}, el("code", {}, e.id)),
    el("td", {}, pretty(e.data)),
    el("td", {}, pretty(e.metadata))));
  return el("div", {class: "table-wrap"},
            el("table", {}, el("thead", {}, head), el("tbody", {}, rows)));
}

// ---- pages ----------------------------------------------------------------------------

// A small line chart of `values` (numbers) as an inline SVG.
function chart(values, label) {
  const w = 300, h = 80;
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  const max = Math.max(1, ...values);
  const points = values.map((v, i) =>
    `${values.length < 2 ? 0 : (i * w) / (values.length - 1)},${h - 4 - ((h - 8) * v) / max}`);
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", points.join(" "));
  svg.appendChild(line);
  return svg;
}

// Samples kept across visits of the Overview, 2 s apart: 10 minutes.
const samples = [];
const MAX_SAMPLES = 300;

async function overviewPage() {
  const cards = el("div", {class: "cards"});
  const charts = el("div", {class: "charts"});
  show(el("h2", {}, "Overview"), cards, charts);
  async function sample() {
    const [stats, text] = await Promise.all([api("/stats"), api("/metrics", {text: true})]);
    const m = parseMetrics(text);
    samples.push({t: performance.now(), events: metric(m, "evlog_events_total"),
                  commits: metric(m, "evlog_group_commit_events_count"),
                  committed: metric(m, "evlog_group_commit_events_sum")});
    if (samples.length > MAX_SAMPLES) samples.shift();
    const rates = [], sizes = [];
    for (let i = 1; i < samples.length; ++i) {
      const a = samples[i - 1], b = samples[i];
      const dt = (b.t - a.t) / 1000;
      rates.push(dt > 0 ? (b.events - a.events) / dt : 0);
      const dc = b.commits - a.commits;
      sizes.push(dc > 0 ? (b.committed - a.committed) / dc : 0);
    }
    const card = (label, value, name) =>
      el("div", {class: "card", "data-stat": name},
         el("div", {class: "label"}, label), el("div", {class: "value"}, value));
    cards.replaceChildren(
      card("Events", fmtNumber(stats.events), "events"),
      card("Streams", fmtNumber(stats.streams), "streams"),
      card("Last position", fmtNumber(stats.last_position), "last_position"),
      card("Disk", fmtBytes(stats.disk_bytes), "disk_bytes"),
      card("Binary sessions", fmtNumber(metric(m, "evlogd_sessions")), "sessions"),
      card("Queued bytes", fmtBytes(metric(m, "evlogd_queued_bytes")), "queued_bytes"));
    const last = (xs) => (xs.length ? xs[xs.length - 1] : 0);
    charts.replaceChildren(
      el("figure", {}, chart(rates, "Append rate"),
         el("figcaption", {}, `Append rate: ${last(rates).toFixed(1)} events/s`)),
      el("figure", {}, chart(sizes, "Group commit size"),
         el("figcaption", {}, `Group commit: ${last(sizes).toFixed(1)} events per write`)));
  }
  await sample();
  const timer = setInterval(() => sample().catch(() => {}), 2000);
  return () => clearInterval(timer);
}

async function streamsPage(params) {
  const category = params.get("category") || "";
  const prefix = params.get("prefix") || "";
  const after = params.get("after") || "";
  const form = el("form", {class: "bar", role: "search"},
    el("label", {}, "Category", el("input", {name: "category", value: category, placeholder: "order"})),
    el("label", {}, "Name starts with", el("input", {name: "prefix", value: prefix})),
    el("button", {type: "submit"}, "Search"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(form);
    location.hash = withQuery("#/streams", {category: f.get("category"), prefix: f.get("prefix")});
  });
  // A prefix search starts listing just before the prefix: names sort
  // bytewise, so every match follows and the first non-match ends it.
  const start = after || before(prefix);
  const list = await api(withQuery("/streams", {category, after: start, count: PAGE}));
  let rows = list.streams;
  let more = list.truncated;
  if (prefix) {
    const kept = rows.filter((s) => s.stream.startsWith(prefix));
    if (kept.length < rows.length) more = false;
    rows = kept;
  }
  const table = rows.length
    ? el("div", {class: "table-wrap"}, el("table", {},
        el("thead", {}, el("tr", {}, el("th", {scope: "col"}, "Stream"), el("th", {scope: "col"}, "Version"))),
        el("tbody", {}, rows.map((s) =>
          el("tr", {"data-stream": s.stream}, el("td", {}, streamLink(s.stream)), el("td", {}, s.version))))))
    : el("p", {class: "muted"}, "No streams.");
  const pager = el("div", {class: "bar"},
    after ? el("a", {href: withQuery("#/streams", {category, prefix})}, "First page") : null,
    more ? el("a", {href: withQuery("#/streams", {category, prefix, after: rows[rows.length - 1].stream})},
              "Next page") : null);
  show(el("h2", {}, "Streams"), form, table, pager);
}

async function streamPage(name, params) {
  const direction = params.get("direction") === "backward" ? "backward" : "forward";
  const from = params.get("from") || "";
  const path = "/streams/" + encodeURIComponent(name);
  let page;
  try {
    page = await api(withQuery(path, {from, count: PAGE, direction}), {expect: [404, 410]});
  } catch (e) {
    if (e.status === 404 || e.status === 410) {
      show(el("h2", {}, "Stream ", el("code", {}, name)), el("p", {}, e.message));
      return;
    }
    throw e;
  }
  // The stream's metadata: the newest $metadata event of $meta-<stream>.
  let metadata = null;
  if (!name.startsWith("$") && await streamExists("$meta-" + name)) {
    const meta = await api(withQuery("/streams/" + encodeURIComponent("$meta-" + name),
                                     {count: 1, direction: "backward"}));
    if (meta.events.length) metadata = meta.events[0].data;
  }
  const events = page.events;
  const link = (label, f, d) =>
    el("a", {href: withQuery("#/streams/" + encodeURIComponent(name), {from: f, direction: d})}, label);
  const pager = el("div", {class: "bar"},
    link("Oldest", 1, "forward"), link("Newest", "", "backward"),
    events.length && (direction === "forward" ? events[0].version > 1 : page.truncated)
      ? link("Older", Math.max(1, (direction === "forward" ? events[0].version : events[events.length - 1].version) - 1), "backward") : null,
    events.length && (direction === "forward" ? page.truncated : events[0].version < page.version)
      ? link("Newer", (direction === "forward" ? events[events.length - 1].version : events[0].version) + 1, "forward") : null);
  show(el("h2", {}, "Stream ", el("code", {"data-stream-name": name}, name)),
       el("p", {}, `Version ${page.version}. `, el("a", {href: withQuery("#/live", {prefix: name})}, "Follow live")),
       el("h3", {}, "Stream metadata"),
       metadata === null ? el("p", {class: "muted"}, "None (no retention rules; not deleted).") : pretty(metadata),
       el("h3", {}, `Events (${direction})`), pager, eventsTable(events, {showStream: false}));
}

async function logPage(params) {
  const from = params.get("from") || "";
  const category = params.get("category") || "";
  const type = params.get("type") || "";
  const form = el("form", {class: "bar"},
    el("label", {}, "From position", el("input", {name: "from", value: from, inputmode: "numeric", size: 10})),
    el("label", {}, "Category", el("input", {name: "category", value: category})),
    el("label", {}, "Type", el("input", {name: "type", value: type})),
    el("button", {type: "submit"}, "Read"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(form);
    location.hash = withQuery("#/log", {from: f.get("from"), category: f.get("category"), type: f.get("type")});
  });
  const page = await api(withQuery("/all", {from, category, type, count: PAGE}));
  const pager = el("div", {class: "bar"},
    page.truncated ? el("a", {href: withQuery("#/log", {from: page.next, category, type})}, "Next page") : null);
  show(el("h2", {}, "Global log"), form, eventsTable(page.events), pager);
}

// An access token for a GET that cannot carry a header (EventSource).
// Asked for even without a token in the tab: a 401 is how the page learns
// that evlogd has one (api() then asks the user), and without one evlogd
// issues it all the same.
async function accessToken() {
  const answer = await api("/token", {method: "POST"});
  return answer.access_token;
}

async function livePage(params) {
  const filters = {category: params.get("category") || "", type: params.get("type") || "",
                   prefix: params.get("prefix") || ""};
  const form = el("form", {class: "bar"},
    el("label", {}, "Category", el("input", {name: "category", value: filters.category})),
    el("label", {}, "Type", el("input", {name: "type", value: filters.type})),
    el("label", {}, "Stream prefix", el("input", {name: "prefix", value: filters.prefix})),
    el("button", {type: "submit"}, "Follow"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(form);
    location.hash = withQuery("#/live", {category: f.get("category"), type: f.get("type"), prefix: f.get("prefix")});
  });
  const status = el("span", {id: "live-status", "data-live": "connecting"}, "connecting");
  const rate = el("span", {id: "live-rate"}, "0.0 events/s");
  const pause = el("button", {type: "button", "aria-pressed": "false"}, "Pause");
  const autoScroll = el("input", {type: "checkbox", checked: true, id: "auto-scroll"});
  const tbody = el("tbody", {});
  const list = el("div", {id: "live-list", class: "table-wrap"}, el("table", {},
    el("thead", {}, el("tr", {}, ["Position", "Stream", "Version", "Type", "Data"].map((h) => el("th", {scope: "col"}, h)))),
    tbody));
  show(el("h2", {}, "Live tail"), form,
       el("div", {class: "bar"}, pause, el("label", {class: "inline"}, "Auto-scroll", autoScroll),
          el("span", {}, "Status: ", status), el("span", {}, "Rate: ", rate)),
       list);
  const MAX_ROWS = 500;
  let paused = false;
  let held = [];
  const arrivals = [];
  function render(e) {
    tbody.appendChild(el("tr", {"data-position": e.position},
      el("td", {}, e.position), el("td", {}, streamLink(e.stream)), el("td", {}, e.version),
      el("td", {}, el("code", {}, e.type)), el("td", {}, pretty(e.data))));
    while (tbody.children.length > MAX_ROWS) tbody.firstChild.remove();
    if (autoScroll.checked) list.scrollTop = list.scrollHeight;
  }
  pause.addEventListener("click", () => {
    paused = !paused;
    pause.textContent = paused ? "Resume" : "Pause";
    pause.setAttribute("aria-pressed", String(paused));
    if (!paused) { held.forEach(render); held = []; }
  });
  // The browser reconnects a dropped stream by itself, resuming after the
  // last id. A refused reconnect (with a token: the access token in the
  // URL has expired) closes it for good: then reopen once with a fresh
  // access token from the last position received, else offer a button.
  let source = null;
  let last = 0;
  let stopped = false;
  let retried = false;
  const reconnect = el("button", {type: "button", hidden: true}, "Reconnect");
  status.after(reconnect);
  const setStatus = (s) => { status.textContent = s; status.dataset.live = s; };
  async function open() {
    reconnect.hidden = true;
    const q = {...filters, from: last ? last + 1 : "", access_token: await accessToken()};
    if (stopped) return;
    source = new EventSource(withQuery("/subscribe", q));
    source.onopen = () => { retried = false; setStatus("open"); };
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) return setStatus("reconnecting");
      setStatus("closed");
      if (!retried) {
        retried = true;
        open().catch(() => { reconnect.hidden = false; });
      } else {
        reconnect.hidden = false;
      }
    };
    source.onmessage = (m) => {
      const e = JSON.parse(m.data);
      last = e.position;
      arrivals.push(performance.now());
      if (paused) {
        held.push(e);
        if (held.length > MAX_ROWS) held.shift();
      } else {
        render(e);
      }
    };
  }
  reconnect.addEventListener("click", () => { retried = false; open().catch(() => { reconnect.hidden = false; }); });
  await open();
  const timer = setInterval(() => {
    const now = performance.now();
    while (arrivals.length && arrivals[0] < now - 10000) arrivals.shift();
    rate.textContent = (arrivals.length / 10).toFixed(1) + " events/s";
  }, 1000);
  return () => { stopped = true; if (source) source.close(); clearInterval(timer); };
}

async function subscriptionsPage(params) {
  const [stats, text, views] = await Promise.all([api("/stats"), api("/metrics", {text: true}), api("/views")]);
  const m = parseMetrics(text);
  const byName = {};
  const put = (metricName, field) => {
    for (const s of m[metricName] || []) {
      (byName[s.labels.subscription] = byName[s.labels.subscription] || {})[field] = s.value;
    }
  };
  put("evlog_subscription_checkpoint_position", "checkpoint");
  put("evlog_subscription_lag_events", "lag");
  put("evlog_subscription_parked_events", "parked");
  const names = Object.keys(byName).sort();
  const head = stats.last_position || 1;
  const table = names.length
    ? el("div", {class: "table-wrap"}, el("table", {},
        el("thead", {}, el("tr", {}, ["Subscription", "Checkpoint", "Lag", "Parked"].map((h) => el("th", {scope: "col"}, h)))),
        el("tbody", {}, names.map((n) => {
          const s = byName[n];
          return el("tr", {"data-subscription": n},
            el("td", {}, el("a", {href: withQuery("#/subscriptions", {parked: n})}, n)),
            el("td", {}, fmtNumber(s.checkpoint || 0)),
            el("td", {"data-lag": s.lag || 0},
               el("meter", {min: 0, max: head, value: s.lag || 0, "aria-label": `Lag of ${n}`}),
               " ", fmtNumber(s.lag || 0), " events"),
            el("td", {}, fmtNumber(s.parked || 0)));
        }))))
    : el("p", {class: "muted"}, "No subscription has stored a checkpoint.");
  const viewTable = views.views.length
    ? el("div", {class: "table-wrap"}, el("table", {},
        el("thead", {}, el("tr", {}, ["View", "Generation", "Position", "Lag"].map((h) => el("th", {scope: "col"}, h)))),
        el("tbody", {}, views.views.map((v) =>
          el("tr", {"data-view": v.view},
            el("td", {}, v.view),
            el("td", {}, fmtNumber(v.generation)),
            el("td", {}, fmtNumber(v.position)),
            el("td", {"data-lag": v.lag},
               el("meter", {min: 0, max: head, value: v.lag, "aria-label": `Lag of view ${v.view}`}),
               " ", fmtNumber(v.lag), " events"))))))
    : el("p", {class: "muted"}, "No view has applied anything.");
  const nodes = [el("h2", {}, "Subscriptions"), table, el("h2", {}, "Views"), viewTable];
  const parked = params.get("parked");
  if (parked) nodes.push(...await parkedSection(parked));
  show(...nodes);
}

// The parked events of subscription `name`, with their errors, and the
// replay action (a write: it needs the token when evlogd has one).
async function parkedSection(name) {
  let events = [];
  if (await streamExists("$parked-" + name)) {
    const page = await api(withQuery("/streams/" + encodeURIComponent("$parked-" + name),
                                     {count: PAGE, direction: "backward"}));
    events = page.events;
  }
  const result = el("span", {id: "replay-result"});
  const replay = el("button", {type: "button", disabled: !events.length}, "Replay parked");
  replay.addEventListener("click", async () => {
    replay.disabled = true;
    try {
      const r = await api("/subscriptions/" + encodeURIComponent(name) + "/replay-parked", {method: "POST"});
      result.textContent = `${r.replayed} events queued for replay.`;
    } catch (e) {
      result.textContent = e.message;
    } finally {
      replay.disabled = false;
    }
  });
  // A parked event's data is the original event, encoded; its metadata
  // says which event it was and why it failed.
  const rows = events.map((e) => {
    const meta = e.metadata || {};
    return el("tr", {"data-parked": e.version},
      el("td", {}, meta.stream ? streamLink(meta.stream) : ""),
      el("td", {}, meta.stream
        ? el("a", {href: withQuery("#/streams/" + encodeURIComponent(meta.stream), {from: meta.version})}, meta.version)
        : ""),
      el("td", {}, meta.position), el("td", {}, el("code", {}, e.type)),
      el("td", {class: "bad"}, meta.error), el("td", {class: "wide"}, e.time));
  });
  return [el("h3", {}, "Parked events of ", el("code", {}, name)),
          el("div", {class: "bar"}, replay, result),
          rows.length
            ? el("div", {class: "table-wrap"}, el("table", {},
                el("thead", {}, el("tr", {}, ["Stream", "Version", "Position", "Type", "Error"].map((h) => el("th", {scope: "col"}, h)),
                                   el("th", {scope: "col", class: "wide"}, "Parked at"))),
                el("tbody", {}, rows)))
            : el("p", {class: "muted"}, "No parked events.")];
}

// ---- routing --------------------------------------------------------------------------

async function route() {
  if (cleanup) { cleanup(); cleanup = null; }
  document.body.dataset.state = "loading";
  const hash = location.hash.replace(/^#/, "") || "/overview";
  const [path, query] = hash.split("?");
  const params = new URLSearchParams(query || "");
  const parts = path.split("/").filter(Boolean);
  const page = parts[0] || "overview";
  document.body.dataset.page = page;
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.nav === page) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  try {
    let stop;
    if (page === "overview") stop = await overviewPage();
    else if (page === "streams" && parts.length > 1) await streamPage(decodeURIComponent(parts.slice(1).join("/")), params);
    else if (page === "streams") await streamsPage(params);
    else if (page === "log") await logPage(params);
    else if (page === "live") stop = await livePage(params);
    else if (page === "subscriptions") await subscriptionsPage(params);
    else show(el("h2", {}, "Not found"), el("p", {}, "No page " + path + "."));
    cleanup = stop || null;
  } catch (e) {
    if (!(e instanceof HttpError)) reportError("script error: " + e.message);
    show(el("h2", {}, "Error"), el("p", {class: "bad"}, e.message));
  }
  document.body.dataset.state = "ready";
}

document.getElementById("token-button").addEventListener("click", () => {
  askToken().then(route, () => {});
});
window.addEventListener("hashchange", route);
route();
