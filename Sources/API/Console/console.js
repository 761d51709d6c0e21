// The Baedal operator console. Plain JavaScript, no build step, nothing from elsewhere.
// Every value that comes from Redis is put on the page as text (textContent, text nodes),
// never parsed as HTML. The token lives in this tab's sessionStorage and goes out only in
// the Authorization header of requests to this origin.
"use strict";

(function () {
  const TOKEN_KEY = "baedal.console.token";
  const POLL_MS = 1000;            // live: every view is at most a second or two old
  const GROWTH_SAMPLES = 5;        // a lag that rose over this many polls in a row stands out
  const STATUSES = ["placed", "accepted", "cooking", "cooked", "picked", "delivered", "completed", "cancelled", "rejected"];

  const $ = (id) => document.getElementById(id);
  const state = {
    token: null,
    order: null,          // the order being looked at: { id, events: Map, cursors, complete }
    lagHistory: new Map(),
    deadLastId: null,
    deadSignature: null,
    deadTotal: 0,
    inFlight: false,
    lastOk: 0,
    firstData: null,
  };

  // ---- DOM helpers: text only ----------------------------------------------------------------

  /** An element with attributes and children; strings become text nodes. */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = String(value);
      else node.setAttribute(name, String(value));
    }
    append(node, children);
    return node;
  }

  function svg(tag, attributes, ...children) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
    }
  }

  /** A link to an order's page, wherever an order id appears. */
  function orderLink(orderId) {
    if (!orderId) return el("span", { class: "muted", text: "—" });
    const link = el("a", { class: "order-link mono", text: orderId });
    link.href = "#/order/" + encodeURIComponent(orderId);
    return link;
  }

  const number = new Intl.NumberFormat();
  const fmt = (n) => number.format(n);
  /** "1 unit", "3 units". */
  const count = (n, one, many) => fmt(n) + " " + (n === 1 ? one : many);

  function idTime(id) {
    // A dead letter's id names its partition when there are several: "3/1700000000000-0".
    const ms = Number(String(id || "").split("/").pop().split("-")[0]);
    return Number.isFinite(ms) && ms > 0 ? ms : null;
  }

  function clock(ms) {
    if (!ms) return "—";
    const date = new Date(ms);
    const sameDay = new Date().toDateString() === date.toDateString();
    return sameDay ? date.toLocaleTimeString() : date.toLocaleString();
  }

  /** 12:03:04.567: events of one second told apart. */
  function precise(ms) {
    if (!ms) return "—";
    const date = new Date(ms);
    return date.toLocaleTimeString([], { hour12: false }) + "." + String(date.getMilliseconds()).padStart(3, "0");
  }

  function ago(ms, now) {
    if (!ms) return "";
    const seconds = Math.max(0, Math.round((now - ms) / 1000));
    if (seconds < 60) return seconds + " s ago";
    if (seconds < 7200) return Math.round(seconds / 60) + " min ago";
    if (seconds < 172800) return Math.round(seconds / 3600) + " h ago";
    return Math.round(seconds / 86400) + " days ago";
  }

  function idle(ms) {
    if (ms < 1000) return ms + " ms";
    if (ms < 120000) return (ms / 1000).toFixed(1) + " s";
    if (ms < 7200000) return Math.round(ms / 60000) + " min";
    return Math.round(ms / 3600000) + " h";
  }

  /** The fields of a stream entry as a definition list; an order id is a link. */
  function fieldList(fields) {
    const list = el("dl", { class: "fields entry" });
    for (const field of fields || []) {
      const value = field.name === "orderId" ? orderLink(field.value)
        : field.name === "data" ? el("code", { class: "data", text: field.value })
        : el("span", { text: field.value });
      list.append(el("dt", { text: field.name }), el("dd", {}, value));
    }
    return list;
  }

  function fieldValue(fields, name) {
    const field = (fields || []).find((f) => f.name === name);
    return field ? field.value : null;
  }

  // ---- the token -----------------------------------------------------------------------------

  function claims(token) {
    try {
      const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const bytes = Uint8Array.from(atob(part + "===".slice((part.length + 3) % 4)), (c) => c.charCodeAt(0));
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      return null;
    }
  }

  function takeTokenFromURL() {
    const match = /^#token=([^&]+)/.exec(location.hash);
    if (!match) return;
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    // Out of the address bar, the history and any screenshot.
    history.replaceState(null, "", location.pathname + location.search + "#/dashboards");
  }

  function signIn(message) {
    state.token = null;
    $("app").hidden = true;
    $("signin").hidden = false;
    $("sign-out").hidden = true;
    $("who").textContent = "";
    $("signin-message").textContent = message || "";
    $("live").textContent = "signed out";
    $("live").className = "live off";
  }

  function useToken(token) {
    const c = claims(token);
    if (!c) return signIn("That is not a token: a token is three base64url parts separated by dots.");
    if (c.role !== "operator") return signIn("This token is a " + c.role + "'s; the console needs an operator's token.");
    if (typeof c.exp === "number" && c.exp * 1000 < Date.now()) return signIn("This token expired at " + new Date(c.exp * 1000).toLocaleString() + ".");
    state.token = token;
    $("signin").hidden = true;
    $("app").hidden = false;
    $("sign-out").hidden = false;
    $("who").textContent = "operator " + (c.sub || "?");
    if (c.exp) $("who").title = "token valid until " + new Date(c.exp * 1000).toLocaleString();
    route();
    poll();
  }

  // ---- talking to the API --------------------------------------------------------------------

  class SignedOut extends Error {}

  async function api(path, options) {
    const init = Object.assign({ headers: {} }, options || {});
    init.headers = Object.assign({ Authorization: "Bearer " + state.token, Accept: "application/json" }, init.headers);
    if (init.body !== undefined) init.headers["Content-Type"] = "application/json";
    init.cache = "no-store";
    const response = await fetch("/console/api/" + path, init);
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (response.status === 401 || response.status === 403) {
      sessionStorage.removeItem(TOKEN_KEY);
      const reason = body && body.message ? body.message : "the token was refused";
      signIn((response.status === 401 ? "Not signed in: " : "Not allowed: ") + reason + ". Paste an operator's token.");
      throw new SignedOut(reason);
    }
    if (!response.ok) throw new Error((body && body.message) || ("HTTP " + response.status));
    return body;
  }

  // ---- dashboards ----------------------------------------------------------------------------

  function renderBars(list, entries, idField, countField, isRider) {
    const max = Math.max(1, ...entries.map((e) => e[countField]));
    const items = entries.map((entry, index) => {
      const bar = el("span", { class: "fill" });
      bar.style.width = Math.max(0, (100 * entry[countField]) / max).toFixed(1) + "%";
      return el("li", { "data-id": entry[idField] },
        isRider ? el("span", { class: "rank", text: String(index + 1) }) : null,
        el("span", { class: "label", title: entry[idField], text: entry[idField] }),
        el("span", { class: "track" }, bar),
        el("span", { class: "value", text: fmt(entry[countField]) }));
    });
    list.replaceChildren(...(items.length ? items : [el("li", { class: "empty", text: "nothing counted yet" })]));
  }

  function renderDashboards(d) {
    renderBars($("food-chart"), d.foods.top, "foodId", "units", false);
    $("food-summary").textContent = count(d.foods.total, "unit", "units") + " of " + count(d.foods.count, "food", "foods") +
      (d.foods.count > d.foods.top.length ? " · top " + d.foods.top.length + " shown" : "");
    renderBars($("rider-board"), d.riders.top, "riderId", "deliveries", true);
    $("rider-summary").textContent = count(d.riders.total, "delivery", "deliveries") + " by " + count(d.riders.count, "rider", "riders") +
      (d.riders.count > d.riders.top.length ? " · top " + d.riders.top.length + " shown" : "");
    renderFlow(d.ordersPerMinute);
  }

  /** Orders waiting on a store or a rider (issue 24). */
  function renderWaiting(w) {
    const minutes = (ms) => ms < 60000 ? Math.round(ms / 1000) + " s" : (ms / 60000).toFixed(ms < 600000 ? 1 : 0) + " min";
    const forWhom = { accept: "the store's answer", pickup: "a rider" };
    const waiting = w.pastHalf.map((entry) => {
      const left = entry.due - w.now;
      return el("li", {}, orderLink(entry.orderId), " waits for " + (forWhom[entry.deadline] || entry.deadline) + ": ",
        el("span", { class: left < 0 ? "problem-text" : "", text: left < 0 ? "due " + minutes(-left) + " ago" : minutes(left) + " left" }));
    });
    $("waiting-list").replaceChildren(...(waiting.length ? waiting : [el("li", { class: "empty", text: "none" })]));
    const flags = w.flags.map((flag) => el("li", {}, orderLink(flag.orderId), " flagged " + ago(flag.flaggedAt, w.now)));
    $("flag-list").replaceChildren(...(flags.length ? flags : [el("li", { class: "empty", text: "none" })]));
    const stores = w.slowestStores.map((store) =>
      el("li", {}, el("span", { class: "mono", text: store.storeId }), " " + minutes(store.medianAcceptMs) + " (median of " + store.measured + ")"));
    $("slow-stores").replaceChildren(...(stores.length ? stores : [el("li", { class: "empty", text: "nothing measured yet" })]));
    $("waiting-summary").textContent = count(w.waiting, "deadline", "deadlines") + " waiting · " + count(w.openFlags, "order", "orders") +
      " flagged for want of a rider · an order is rejected after " + minutes(w.acceptTimeoutSeconds * 1000) + " without its store's answer";
  }

  function renderFlow(minutes) {
    const totals = {};
    let peak = 1;
    for (const m of minutes) {
      let sum = 0;
      for (const s of STATUSES) { const n = m.counts[s] || 0; totals[s] = (totals[s] || 0) + n; sum += n; }
      peak = Math.max(peak, sum);
    }
    $("flow-legend").replaceChildren(...STATUSES.map((s) =>
      el("li", { class: "s-" + s, "data-status": s }, el("span", { class: "swatch" }), s + " ", el("b", { text: fmt(totals[s] || 0) }))));
    // Drawn at the container's own width, so text in the chart is the page's size on any screen.
    const width = Math.max(280, Math.round($("flow-chart").clientWidth || 600));
    const height = width < 500 ? 110 : 150, gap = width < 500 ? 1 : 2, bar = width / Math.max(1, minutes.length);
    const chart = svg("svg", { viewBox: "0 0 " + width + " " + (height + 18), class: "flow-svg", role: "img",
      "aria-label": "orders per minute by status over the last hour" });
    chart.append(svg("line", { x1: 0, x2: width, y1: height + 0.5, y2: height + 0.5, class: "axis" }));
    minutes.forEach((m, i) => {
      let y = height;
      const column = svg("g", { class: "minute" });
      const parts = [];
      for (const s of STATUSES) {
        const n = m.counts[s] || 0;
        if (!n) continue;
        parts.push(s + " " + n);
        const h = (height - 4) * n / peak;
        y -= h;
        column.append(svg("rect", { x: (i * bar + gap / 2).toFixed(2), y: y.toFixed(2), width: Math.max(0.5, bar - gap).toFixed(2), height: h.toFixed(2), class: "s-" + s }));
      }
      const title = svg("title");
      title.textContent = new Date(m.minute).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) + " — " + (parts.join(", ") || "no orders");
      column.append(title, svg("rect", { x: (i * bar).toFixed(2), y: 0, width: bar.toFixed(2), height: height, class: "hit" }));
      chart.append(column);
    });
    if (minutes.length) {
      for (const [i, anchor] of [[0, "start"], [minutes.length - 1, "end"]]) {
        const label = svg("text", { x: i === 0 ? 0 : width, y: height + 14, "text-anchor": anchor, class: "tick" });
        label.textContent = new Date(minutes[i].minute).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
        chart.append(label);
      }
      const top = svg("text", { x: 2, y: 10, class: "tick" });
      top.textContent = fmt(peak) + "/min";
      chart.append(top);
    }
    $("flow-chart").replaceChildren(chart);
  }

  // ---- streams -------------------------------------------------------------------------------

  /** Whether a group's lag rose at every one of the last polls. */
  function lagGrowing(key, lag) {
    const history = state.lagHistory.get(key) || [];
    history.push(lag);
    while (history.length > GROWTH_SAMPLES) history.shift();
    state.lagHistory.set(key, history);
    if (history.length < GROWTH_SAMPLES || history.some((v) => typeof v !== "number")) return false;
    for (let i = 1; i < history.length; i++) if (history[i] <= history[i - 1]) return false;
    return true;
  }

  function renderStreams(s) {
    const scaling = new Map(s.autoscaler.map((p) => [p.policy, p]));
    const cards = s.streams.map((stream) => {
      const last = stream.lastEntry || [];
      const lastAt = idTime(stream.lastId);
      const rows = [];
      for (const group of stream.groups) {
        const key = stream.stream + "|" + group.name;
        const growing = lagGrowing(key, group.lag);
        const scaler = scaling.get(group.name);
        rows.push(el("tr", { class: "group" + (growing ? " growing" : ""), "data-group": group.name },
          el("th", { scope: "row", text: group.name }),
          el("td", { class: "num lag" }, group.lag === undefined ? "?" : fmt(group.lag), growing ? el("span", { class: "alarm", text: " ▲ growing" }) : null),
          el("td", { class: "num", text: fmt(group.pending) }),
          el("td", { class: "num", text: String(group.consumers.length) }),
          el("td", { class: "num scaler" }, scaler ? (scaler.running + " → " + scaler.wanted) : "—",
            scaler && scaler.failures > 0
              ? el("span", { class: "alarm", title: scaler.lastFailure || "", text: " ✕ " + scaler.failures + " failed" }) : null)));
        for (const consumer of group.consumers) {
          rows.push(el("tr", { class: "consumer" },
            el("td", { class: "consumer-name", text: consumer.name }),
            el("td", { class: "muted", text: "" }),
            el("td", { class: "num", text: fmt(consumer.pending) }),
            el("td", { class: "num muted", colspan: 2, text: "idle " + idle(consumer.idleMs) })));
        }
      }
      const table = stream.groups.length
        ? el("div", { class: "scroll" }, el("table", { class: "groups" },
            el("thead", {}, el("tr", {}, el("th", { text: "group / consumer" }), el("th", { class: "num", text: "lag" }),
              el("th", { class: "num", text: "pending" }), el("th", { class: "num", text: "consumers" }),
              el("th", { class: "num", title: "autoscaler: running → wanted", text: "instances" }))),
            el("tbody", {}, rows)))
        : el("p", { class: "muted", text: "no group reads it" });
      return el("article", { class: "card stream", "data-stream": stream.stream },
        el("div", { class: "card-head" },
          el("h3", { class: "mono", text: stream.stream }),
          el("span", { class: "length" }, el("b", { class: "stream-length", text: fmt(stream.length) }), stream.length === 1 ? " entry" : " entries")),
        el("p", { class: "sub last" }, stream.lastId
          ? ["last ", el("span", { class: "mono", text: stream.lastId }), " · ", fieldValue(last, "type") || "?", " · ",
             orderLink(fieldValue(last, "orderId")), " · ", ago(lastAt, s.now)]
          : "empty"),
        table);
    });
    $("stream-list").replaceChildren(...cards);
    const dead = s.streams.find((x) => x.stream.endsWith(":dead"));
    if (dead) setDeadBadge(dead.length);
  }

  // ---- dead letters --------------------------------------------------------------------------

  function setDeadBadge(count) {
    $("dead-badge").hidden = count === 0;
    $("dead-badge").textContent = fmt(count);
  }

  function renderDead(d) {
    state.deadLastId = d.lastId || null;
    state.deadTotal = d.total;
    setDeadBadge(d.total);
    $("dead-summary").textContent = d.total === 0 ? "no dead letters"
      : fmt(d.total) + " dead letter" + (d.total === 1 ? "" : "s") + (d.total > d.letters.length ? " · the oldest " + d.letters.length + " shown" : "");
    $("replay-all").hidden = $("drop-all").hidden = d.total === 0;
    $("replay-all").textContent = "Replay all " + fmt(d.total);
    $("drop-all").textContent = "Drop all " + fmt(d.total);
    // Re-drawn only when the letters change, so an open or closed entry stays as the operator left it.
    const signature = d.letters.map((letter) => letter.id).join(" ");
    if (signature === state.deadSignature) return;
    state.deadSignature = signature;
    const items = d.letters.map((letter) => {
      const type = fieldValue(letter.original, "type");
      const replay = el("button", { type: "button", class: "replay", text: "Replay" });
      replay.addEventListener("click", () => act("Replay dead letter " + letter.id + " (" + (type || "?") + ") on " + letter.stream +
        " for group " + letter.group + "?", "Replay", "dead/" + encodeURIComponent(letter.id) + "/replay"));
      const drop = el("button", { type: "button", class: "danger drop", text: "Drop" });
      drop.addEventListener("click", () => act("Drop dead letter " + letter.id + " for good?", "Drop", "dead/" + encodeURIComponent(letter.id) + "/drop"));
      return el("li", { class: "card letter", "data-id": letter.id },
        el("div", { class: "card-head" },
          el("h3", {}, el("span", { class: "type", text: type || "(no type)" }), " ", orderLink(fieldValue(letter.original, "orderId"))),
          el("span", { class: "actions" }, replay, drop)),
        el("p", { class: "reason", text: letter.reason }),
        el("p", { class: "sub" }, "stream ", el("span", { class: "mono", text: letter.stream }), " · entry ",
          el("span", { class: "mono", text: letter.entryId || "?" }), " · group ", el("b", { text: letter.group }),
          " · consumer ", letter.consumer, " · deliveries ", letter.deliveries, " · dead since ", clock(idTime(letter.id))),
        el("details", { open: true }, el("summary", { text: "the original entry" }), fieldList(letter.original)));
    });
    $("dead-list").replaceChildren(...items);
  }

  function confirmAction(text, label) {
    return new Promise((resolve) => {
      const modal = $("confirm");
      $("confirm-text").textContent = text;
      $("confirm-ok").textContent = label;
      modal.hidden = false;
      $("confirm-ok").focus();
      const done = (answer) => {
        modal.hidden = true;
        $("confirm-ok").onclick = $("confirm-cancel").onclick = null;
        resolve(answer);
      };
      $("confirm-ok").onclick = () => done(true);
      $("confirm-cancel").onclick = () => done(false);
    });
  }

  async function act(question, label, path, body) {
    if (!(await confirmAction(question, label))) return;
    const note = $("dead-result");
    note.hidden = true;
    note.textContent = "";
    try {
      const result = await api(path, { method: "POST", body: body === undefined ? undefined : JSON.stringify(body) });
      const letters = (n) => fmt(n) + (n === 1 ? " dead letter" : " dead letters");
      // "all" answers per letter: how many were done, gone meanwhile, or refused (with why).
      const extra = (typeof result.gone === "number" && result.gone > 0 ? "; " + letters(result.gone) + " gone meanwhile" : "")
        + (Array.isArray(result.failed) && result.failed.length > 0
          ? "; not replayed: " + result.failed.map((f) => f.id + " (" + f.reason + ")").join(", ") : "");
      note.textContent = (typeof result.replayed === "number" ? "replayed " + letters(result.replayed)
        : typeof result.dropped === "number" ? "dropped " + letters(result.dropped)
        : result.replayed ? "replayed " + result.replayed + " → " + result.stream + " " + result.newId + " for group " + result.group
        : "dropped " + result.dropped) + extra;
      note.className = Array.isArray(result.failed) && result.failed.length > 0 ? "note problem" : "note ok";
      clearTimeout(state.noteTimer);
      state.noteTimer = setTimeout(() => { note.hidden = true; }, 15000);
    } catch (error) {
      if (error instanceof SignedOut) return;
      note.textContent = "failed: " + error.message;
      note.className = "note problem";
    }
    note.hidden = false;
    poll();
  }

  // ---- an order ------------------------------------------------------------------------------

  function openOrder(orderId) {
    if (!state.order || state.order.id !== orderId) {
      state.order = { id: orderId, events: new Map(), cursors: [], complete: true, streams: [], loading: false, drawn: -1 };
      $("order-id").textContent = orderId;
      $("timeline").replaceChildren();
      $("order-fields").replaceChildren();
      $("order-status").textContent = "";
      $("timeline-note").textContent = "reading…";
    }
    $("order").hidden = false;
    loadOrder(false);
  }

  async function loadOrder(further) {
    const current = state.order;
    if (!current || current.loading) return;
    if (!further && !current.complete && current.cursors.length) return; // wait for a click
    current.loading = true;
    const query = new URLSearchParams();
    current.cursors.forEach((cursor, index) => { if (cursor) query.append("after", index + "_" + cursor); });
    try {
      const o = await api("orders/" + encodeURIComponent(current.id) + (query.toString() ? "?" + query : ""));
      if (state.order !== current) return;
      renderOrder(o);
    } catch (error) {
      if (!(error instanceof SignedOut)) {
        $("order-problem").textContent = error.message;
        $("order-problem").hidden = false;
      }
    } finally {
      current.loading = false;
    }
  }

  function renderOrder(o) {
    const current = state.order;
    $("order-problem").hidden = !!o.order;
    if (!o.order) $("order-problem").textContent = "No order " + o.orderId + " is stored; the timeline shows its entries among the newest of each stream.";
    const status = o.order ? o.order.status : "unknown";
    $("order-status").textContent = status;
    $("order-status").className = "status-badge s-" + status;
    const fields = [];
    if (o.order) {
      for (const [name, value] of Object.entries(o.order)) {
        let shown;
        if (name === "items") shown = el("ul", { class: "items" }, value.map((i) => el("li", { text: i.foodId + " × " + i.qty + " @ " + fmt(i.price) + " won" })));
        else if (name === "placedAt" || name === "updatedAt") shown = el("span", { text: clock(value) + " (" + value + ")" });
        else if (name === "amount") shown = el("span", { text: fmt(value) + " won" });
        else shown = el("span", { class: "mono", text: String(value) });
        fields.push(el("dt", { text: name }), el("dd", {}, shown));
      }
    }
    $("order-fields").replaceChildren(...fields);
    const t = o.timeline;
    for (const event of t.events) current.events.set(event.stream + " " + event.id, event);
    current.streams = t.streams;
    t.cursors.forEach((cursor, i) => { if (cursor) current.cursors[i] = cursor; });
    current.complete = t.complete;
    $("timeline-note").textContent = current.events.size + " event" + (current.events.size === 1 ? "" : "s") +
      (t.complete ? " · live" : " · the streams go on beyond what was read so far");
    $("timeline-more").hidden = t.complete;
    if (current.events.size === current.drawn) return;  // nothing new: leave the timeline as it is
    current.drawn = current.events.size;
    const events = [...current.events.values()].sort((a, b) => {
      const [am, as] = a.id.split("-").map(Number), [bm, bs] = b.id.split("-").map(Number);
      return am - bm || as - bs || (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0);
    });
    $("timeline").replaceChildren(...events.map((event) => {
      const dead = event.stream.endsWith(":dead");
      return el("li", { class: dead ? "dead-event" : "", "data-type": event.type },
        el("span", { class: "when", title: new Date(event.at || idTime(event.id)).toLocaleString(), text: precise(event.at || idTime(event.id)) }),
        el("span", { class: "type", text: event.type || "(no type)" }),
        el("span", { class: "where" }, el("span", { class: "mono", text: event.stream }), " ", el("span", { class: "mono muted", text: event.id }),
          dead ? el("span", { class: "alarm", text: " dead letter: " + (fieldValue(event.fields, "reason") || "") }) : null),
        // The trace of what wrote the entry, linked when BAEDAL_TRACE_URL is set.
        event.traceId ? el("span", { class: "trace" }, "trace ", event.traceUrl
          ? el("a", { class: "mono", href: event.traceUrl, target: "_blank", rel: "noopener noreferrer", text: event.traceId })
          : el("span", { class: "mono muted", text: event.traceId })) : null,
        el("details", {}, el("summary", { text: "fields" }), fieldList(event.fields)));
    }));
  }

  // ---- the loop ------------------------------------------------------------------------------

  async function poll() {
    if (!state.token || state.inFlight) return;
    state.inFlight = true;
    try {
      const [dashboards, streams, dead, waiting] = await Promise.all([api("dashboards"), api("streams"), api("dead"), api("waiting")]);
      renderDashboards(dashboards);
      renderWaiting(waiting);
      renderStreams(streams);
      renderDead(dead);
      if (state.order && !$("order").hidden) await loadOrder(false);
      state.lastOk = Date.now();
      if (state.firstData === null) {
        state.firstData = performance.now();
        document.documentElement.dataset.loaded = String(Math.round(state.firstData));
      }
      $("live").textContent = "live · " + new Date().toLocaleTimeString();
      $("live").className = "live on";
    } catch (error) {
      if (!(error instanceof SignedOut)) {
        $("live").textContent = "not updating: " + error.message;
        $("live").className = "live off";
      }
    } finally {
      state.inFlight = false;
    }
  }

  function route() {
    const hash = location.hash;
    const order = /^#\/order\/(.+)$/.exec(hash);
    if (order) {
      let id;
      try { id = decodeURIComponent(order[1]); } catch (e) { id = order[1]; }
      $("lookup-id").value = id;
      if (state.token) openOrder(id);
      window.scrollTo(0, 0);
      return;
    }
    state.order = null;
    $("order").hidden = true;
    const section = /^#\/(dashboards|streams|dead)$/.exec(hash);
    if (section && state.token) $(section[1]).scrollIntoView({ block: "start" });
  }

  document.addEventListener("DOMContentLoaded", () => {
    takeTokenFromURL();
    $("lookup").addEventListener("submit", (event) => {
      event.preventDefault();
      const id = $("lookup-id").value.trim();
      if (id) location.hash = "#/order/" + encodeURIComponent(id);
    });
    $("signin-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const token = $("token-input").value.trim().replace(/^Bearer\s+/i, "");
      $("token-input").value = "";
      sessionStorage.setItem(TOKEN_KEY, token);
      useToken(token);
    });
    $("sign-out").addEventListener("click", () => {
      sessionStorage.removeItem(TOKEN_KEY);
      signIn("Signed out.");
    });
    $("replay-all").addEventListener("click", () => {
      if (!state.deadLastId) return;
      act("Replay all " + fmt(state.deadTotal) + " dead letters (up to " + state.deadLastId + ") on their streams, each for the group that gave up on it?",
        "Replay all", "dead/replay-all", { through: state.deadLastId });
    });
    $("drop-all").addEventListener("click", () => {
      if (!state.deadLastId) return;
      act("Drop all " + fmt(state.deadTotal) + " dead letters (up to " + state.deadLastId + ") for good?", "Drop all", "dead/drop-all", { through: state.deadLastId });
    });
    $("timeline-more").addEventListener("click", () => loadOrder(true));
    document.addEventListener("keydown", (event) => { if (event.key === "Escape" && !$("confirm").hidden) $("confirm-cancel").click(); });
    window.addEventListener("hashchange", route);
    setInterval(() => { if (!document.hidden) poll(); }, POLL_MS);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); });
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) useToken(token);
    else signIn("Sign in with an operator's token.");
  });
})();
