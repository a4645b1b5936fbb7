// SpiderGo playground: runs a scrape or crawl through the signed-in
// user's cookie routes (POST /scrape, POST /crawl; an async crawl is
// followed on GET /history/{id}/stream and cancelled with POST
// /history/{id}/cancel) and shows the result.
//
// Crawled text comes from other people's sites. It is only ever put in the
// page as text (textContent) or, for rendered Markdown, as HTML that the
// server sanitized (POST /playground/markdown), parsed with DOMParser, which
// runs no script. Nothing is kept in browser storage.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const form = $("pg-form");
  if (!form) return;
  // The form is hidden until this script runs: without it, it could do
  // nothing, and the page says so instead.
  form.hidden = false;

  const state = { pages: [], head: null, source: null, poll: 0, started: 0, base: "", limit: 0 };

  // --- form ---------------------------------------------------------------
  const crawlBox = $("pg-crawl");
  const modeOf = () => new FormData(form).get("mode");
  const syncMode = () => { crawlBox.disabled = modeOf() !== "crawl"; };
  form.addEventListener("change", (ev) => { if (ev.target.name === "mode") syncMode(); });
  syncMode();

  const lines = (v) => String(v || "").split(/\r?\n/).map((s) => s.trim()).filter(Boolean);

  function buildRequest() {
    const fd = new FormData(form);
    const mode = fd.get("mode");
    const body = { url: String(fd.get("url") || "").trim(), formats: fd.getAll("formats"), only_main_content: fd.get("only_main_content") === "on" };
    const render = String(fd.get("render") || "auto");
    if (render !== "auto") body.render = render;
    if (mode === "crawl") {
      const limit = parseInt(fd.get("limit"), 10);
      if (!Number.isNaN(limit)) body.limit = limit;
      const depth = parseInt(fd.get("max_depth"), 10);
      if (!Number.isNaN(depth)) body.max_depth = depth;
      body.sitemap = fd.get("sitemap");
      const inc = lines(fd.get("include_paths")), exc = lines(fd.get("exclude_paths"));
      if (inc.length) body.include_paths = inc;
      if (exc.length) body.exclude_paths = exc;
      if (fd.get("async") === "on") body.async = true;
    }
    return { mode, body };
  }

  const fieldErrors = { url: "pg-url", limit: "pg-limit", rendering: "pg-render" };
  function clearErrors() {
    for (const id of Object.values(fieldErrors)) {
      $(id).removeAttribute("aria-invalid");
      const p = $(id + "-error");
      p.hidden = true;
      p.textContent = "";
    }
    $("pg-error").hidden = true;
    $("pg-error").textContent = "";
  }
  // showError puts a message next to the field it is about, if any.
  function showError(msg) {
    const low = msg.toLowerCase();
    for (const [word, id] of Object.entries(fieldErrors)) {
      if (low.includes(word)) {
        const input = $(id), p = $(id + "-error");
        input.setAttribute("aria-invalid", "true");
        p.textContent = msg;
        p.hidden = false;
        input.focus();
        return;
      }
    }
    $("pg-error").textContent = msg;
    $("pg-error").hidden = false;
  }

  function errorText(status, data) {
    if (status === 401) return "Your session has ended. Sign in again, then run it once more.";
    if (data && data.message) return data.message;
    return "The server answered " + status + ".";
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors();
    stopFollowing();
    const { mode, body } = buildRequest();
    if (!body.url) { showError("Enter the URL to " + mode + "."); return; }
    if (body.formats.length === 0) { showError("Tick at least one format."); return; }
    $("pg-results").hidden = true;
    $("pg-progress").hidden = true;
    state.pages = [];
    state.head = null;
    state.limit = body.limit || 10;
    const run = $("pg-run");
    run.disabled = true;
    run.textContent = "Running…";
    let following = false;
    try {
      const resp = await fetch("/" + mode, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
      const data = await resp.json().catch(() => null);
      if (!resp.ok) { showError(errorText(resp.status, data)); return; }
      const env = data.message;
      if (resp.status === 202) {
        following = true;
        follow(env, resp.headers.get("Location") || "/history/" + encodeURIComponent(env.CRID));
        return;
      }
      state.head = env;
      state.pages = env.Pages || [];
      showResults();
    } catch (e) {
      showError("The request did not reach the server: " + e.message);
    } finally {
      if (!following) resetRun();
    }
  });

  function resetRun() {
    const run = $("pg-run");
    run.disabled = false;
    run.textContent = "Run";
    $("pg-cancel").hidden = true;
  }

  // --- live progress --------------------------------------------------------
  function follow(head, base) {
    state.head = head;
    state.base = base;
    state.started = Date.now();
    $("pg-progress").hidden = false;
    $("pg-job-link").href = "/jobs/" + encodeURIComponent(head.CRID);
    $("pg-bar").max = state.limit;
    $("pg-cancel").hidden = false;
    setStatus("Queued…");
    updateProgress();
    const es = new EventSource(base + "/stream");
    state.source = es;
    // After a reconnect the stream starts from the first page again.
    es.addEventListener("open", () => { state.pages = []; });
    es.addEventListener("page", (e) => {
      const line = JSON.parse(e.data);
      if (line.page) state.pages.push(line.page);
      setStatus("Running…");
      updateProgress();
    });
    es.addEventListener("summary", (e) => {
      const line = JSON.parse(e.data);
      finish(line.job || state.head);
    });
    es.addEventListener("error", () => {
      if (es.readyState === EventSource.CLOSED) {
        setStatus("Lost the connection to the server. The job goes on; see it in History.");
        stopFollowing();
        resetRun();
      }
    });
    state.poll = setInterval(pollHead, 2000);
  }

  async function pollHead() {
    try {
      const resp = await fetch(state.base + "?limit=1", { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!resp.ok) return;
      const data = await resp.json();
      const h = data.message;
      if (!h) return;
      state.head = Object.assign({}, h, { Pages: undefined });
      showQueue(h);
      if (h.Status === "running") setStatus("Running…");
    } catch (e) { /* the stream reports trouble */ }
  }

  // showQueue shows a job head's frontier counts, when the server reports them.
  function showQueue(h) {
    if (typeof h.Discovered !== "number") return;
    $("pg-queue-row").hidden = false;
    $("pg-queue").textContent = h.Discovered + " discovered, " + (h.Queued || 0) + " queued";
  }

  function updateProgress() {
    const done = state.pages.length;
    const errors = state.pages.filter((p) => p.Error).length;
    $("pg-done").textContent = String(done);
    $("pg-errors").textContent = String(errors);
    $("pg-bar").value = Math.min(done, state.limit);
    const secs = (Date.now() - state.started) / 1000;
    $("pg-rate").textContent = secs > 0.5 ? (done / secs).toFixed(1) + " pages/s" : "—";
  }

  function setStatus(text) { $("pg-status").textContent = text; }

  function stopFollowing() {
    if (state.source) { state.source.close(); state.source = null; }
    if (state.poll) { clearInterval(state.poll); state.poll = 0; }
  }

  function finish(head) {
    stopFollowing();
    state.head = head;
    updateProgress();
    showQueue(head);
    // A crawl that found fewer pages than its limit is still done.
    $("pg-bar").max = Math.max(state.pages.length, 1);
    $("pg-bar").value = state.pages.length;
    // The job's own times give the rate of a crawl that ended quickly.
    if (head.StartedAt && head.FinishedAt) {
      const secs = (Date.parse(head.FinishedAt) - Date.parse(head.StartedAt)) / 1000;
      if (secs > 0) $("pg-rate").textContent = (state.pages.length / secs).toFixed(1) + " pages/s";
    }
    setStatus("Finished: " + head.Status + ", " + head.TotalPages + (head.TotalPages === 1 ? " page." : " pages."));
    resetRun();
    showResults();
  }

  $("pg-cancel").addEventListener("click", async () => {
    const btn = $("pg-cancel");
    btn.disabled = true;
    try {
      const resp = await fetch(state.base + "/cancel", { method: "POST", credentials: "same-origin", headers: { Accept: "application/json" } });
      const data = await resp.json().catch(() => null);
      if (!resp.ok) { setStatus(errorText(resp.status, data)); return; }
      setStatus("Cancelling… the pages fetched so far stay.");
    } finally {
      btn.disabled = false;
    }
  });

  // --- results --------------------------------------------------------------
  const pageSelect = $("pg-page");
  function pageLabel(p, i) {
    return (i + 1) + ". " + (p.Error ? "[" + p.Error + "] " : "") + (p.Title ? p.Title + " — " : "") + p.URL;
  }

  function showResults() {
    $("pg-results").hidden = false;
    pageSelect.replaceChildren();
    state.pages.forEach((p, i) => {
      const o = document.createElement("option");
      o.value = String(i);
      o.textContent = pageLabel(p, i);
      pageSelect.append(o);
    });
    const none = state.pages.length === 0;
    for (const id of ["dl-ndjson", "dl-zip"]) $(id).disabled = none;
    if (none) {
      $("panel-md").replaceChildren(text("p", "No pages."));
      $("pg-json").textContent = JSON.stringify(state.head, null, 2);
      $("pg-links").replaceChildren();
      return;
    }
    showPage(0);
  }

  pageSelect.addEventListener("change", () => showPage(parseInt(pageSelect.value, 10)));

  function text(tag, s) {
    const el = document.createElement(tag);
    el.textContent = s;
    return el;
  }

  let renderSeq = 0;
  async function showPage(i) {
    const p = state.pages[i];
    if (!p) return;
    $("pg-json").textContent = JSON.stringify(p, null, 2);
    const links = $("pg-links");
    links.replaceChildren();
    const all = [];
    if (p.Links) {
      for (const u of p.Links.Internal || []) all.push([u, false]);
      for (const u of p.Links.External || []) all.push([u, true]);
    }
    if (all.length === 0) links.append(text("li", "No links (tick the links format to get them)."));
    for (const [u, external] of all) {
      const li = document.createElement("li");
      if (/^https?:\/\//i.test(u)) {
        const a = text("a", u);
        a.href = u;
        a.rel = "nofollow noopener noreferrer";
        li.append(a);
      } else {
        li.textContent = u;
      }
      if (external) li.append(" ", text("span", "(external)"));
      links.append(li);
    }
    const md = $("panel-md");
    if (!p.Markdown) {
      md.replaceChildren(text("p", p.Error ? "This page failed: " + p.Error + "." : "No Markdown for this page (tick the markdown format to get it)."));
      return;
    }
    const seq = ++renderSeq;
    md.replaceChildren(text("p", "Rendering…"));
    try {
      const resp = await fetch("/playground/markdown", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ markdown: p.Markdown }),
      });
      if (!resp.ok) throw new Error("HTTP " + resp.status);
      const data = await resp.json();
      if (seq !== renderSeq) return;
      const doc = new DOMParser().parseFromString(data.html, "text/html");
      md.replaceChildren(...doc.body.childNodes);
    } catch (e) {
      if (seq !== renderSeq) return;
      // Could not render: show the Markdown itself, as text.
      md.replaceChildren(text("pre", p.Markdown));
    }
  }

  // Tabs: click or arrow keys.
  const tabs = Array.from(document.querySelectorAll("[role=tab]"));
  function selectTab(tab) {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !on;
    }
    tab.focus();
  }
  tabs.forEach((t, i) => {
    t.addEventListener("click", () => selectTab(t));
    t.addEventListener("keydown", (ev) => {
      if (ev.key === "ArrowRight") selectTab(tabs[(i + 1) % tabs.length]);
      else if (ev.key === "ArrowLeft") selectTab(tabs[(i + tabs.length - 1) % tabs.length]);
    });
  });

  // --- downloads --------------------------------------------------------------
  function save(blob, name) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }
  const baseName = () => "spidergo-" + ((state.head && state.head.CRID) || "result");

  $("dl-json").addEventListener("click", () => {
    const env = Object.assign({}, state.head, { Pages: state.pages });
    save(new Blob([JSON.stringify({ message: env }, null, 2)], { type: "application/json" }), baseName() + ".json");
  });
  $("dl-ndjson").addEventListener("click", () => {
    const body = state.pages.map((p) => JSON.stringify(p)).join("\n") + "\n";
    save(new Blob([body], { type: "application/x-ndjson" }), baseName() + ".ndjson");
  });
  $("dl-zip").addEventListener("click", () => {
    const used = new Set();
    const files = state.pages.filter((p) => p.Markdown).map((p, i) => {
      let name = String(i + 1).padStart(3, "0") + "-" + slug(p.FinalURL || p.URL);
      while (used.has(name)) name += "-";
      used.add(name);
      return { name: name + ".md", data: new TextEncoder().encode(p.Markdown) };
    });
    save(zip(files), baseName() + "-markdown.zip");
  });

  function slug(u) {
    let s = u;
    try { const x = new URL(u); s = x.host + x.pathname; } catch (e) { /* keep u */ }
    s = s.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "");
    return s.slice(0, 80) || "page";
  }

  // zip writes a ZIP archive of stored (uncompressed) files: the format
  // needs only a CRC-32 and a few little-endian headers.
  const crcTable = (() => {
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      t[n] = c >>> 0;
    }
    return t;
  })();
  function crc32(data) {
    let c = 0xffffffff;
    for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  }
  function zip(files) {
    const enc = new TextEncoder();
    const parts = [], central = [];
    let offset = 0;
    const now = new Date();
    const dosTime = (now.getHours() << 11) | (now.getMinutes() << 5) | (now.getSeconds() >> 1);
    const dosDate = ((now.getFullYear() - 1980) << 9) | ((now.getMonth() + 1) << 5) | now.getDate();
    for (const f of files) {
      const name = enc.encode(f.name), crc = crc32(f.data), size = f.data.length;
      const local = new DataView(new ArrayBuffer(30));
      local.setUint32(0, 0x04034b50, true);
      local.setUint16(4, 20, true);
      local.setUint16(6, 0x0800, true); // names are UTF-8
      local.setUint16(8, 0, true);      // stored
      local.setUint16(10, dosTime, true);
      local.setUint16(12, dosDate, true);
      local.setUint32(14, crc, true);
      local.setUint32(18, size, true);
      local.setUint32(22, size, true);
      local.setUint16(26, name.length, true);
      local.setUint16(28, 0, true);
      parts.push(local.buffer, name, f.data);
      const cd = new DataView(new ArrayBuffer(46));
      cd.setUint32(0, 0x02014b50, true);
      cd.setUint16(4, 20, true);
      cd.setUint16(6, 20, true);
      cd.setUint16(8, 0x0800, true);
      cd.setUint16(10, 0, true);
      cd.setUint16(12, dosTime, true);
      cd.setUint16(14, dosDate, true);
      cd.setUint32(16, crc, true);
      cd.setUint32(20, size, true);
      cd.setUint32(24, size, true);
      cd.setUint16(28, name.length, true);
      cd.setUint32(42, offset, true);
      central.push(cd.buffer, name);
      offset += 30 + name.length + size;
    }
    const cdSize = central.reduce((n, b) => n + b.byteLength, 0);
    const end = new DataView(new ArrayBuffer(22));
    end.setUint32(0, 0x06054b50, true);
    end.setUint16(8, files.length, true);
    end.setUint16(10, files.length, true);
    end.setUint32(12, cdSize, true);
    end.setUint32(16, offset, true);
    return new Blob([...parts, ...central, end.buffer], { type: "application/zip" });
  }
})();
