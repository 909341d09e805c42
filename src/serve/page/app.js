// The page of `unback serve`: plain script, no framework, no network beyond this server.
// The access cookie is HttpOnly and sent by the browser itself; nothing here handles it.
//
// The grid is virtualised: the view is laid out as rows (a month header, or one row of tiles)
// with known heights, and only the rows within the scrolled window (and a margin) are in the
// document, so 50,000 assets cost a few hundred elements.
"use strict";

const TILE_MIN = 128, GAP = 4, HEADER = 36, MARGIN_ROWS = 3;

const state = {
  assets: [], byId: new Map(), categories: [], base: null,
  view: [], selected: new Set(), last: null,
  rows: [], rowEls: new Map(), cols: 1, tile: TILE_MIN, detail: null,
};

const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

async function getJSON(url) {
  const r = await fetch(url, { credentials: "same-origin" });
  if (!r.ok) throw new Error(url + ": " + r.status);
  return r.json();
}

function fmtBytes(n) {
  if (n < 1024) return n + " B";
  const u = ["KB", "MB", "GB", "TB"];
  let i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
  return n.toFixed(n < 10 ? 1 : 0) + " " + u[i];
}

function monthOf(a) {
  return a.capture_date ? a.capture_date.slice(0, 7) : "No date";
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December"];

function monthLabel(m) {
  if (!/^\d{4}-\d{2}$/.test(m)) return m;
  return MONTHS[Number(m.slice(5)) - 1] + " " + m.slice(0, 4);
}

// ---- sidebar ----

const LABELS = {
  "camera-roll": "Camera roll", "photos": "Photos", "videos": "Videos", "live": "Live Photos",
  "screenshots": "Screenshots", "screen-recordings": "Screen recordings", "panoramas": "Panoramas",
  "slo-mo": "Slo-mo", "time-lapse": "Time-lapse", "bursts": "Bursts", "edited": "Edited",
  "favorites": "Favourites", "hidden": "Hidden", "recently-deleted": "Recently deleted",
  "albums": "In an album", "shared-albums": "Shared albums", "icloud": "iCloud",
  "messages": "Messages", "whatsapp": "WhatsApp", "apps": "Other apps",
  "thumbnail-only": "Only a thumbnail left",
};
const RECOVERABLE = new Set(["recently-deleted", "hidden"]);
const ATTACHMENTS = new Set(["messages", "whatsapp", "apps"]);

function sideItem(key, label, count, onClick, depth) {
  const li = el("li");
  li.dataset.key = key;
  if (depth) li.style.paddingLeft = (12 + 14 * depth) + "px";
  li.append(el("span", "name", label), el("span", "count", String(count)));
  li.addEventListener("click", onClick);
  return li;
}

function section(title, items) {
  if (items.length === 0) return;
  const h = el("h3", null, title);
  const ul = el("ul");
  ul.append(...items);
  $("sidebar").append(h, ul);
}

// Album paths ("Trips/Rome") from the asset records, as a tree of folders and albums.
function albumTree() {
  const root = { children: new Map(), ids: new Set() };
  for (const a of state.assets) {
    for (const p of a.albums || []) {
      let node = root;
      for (const part of p.split("/")) {
        if (!node.children.has(part)) node.children.set(part, { children: new Map(), ids: new Set() });
        node = node.children.get(part);
        node.ids.add(a.id);
      }
    }
  }
  return root;
}

function renderSidebar() {
  const side = $("sidebar");
  side.textContent = "";
  const lib = [], rec = [], att = [];
  for (const c of state.categories) {
    if (c.count === 0) continue;
    const li = sideItem("category:" + c.name, LABELS[c.name] || c.name, c.count, () => show({ key: "category:" + c.name, title: LABELS[c.name] || c.name, ids: c.ids.slice().reverse() }));
    li.dataset.name = c.name;
    (RECOVERABLE.has(c.name) ? rec : ATTACHMENTS.has(c.name) ? att : lib).push(li);
  }
  const thumbOnly = state.assets.filter((a) => (a.versions || []).includes("thumbnail-only")).map((a) => a.id).reverse();
  if (thumbOnly.length) {
    rec.push(sideItem("synthetic:thumbnail-only", LABELS["thumbnail-only"], thumbOnly.length, () => show({ key: "synthetic:thumbnail-only", title: LABELS["thumbnail-only"], ids: thumbOnly })));
  }
  section("Library", lib);
  section("Recoverable", rec);
  section("Attachments", att);
  const albums = [];
  const walk = (node, prefix, depth) => {
    const names = Array.from(node.children.keys()).sort((x, y) => x.localeCompare(y));
    for (const name of names) {
      const child = node.children.get(name);
      const path = prefix ? prefix + "/" + name : name;
      const ids = Array.from(child.ids);
      const li = sideItem("album:" + path, name, ids.length, () => show({ key: "album:" + path, title: path, ids: newestFirst(ids) }), depth);
      li.dataset.album = path;
      if (child.children.size) li.classList.add("folder");
      albums.push(li);
      walk(child, path, depth + 1);
    }
  };
  walk(albumTree(), "", 0);
  section("Albums", albums);
}

// Ids in the order the server lists assets (oldest first), reversed.
function newestFirst(ids) {
  const set = new Set(ids);
  const out = [];
  for (let i = state.assets.length - 1; i >= 0; i--) if (set.has(state.assets[i].id)) out.push(state.assets[i].id);
  return out;
}

// ---- the view: a base list (category or album) narrowed by the search and the dates ----

function show(base) {
  state.base = base;
  for (const li of document.querySelectorAll("#sidebar li")) li.classList.toggle("active", li.dataset.key === base.key);
  applyFilters();
}

function matches(a, q, from, to) {
  if (from || to) {
    if (!a.capture_date) return false;
    const d = a.capture_date.slice(0, 10);
    if (from && d < from) return false;
    if (to && d > to) return false;
  }
  if (q) {
    // The fields `photos ls --search` looks in: names, title, caption, keywords, people, place.
    const place = a.place ? Object.values(a.place) : [];
    const hay = [a.original_filename, a.relative_path.split("/").pop(), a.title, a.caption]
      .concat(a.keywords || [], a.people || [], place)
      .filter(Boolean).join("\n").toLowerCase();
    if (!hay.includes(q)) return false;
  }
  return true;
}

function applyFilters() {
  const q = $("q").value.trim().toLowerCase(), from = $("from").value, to = $("to").value;
  const ids = state.base ? state.base.ids : [];
  state.view = (q || from || to) ? ids.filter((id) => matches(state.byId.get(id), q, from, to)) : ids;
  state.last = null;
  $("viewtitle").textContent = (state.base ? state.base.title : "") + " — " + state.view.length + " item(s)";
  $("grid").dataset.count = String(state.view.length);
  $("grid").scrollTop = 0;
  layout();
}

// ---- virtualised grid ----

function layout() {
  const grid = $("grid");
  const width = grid.clientWidth - 24;
  state.cols = Math.max(1, Math.floor((width + GAP) / (TILE_MIN + GAP)));
  state.tile = Math.floor((width - GAP * (state.cols - 1)) / state.cols);
  const rows = [];
  let y = 0, pos = 0;
  const v = state.view;
  while (pos < v.length) {
    const m = monthOf(state.byId.get(v[pos]));
    let end = pos;
    while (end < v.length && monthOf(state.byId.get(v[end])) === m) end++;
    rows.push({ kind: "h", y, h: HEADER, month: m, start: pos, end });
    y += HEADER;
    for (let s = pos; s < end; s += state.cols) {
      rows.push({ kind: "t", y, h: state.tile + GAP, start: s, end: Math.min(end, s + state.cols) });
      y += state.tile + GAP;
    }
    pos = end;
  }
  state.rows = rows;
  for (const e of state.rowEls.values()) e.remove();
  state.rowEls.clear();
  $("canvas").style.height = y + "px";
  $("empty").hidden = v.length !== 0;
  render();
}

function firstRowAt(y) {
  let lo = 0, hi = state.rows.length - 1, ans = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (state.rows[mid].y <= y) { ans = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return ans;
}

function render() {
  const grid = $("grid");
  if (state.rows.length === 0) return;
  const top = grid.scrollTop, bottom = top + grid.clientHeight;
  const first = Math.max(0, firstRowAt(top) - MARGIN_ROWS);
  const last = Math.min(state.rows.length - 1, firstRowAt(bottom) + MARGIN_ROWS);
  for (const [i, e] of state.rowEls) {
    if (i < first || i > last) { e.remove(); state.rowEls.delete(i); }
  }
  const canvas = $("canvas");
  for (let i = first; i <= last; i++) {
    if (state.rowEls.has(i)) continue;
    const e = rowElement(state.rows[i]);
    e.style.top = state.rows[i].y + "px";
    canvas.append(e);
    state.rowEls.set(i, e);
  }
}

function rowElement(r) {
  if (r.kind === "h") {
    const h = el("div", "month");
    h.append(el("h2", null, monthLabel(r.month)));
    const b = el("button", "selmonth", "Select month");
    b.type = "button";
    b.dataset.start = String(r.start);
    b.dataset.end = String(r.end);
    h.append(b);
    return h;
  }
  const row = el("div", "row");
  row.style.gridTemplateColumns = "repeat(" + state.cols + ", " + state.tile + "px)";
  row.style.height = state.tile + "px";
  for (let p = r.start; p < r.end; p++) row.append(tile(state.view[p], p));
  return row;
}

function tile(id, pos) {
  const a = state.byId.get(id);
  const t = el("div", "tile");
  t.dataset.id = String(id);
  t.dataset.pos = String(pos);
  t.dataset.uuid = a.uuid;
  t.title = (a.original_filename || a.relative_path) + (a.capture_date ? "\n" + a.capture_date : "");
  if (state.selected.has(id)) t.classList.add("selected");
  const img = el("img");
  img.decoding = "async";
  img.alt = a.original_filename || a.uuid;
  img.src = "/thumb/" + encodeURIComponent(a.uuid);
  t.append(img);
  if (a.kind === "video") t.append(el("span", "badge", "video"));
  else if (a.live) t.append(el("span", "badge", "live"));
  if (a.deleted) t.append(el("span", "badge flag", "deleted"));
  else if (a.hidden) t.append(el("span", "badge flag", "hidden"));
  const info = el("button", "info", "i");
  info.type = "button";
  info.title = "Details";
  t.append(info);
  return t;
}

// ---- selection ----

function updateCounter() {
  let bytes = 0;
  for (const id of state.selected) bytes += state.byId.get(id).size || 0;
  $("counter").textContent = state.selected.size + " selected (" + fmtBytes(bytes) + ")";
  $("counter").dataset.count = String(state.selected.size);
  for (const t of document.querySelectorAll(".tile")) {
    t.classList.toggle("selected", state.selected.has(Number(t.dataset.id)));
  }
}

// Click toggles one; shift-click selects the range from the last clicked tile in this view.
function onGridClick(ev) {
  const m = ev.target.closest(".selmonth");
  if (m) {
    for (let p = Number(m.dataset.start); p < Number(m.dataset.end); p++) state.selected.add(state.view[p]);
    updateCounter();
    return;
  }
  const t = ev.target.closest(".tile");
  if (!t) return;
  const pos = Number(t.dataset.pos), id = Number(t.dataset.id);
  if (ev.target.closest(".info")) { openDetail(pos); return; }
  if (ev.shiftKey && state.last !== null) {
    const [a, b] = state.last < pos ? [state.last, pos] : [pos, state.last];
    for (let p = a; p <= b; p++) state.selected.add(state.view[p]);
  } else if (state.selected.has(id)) {
    state.selected.delete(id);
  } else {
    state.selected.add(id);
  }
  state.last = pos;
  updateCounter();
}

// ---- detail view ----

function row(dl, k, v) {
  if (v === null || v === undefined || v === "") return;
  dl.append(el("dt", null, k), el("dd", null, String(v)));
}

async function openDetail(pos) {
  const id = state.view[pos];
  if (id === undefined) return;
  const a = state.byId.get(id);
  state.detail = pos;
  const box = $("detail");
  box.hidden = false;
  box.dataset.uuid = a.uuid;
  delete box.dataset.ready;
  // A video plays in the page (`/media/…`, byte ranges, as the browser seeks); a photo shows
  // its preview. The element not used is emptied, so a video stops when the view moves on.
  const vid = $("dvid"), img = $("dimg");
  vid.pause();
  vid.removeAttribute("src");
  vid.removeAttribute("poster");
  vid.load();
  vid.hidden = true;
  img.hidden = a.kind === "video";
  if (a.kind === "video") img.removeAttribute("src");
  else img.src = "/preview/" + encodeURIComponent(a.uuid);
  img.alt = a.original_filename || a.uuid;
  $("dname").textContent = a.original_filename || a.relative_path.split("/").pop();
  const dl = $("dfields");
  dl.textContent = "Loading…";
  let d;
  try {
    d = await getJSON("/api/asset/" + encodeURIComponent(a.uuid));
  } catch (e) {
    dl.textContent = "Could not load the details: " + e.message;
    return;
  }
  if (state.detail !== pos) return;
  dl.textContent = "";
  row(dl, "Original name", d.original_filename);
  row(dl, "Captured", d.capture_date ? d.capture_date + (d.time_zone ? " (" + d.time_zone + ")" : "") : "unknown");
  row(dl, "Kind", d.kind + (d.subtype ? " (" + d.subtype + ")" : ""));
  row(dl, "Size", fmtBytes(d.size) + " (" + d.size + " bytes)");
  if (d.width && d.height) row(dl, "Dimensions", d.width + " × " + d.height);
  if (d.duration) row(dl, "Duration", d.duration.toFixed(1) + " s");
  row(dl, "Title", d.title);
  row(dl, "Caption", d.caption);
  if (d.latitude !== null && d.longitude !== null && d.latitude !== undefined) row(dl, "Location", d.latitude.toFixed(5) + ", " + d.longitude.toFixed(5));
  row(dl, "Albums", (d.albums || []).join(", ") || "none");
  const flags = ["favorite", "hidden", "deleted", "edited", "live"].filter((f) => d[f]);
  row(dl, "Flags", flags.join(", ") || "none");
  if (d.trashed_date) row(dl, "Deleted on", d.trashed_date);
  row(dl, "Categories", (d.categories || []).join(", "));
  row(dl, "Versions present", (d.versions || []).join(", ") || "none");
  row(dl, "UUID", d.uuid);
  if (d.kind === "video") {
    const roles = d.files.map((f) => f.role);
    const role = roles.includes("edited") ? "edited" : roles.includes("original") ? "original" : null;
    if (role) {
      vid.poster = "/thumb/" + encodeURIComponent(d.uuid);
      vid.src = "/media/" + encodeURIComponent(d.uuid) + "/" + role;
      vid.dataset.role = role;
      vid.hidden = false;
    } else {
      img.src = "/preview/" + encodeURIComponent(d.uuid);
      img.hidden = false;
    }
  }
  const files = $("dfiles");
  files.textContent = "";
  for (const f of d.files) {
    const li = el("li");
    const link = el("a", null, "Download " + f.role);
    link.href = "/file/" + encodeURIComponent(d.uuid) + "/" + encodeURIComponent(f.role);
    link.setAttribute("download", "");
    const where = el("code", null, f.domain + "/" + f.relative_path);
    li.append(link, el("span", null, " " + fmtBytes(f.size) + " · fileID "), el("code", null, f.file_id), el("br"), where);
    files.append(li);
  }
  box.dataset.ready = "1";
}

function closeDetail() {
  $("dvid").pause();
  $("detail").hidden = true;
  state.detail = null;
}

// ---- export ----

async function pollProgress(stop) {
  while (!stop.done) {
    try {
      const p = await getJSON("/api/export/progress");
      if (stop.done) return;
      if (p.running && p.files_total > 0) {
        $("bar").max = p.bytes_total || p.files_total;
        $("bar").value = p.bytes_total ? p.bytes_done : p.files_done;
        $("result").textContent = "Exporting: " + p.files_done + " of " + p.files_total + " file(s), " + fmtBytes(p.bytes_done) + " of " + fmtBytes(p.bytes_total);
      }
    } catch (e) { /* the next poll, or the export's own answer, says more */ }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function doExport() {
  const out = $("out").value.trim();
  const result = $("result");
  result.classList.remove("error");
  result.dataset.state = "";
  const fail = (msg) => { result.classList.add("error"); result.textContent = msg; result.dataset.state = "error"; };
  if (!out) { fail("Type the destination folder first."); return; }
  if (state.selected.size === 0) { fail("Select some photos first."); return; }
  const uuids = Array.from(state.selected, (id) => state.byId.get(id).uuid);
  $("export").disabled = true;
  const bar = $("bar");
  bar.hidden = false;
  bar.removeAttribute("value");
  result.textContent = "Exporting " + uuids.length + " asset(s)…";
  result.dataset.state = "running";
  const stop = { done: false };
  const polling = pollProgress(stop);
  try {
    const r = await fetch("/api/export", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ out, uuids, layout: $("layout").value }),
    });
    const j = await r.json();
    stop.done = true;
    await polling;
    if (!j.ok) { fail("Not exported: " + j.error); return; }
    const s = j.summary;
    bar.max = 1; bar.value = 1;
    result.textContent =
      s.files_written + " file(s) written (" + fmtBytes(s.bytes_written) + "), " + s.previews + " from previews, " +
      s.skipped_existing + " skipped, " + s.failed + " failed, " + s.missing_assets + " with nothing in the backup" +
      (s.problems.length ? "\n" + s.problems.map((p) => p.entry + ": " + p.cause).join("\n") : "") +
      "\nSame on the command line:\n";
    const cmd = el("code", null, j.command);
    cmd.id = "command";
    result.append(cmd);
    result.dataset.state = j.exit === 0 ? "done" : "partial";
    if (j.exit !== 0) result.classList.add("error");
  } catch (e) {
    fail("Export failed: " + e.message);
  } finally {
    stop.done = true;
    $("export").disabled = false;
    if (result.dataset.state === "error") bar.hidden = true;
  }
}

// ---- no backup given: choose one ----

async function chooser() {
  document.body.classList.add("choosing");
  $("title").textContent = "unback — choose a backup";
  const list = await getJSON("/api/backups");
  const box = $("chooser");
  box.hidden = false;
  const tbody = $("backups");
  tbody.textContent = "";
  if (list.length === 0) $("cmsg").textContent = "No backup found. Start unback serve with the backup folder, or with --root FOLDER.";
  for (const b of list) {
    const tr = el("tr");
    tr.dataset.id = String(b.id);
    tr.dataset.udid = b.udid;
    const cells = [
      b.device_name || "?", b.product_type || "?", b.ios_version ? "iOS " + b.ios_version : "?",
      b.date ? b.date.replace("T", " ").replace("Z", " UTC") : "?", b.size === null ? "?" : fmtBytes(b.size),
      b.encrypted === true ? "encrypted" : b.encrypted === false ? "not encrypted" : "?",
    ];
    for (const c of cells) tr.append(el("td", null, c));
    // The size column: a zip's is the archive's, compressed, and shared by what it holds.
    const sizeCell = tr.children[4];
    sizeCell.className = "size";
    sizeCell.title = b.size_of === "archive"
      ? "The zip archive's size on disk (compressed; shared by every backup inside it)"
      : "The backup folder's size on disk";
    const act = el("td");
    if (b.problem) {
      act.append(el("span", "status", b.problem));
    } else {
      const open = el("button", "open", "Open");
      open.type = "button";
      open.addEventListener("click", () => choose(b, tr));
      act.append(open);
    }
    tr.append(act);
    tr.title = b.path;
    tbody.append(tr);
  }
}

async function choose(b, tr) {
  const msg = $("cmsg");
  msg.classList.remove("error");
  let password;
  if (b.encrypted) {
    password = $("cpass").value;
    if (!password) {
      $("cpassrow").hidden = false;
      $("cpass").focus();
      msg.textContent = "This backup is encrypted: type its password, then Open again.";
      return;
    }
  }
  for (const x of document.querySelectorAll("#backups button")) x.disabled = true;
  msg.textContent = "Opening " + (b.device_name || b.folder) + "…" + (b.encrypted ? " (deriving the key takes a few seconds)" : "");
  msg.dataset.state = "running";
  try {
    const r = await fetch("/api/open", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(password === undefined ? { id: b.id } : { id: b.id, password }),
    });
    const j = await r.json();
    if (j.ok) { msg.dataset.state = "done"; location.reload(); return; }
    msg.classList.add("error");
    msg.textContent = j.error;
    msg.dataset.state = "error";
    if (j.password) { $("cpassrow").hidden = false; $("cpass").value = ""; $("cpass").focus(); }
  } catch (e) {
    msg.classList.add("error");
    msg.textContent = "Could not open it: " + e.message;
    msg.dataset.state = "error";
  } finally {
    $("cpass").value = "";
    for (const x of document.querySelectorAll("#backups button")) x.disabled = false;
  }
}

