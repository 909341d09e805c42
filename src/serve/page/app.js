// The page of `unback serve`: plain script, no framework, no network beyond this server.
// The access cookie is HttpOnly and sent by the browser itself; nothing here handles it.
"use strict";

const state = { assets: [], byId: new Map(), categories: [], view: [], selected: new Set(), last: null };

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

function monthOf(a) {
  return a.capture_date ? a.capture_date.slice(0, 7) : "No date";
}

function renderCategories() {
  const ul = $("categories");
  ul.textContent = "";
  for (const c of state.categories) {
    if (c.count === 0) continue;
    const li = el("li");
    li.dataset.name = c.name;
    li.append(el("span", "name", c.name), el("span", "count", String(c.count)));
    li.addEventListener("click", () => show(c));
    ul.append(li);
  }
}

// Newest first, one section per month; images load as they scroll into view.
function renderGrid() {
  const grid = $("grid");
  grid.textContent = "";
  if (state.view.length === 0) {
    grid.append(el("p", "status", "Nothing in this view."));
    return;
  }
  let section = null, tiles = null, month = null;
  state.view.forEach((id, pos) => {
    const a = state.byId.get(id);
    const m = monthOf(a);
    if (m !== month) {
      month = m;
      section = el("section", "month");
      section.append(el("h2", null, m));
      tiles = el("div", "tiles");
      section.append(tiles);
      grid.append(section);
    }
    const t = el("div", "tile");
    t.dataset.id = String(id);
    t.dataset.pos = String(pos);
    t.title = (a.original_filename || a.relative_path) + (a.capture_date ? "\n" + a.capture_date : "");
    if (state.selected.has(id)) t.classList.add("selected");
    const img = el("img");
    img.loading = "lazy";
    img.alt = a.original_filename || a.uuid;
    img.src = "/thumb/" + encodeURIComponent(a.uuid);
    t.append(img);
    if (a.kind === "video") t.append(el("span", "badge", "video"));
    else if (a.live) t.append(el("span", "badge", "live"));
    tiles.append(t);
  });
}

function show(cat) {
  const ids = cat.ids.slice().reverse(); // the server lists oldest first, as photos ls does
  state.view = ids;
  state.last = null;
  for (const li of $("categories").children) li.classList.toggle("active", li.dataset.name === cat.name);
  renderGrid();
}

function updateCounter() {
  let bytes = 0;
  for (const id of state.selected) bytes += state.byId.get(id).size || 0;
  $("counter").textContent = state.selected.size + " selected (" + (bytes / 1048576).toFixed(1) + " MB)";
  for (const t of document.querySelectorAll(".tile")) {
    t.classList.toggle("selected", state.selected.has(Number(t.dataset.id)));
  }
}

// Click toggles one; shift-click selects the range from the last clicked tile in this view.
function onGridClick(ev) {
  const t = ev.target.closest(".tile");
  if (!t) return;
  const pos = Number(t.dataset.pos), id = Number(t.dataset.id);
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

async function doExport() {
  const out = $("out").value.trim();
  const result = $("result");
  result.classList.remove("error");
  if (!out) { result.classList.add("error"); result.textContent = "Type the destination folder first."; return; }
  if (state.selected.size === 0) { result.classList.add("error"); result.textContent = "Select some photos first."; return; }
  const uuids = Array.from(state.selected, (id) => state.byId.get(id).uuid);
  $("export").disabled = true;
  result.textContent = "Exporting " + uuids.length + " asset(s)…";
  try {
    const r = await fetch("/api/export", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ out, uuids, layout: $("layout").value }),
    });
    const j = await r.json();
    if (!j.ok) { result.classList.add("error"); result.textContent = "Not exported: " + j.error; return; }
    const s = j.summary;
    result.textContent =
      s.files_written + " file(s) written (" + s.bytes_written + " bytes), " + s.previews + " from previews, " +
      s.skipped_existing + " skipped, " + s.failed + " failed, " + s.missing_assets + " with nothing in the backup" +
      (s.problems.length ? "\n" + s.problems.map((p) => p.entry + ": " + p.cause).join("\n") : "") +
      "\nSame on the command line:\n" + j.command;
    if (j.exit !== 0) result.classList.add("error");
  } catch (e) {
    result.classList.add("error");
    result.textContent = "Export failed: " + e.message;
  } finally {
    $("export").disabled = false;
  }
}

async function main() {
  try {
    const [info, assets, categories] = await Promise.all([
      getJSON("/api/info"), getJSON("/api/assets"), getJSON("/api/categories"),
    ]);
    $("title").textContent = "unback — " + (info.device_name || info.udid);
    state.assets = assets;
    for (const a of assets) state.byId.set(a.id, a);
    state.categories = categories;
    renderCategories();
    show(categories[0]); // the camera roll, as photos export selects by default
  } catch (e) {
    $("grid").textContent = "Could not load the library: " + e.message;
  }
  $("grid").addEventListener("click", onGridClick);
  $("clear").addEventListener("click", () => { state.selected.clear(); updateCounter(); });
  $("all").addEventListener("click", () => { for (const id of state.view) state.selected.add(id); updateCounter(); });
  $("export").addEventListener("click", doExport);
  document.body.dataset.ready = "1";
}

document.addEventListener("DOMContentLoaded", main);
