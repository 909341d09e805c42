"""Benchmarks of `unback serve` (BENCHMARKS.md, "serve"), run by hand on the corpus that
`tests/serve_bench.rs` generates:

    UNBACK_BENCH_DIR=/tmp/unback-bench-serve cargo test --release --test serve_bench -- --ignored
    cargo build --release
    .venv/bin/python tests/py/serve_bench.py target/release/unback \
        /tmp/unback-bench-serve/serve-lib-50000/00008110-0005E5E0005E5E00

It prints one JSON object: medians of several runs of
- start_to_paint: from spawning `unback serve` to the page's first painted grid in headless
  Chromium (the page's `unback-grid-painted` performance mark, read through WebDriver: the
  first screenful of the camera roll, which the page asks for first), the part of it before
  the server printed its address (loading the library), and start_to_whole_list: until the
  whole list is in the page too (sidebar, counts, every view);
- the asset-list request (`GET /api/assets`, body read whole; the first one, which makes the
  JSON, and the median of the next ones, which send it as kept) against `unback photos ls
  --json` of the same assets (every asset, as the page gets them) and of the default view;
- thumbnails (the backup's own JPEG derivatives) fetched by 2 clients at once over keep-alive
  connections: p50, p95, max latency;
- scrolling: 200 frames of 700 px each through the grid (time between frames, tiles in the
  document at most);
- the server's peak RSS (VmHWM) after all of it.
Figures are for ratios; nothing here is asserted.
"""

import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = os.environ.get("UNBACK_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("UNBACK_CHROMEDRIVER", "/usr/bin/chromedriver")
RUNS = int(os.environ.get("RUNS", "5"))
THUMBS_PER_CLIENT = int(os.environ.get("THUMBS", "500"))


# Scrolls the grid by 700 px a frame, 200 frames (about 140,000 px, a third of 50,000 assets),
# and gives the time between frames and the most tiles the document held at once.
SCROLL = """
const done = arguments[arguments.length - 1];
const g = document.getElementById('grid');
const frames = [];
let last = performance.now(), n = 0, maxTiles = 0;
function step(t) {
  frames.push(t - last); last = t;
  maxTiles = Math.max(maxTiles, document.querySelectorAll('#canvas .tile').length);
  if (++n > 200) { done({ frames: frames.slice(1), max_tiles: maxTiles }); return; }
  g.scrollTop += 700;
  requestAnimationFrame(step);
}
requestAnimationFrame((t) => { last = t; requestAnimationFrame(step); });
"""


def driver(profile):
    o = webdriver.ChromeOptions()
    o.binary_location = CHROMIUM
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--no-first-run", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--window-size=1400,1000", "--user-data-dir=" + profile]:
        o.add_argument(a)
    d = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=o)
    d.set_page_load_timeout(120)
    d.set_script_timeout(120)
    return d