// Started without BACKUP: close this one and show the list again (the server drops it).
async function toList() {
  const btn = $("tolist");
  btn.disabled = true;
  try {
    const r = await fetch("/api/close", { method: "POST", credentials: "same-origin" });
    const j = await r.json();
    if (!j.ok) throw new Error(j.error);
    location.reload();
  } catch (e) {
    const result = $("result");
    result.classList.add("error");
    result.textContent = "Could not go back to the list: " + e.message;
    btn.disabled = false;
  }
}

// ---- start ----

async function main() {
  $("grid").addEventListener("click", onGridClick);
  $("grid").addEventListener("dblclick", (ev) => {
    const t = ev.target.closest(".tile");
    if (t) openDetail(Number(t.dataset.pos));
  });
  let ticking = false;
  $("grid").addEventListener("scroll", () => {
    if (ticking) return;
    ticking = true;
    requestAnimationFrame(() => { ticking = false; render(); });
  }, { passive: true });
  window.addEventListener("resize", () => { if (state.base) layout(); });
  $("clear").addEventListener("click", () => { state.selected.clear(); updateCounter(); });
  $("all").addEventListener("click", () => { for (const id of state.view) state.selected.add(id); updateCounter(); });
  $("export").addEventListener("click", doExport);
  for (const id of ["q", "from", "to"]) $(id).addEventListener("input", () => { if (state.base) applyFilters(); });
  $("dclose").addEventListener("click", closeDetail);
  $("tolist").addEventListener("click", toList);
  document.addEventListener("keydown", (ev) => {
    if ($("detail").hidden) return;
    if (ev.key === "Escape") closeDetail();
    else if (ev.key === "ArrowRight") openDetail(state.detail + 1);
    else if (ev.key === "ArrowLeft" && state.detail > 0) openDetail(state.detail - 1);
  });
  // One request before the first paint: the backup's information and the first screenful
  // of its camera roll (enough tiles for this window), or, before a backup is chosen, that
  // the page is to show the list.
  const g = $("grid");
  const cols = Math.max(1, Math.floor((g.clientWidth - 24 + GAP) / (TILE_MIN + GAP)));
  const rows = Math.ceil(g.clientHeight / TILE_MIN) + MARGIN_ROWS + 1;
  try {
    const head = await getJSON("/api/head?n=" + cols * rows);
    if (head.choose) {
      await chooser();
      document.body.dataset.ready = "1";
      return;
    }
    const info = head.info;
    $("title").textContent = "unback — " + (info.device_name || info.udid);
    $("tolist").hidden = !info.switch;
    // The first screenful first: the newest records of the camera roll, enough tiles for this
    // window, painted before the whole list (24 MB for 50,000 assets) is asked for. Asked for
    // at once, it arrived while the first screenful was laid out and its parse (a few hundred
    // ms on the main thread) came before the paint. It then replaces the first screenful in
    // place (same records, same ids, the scroll position kept).
    state.assets = head.assets.slice().reverse();
    for (const a of state.assets) state.byId.set(a.id, a);
    state.base = { key: "category:camera-roll", title: LABELS["camera-roll"], ids: head.assets.map((a) => a.id) };
    state.view = state.base.ids;
    layout();
    $("viewtitle").textContent = LABELS["camera-roll"] + " — " + head.total + " item(s), loading the rest…";
    await painted();
    const [assets, categories] = await Promise.all([getJSON("/api/assets"), getJSON("/api/categories")]);
    state.assets = assets;
    state.byId = new Map();
    for (const a of assets) state.byId.set(a.id, a);
    state.categories = categories;
    renderSidebar();
    const roll = categories[0]; // the camera roll, as photos export selects by default
    const keep = g.scrollTop;
    show({ key: "category:" + roll.name, title: LABELS[roll.name], ids: roll.ids.slice().reverse() });
    g.scrollTop = keep;
    render();
  } catch (e) {
    $("empty").hidden = false;
    $("empty").textContent = "Could not load the library: " + e.message;
  }
  painted();
  document.body.dataset.ready = "1";
}

// The grid's first paint: two frames after it is in the document. Marked once; resolves then.
function painted() {
  if (state.paintMarked) return Promise.resolve();
  state.paintMarked = true;
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => {
    performance.mark("unback-grid-painted");
    document.body.dataset.painted = "1";
    resolve();
  })));
}

document.addEventListener("DOMContentLoaded", main);