def start(binary, backup):
    t0 = time.perf_counter()
    p = subprocess.Popen([binary, "serve", backup, "--port", "0", "--no-open"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = p.stdout.readline().strip()
    return p, url, t0, time.perf_counter()


def cookie(url):
    host = url.split("/")[2]
    port = host.rsplit(":", 1)[1]
    token = url.split("token=")[1]
    return host, int(port), "unback_%s=%s" % (port, token)


def timed(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def get(conn, host, ck, path):
    conn.request("GET", path, headers={"Host": host, "Cookie": ck})
    r = conn.getresponse()
    body = r.read()
    assert r.status == 200, (path, r.status)
    return body


def rss(pid):
    """VmRSS and VmHWM (peak) of `pid`, in MB, and the anonymous part of the resident set."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0]) / 1024
    return out


def main():
    binary, backup = sys.argv[1], sys.argv[2]
    out = {"runs": RUNS}
    every = ["--category", "photos,videos,messages,whatsapp", "--include-hidden", "--include-deleted"]
    ls_all = [timed([binary, "photos", "ls", backup, "--json"] + every) for _ in range(RUNS)]
    ls_default = [timed([binary, "photos", "ls", backup, "--json"]) for _ in range(RUNS)]
    out["ls_json_all_s"] = statistics.median(ls_all)
    out["ls_json_default_s"] = statistics.median(ls_default)

    paint, ready, marks, scroll, whole = [], [], [], [], []
    with tempfile.TemporaryDirectory() as profile:
        d = driver(profile)
        try:
            for _ in range(RUNS):
                p, url, t0, t_url = start(binary, backup)
                try:
                    d.get(url)
                    WebDriverWait(d, 120, poll_frequency=0.01).until(
                        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-painted") == "1")
                    t1 = time.perf_counter()
                    paint.append(t1 - t0)
                    ready.append(t_url - t0)
                    # The whole list in the page too (sidebar, every view), after the first
                    # screenful was painted.
                    WebDriverWait(d, 120, poll_frequency=0.01).until(
                        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1")
                    whole.append(time.perf_counter() - t0)
                    marks.append(d.execute_script(
                        "return performance.getEntriesByName('unback-grid-painted')[0].startTime"))
                    scroll.append(d.execute_async_script(SCROLL))
                finally:
                    p.kill()
                    p.wait()
                d.get("about:blank")
        finally:
            d.quit()
    out["start_to_paint_s"] = statistics.median(paint)
    out["start_to_address_s"] = statistics.median(ready)
    out["start_to_whole_list_s"] = statistics.median(whole)
    out["navigation_to_paint_ms"] = statistics.median(marks)
    frames = sorted(f for r in scroll for f in r["frames"])
    out["scroll_frames"] = len(frames)
    out["scroll_frame_p50_ms"] = frames[len(frames) // 2]
    out["scroll_frame_p95_ms"] = frames[int(len(frames) * 0.95)]
    out["scroll_max_tiles_in_dom"] = max(r["max_tiles"] for r in scroll)

    p, url, _, _ = start(binary, backup)
    try:
        host, port, ck = cookie(url)
        out["rss_loaded_mb"] = rss(p.pid)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        t = time.perf_counter()
        assets = json.loads(get(conn, host, ck, "/api/assets"))
        out["api_assets_first_s"] = time.perf_counter() - t
        out["api_assets_first_vs_ls_all"] = out["api_assets_first_s"] / out["ls_json_all_s"]
        out["assets"] = len(assets)
        times = []
        for _ in range(RUNS):
            t = time.perf_counter()
            get(conn, host, ck, "/api/assets")
            times.append(time.perf_counter() - t)
        out["api_assets_s"] = statistics.median(times)
        out["api_assets_vs_ls_all"] = out["api_assets_s"] / out["ls_json_all_s"]
        out["api_assets_vs_ls_default"] = out["api_assets_s"] / out["ls_json_default_s"]
        out["rss_after_assets_mb"] = rss(p.pid)

        uuids = [a["uuid"] for a in assets]
        lat = []
        lock = threading.Lock()

        def client(seed):
            rnd = random.Random(seed)
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            mine = []
            for _ in range(THUMBS_PER_CLIENT):
                u = rnd.choice(uuids)
                t = time.perf_counter()
                body = get(c, host, ck, "/thumb/" + u)
                mine.append(time.perf_counter() - t)
                assert body[:3] == b"\xff\xd8\xff", "a JPEG derivative"
            with lock:
                lat.extend(mine)

        ts = [threading.Thread(target=client, args=(s,)) for s in (1, 2)]
        t = time.perf_counter()
        for x in ts:
            x.start()
        for x in ts:
            x.join()
        wall = time.perf_counter() - t
        lat.sort()
        out["thumb_requests"] = len(lat)
        out["thumb_p50_ms"] = 1000 * lat[len(lat) // 2]
        out["thumb_p95_ms"] = 1000 * lat[int(len(lat) * 0.95)]
        out["thumb_max_ms"] = 1000 * lat[-1]
        out["thumb_per_s"] = len(lat) / wall
        out["rss_end_mb"] = rss(p.pid)
        out["server_peak_rss_mb"] = out["rss_end_mb"]["VmHWM"]
    finally:
        p.kill()
        p.wait()
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
