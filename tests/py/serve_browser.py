"""Drives the page of `unback serve` in headless Chromium through WebDriver (Debian's
chromium-driver, Selenium from PyPI), as a person would: reads the sidebar, clicks each
category and scrolls its whole grid, opens a detail view, selects with click and shift-click,
exports through the page, tries a forbidden destination, and saves screenshots.

It asserts nothing about the backup itself: it prints what the page showed and did as one JSON
object on stdout, and tests/serve_browser.rs compares that with what `unback photos ls` and
`unback photos export --uuid` give. Every wait is bounded; the Rust side also kills this
process group if it overruns.

usage: serve_browser.py URL SCREENS_DIR --pick A,B,C --out DIR --bad-out DIR [--big-out DIR]
  --pick: three UUIDs, consecutive in the camera roll's view; A is clicked, then C
          shift-clicked, which selects the range A..C.
"""

import argparse
import json
import os
import sys
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = os.environ.get("UNBACK_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("UNBACK_CHROMEDRIVER", "/usr/bin/chromedriver")

# Scrolls the grid from top to bottom one screen at a time, two frames after each step so the
# virtualised grid renders, and returns the UUIDs of every tile seen, in view order.
COLLECT = """
const done = arguments[arguments.length - 1];
const g = document.getElementById('grid');
const seen = new Map();
let prev = -1;
g.scrollTop = 0;
function step() {
  for (const t of document.querySelectorAll('#canvas .tile')) seen.set(Number(t.dataset.pos), t.dataset.uuid);
  if (g.scrollTop === prev || g.scrollTop + g.clientHeight >= g.scrollHeight - 1) {
    const pos = Array.from(seen.keys()).sort((a, b) => a - b);
    done({ uuids: pos.map((p) => seen.get(p)), positions: pos, count: Number(g.dataset.count),
           rendered: document.querySelectorAll('#canvas .tile').length });
    return;
  }
  prev = g.scrollTop;
  g.scrollTop = g.scrollTop + g.clientHeight;
  requestAnimationFrame(() => requestAnimationFrame(step));
}
requestAnimationFrame(() => requestAnimationFrame(step));
"""


def driver(profile):
    o = webdriver.ChromeOptions()
    o.binary_location = CHROMIUM
    for a in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
        "--user-data-dir=" + profile,
    ]:
        o.add_argument(a)
    # The console: a CSP violation or a script error is logged there as SEVERE.
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=o)
    d.set_page_load_timeout(60)
    d.set_script_timeout(120)
    return d


def wait(d, what, cond, secs=30):
    # Opening a backup from the chooser replaces the document: an element looked up just before
    # can go stale between the lookup and the read, which only means "not yet".
    try:
        return WebDriverWait(
            d, secs, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,)
        ).until(cond)
    except TimeoutException:
        raise SystemExit("timed out waiting for " + what)


def loaded(d):
    """The page has painted its grid (the first screenful comes first) and has the whole list,
    the sidebar included."""
    b = d.find_element(By.TAG_NAME, "body")
    return b.get_attribute("data-painted") == "1" and b.get_attribute("data-ready") == "1"


def sidebar(d):
    cats, albums = {}, {}
    for li in d.find_elements(By.CSS_SELECTOR, "#sidebar li"):
        count = int(li.find_element(By.CSS_SELECTOR, ".count").text)
        name = li.get_attribute("data-name")
        album = li.get_attribute("data-album")
        if name:
            cats[name] = count
        elif album:
            albums[album] = count
    return cats, albums


def click_side(d, attr, value):
    li = d.find_element(By.CSS_SELECTOR, "#sidebar li[%s='%s']" % (attr, value))
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", li)
    li.click()
    wait(d, "the view of " + value, lambda d: "active" in li.get_attribute("class"))


def tile(d, uuid):
    """The tile of `uuid`, scrolled into the rendered window first (the grid is virtualised)."""
    d.execute_script("document.getElementById('grid').scrollTop = 0")
    for _ in range(2000):
        found = d.find_elements(By.CSS_SELECTOR, "#canvas .tile[data-uuid='%s']" % uuid)
        if found:
            d.execute_script("arguments[0].scrollIntoView({block: 'center'})", found[0])
            time.sleep(0.05)
            return d.find_element(By.CSS_SELECTOR, "#canvas .tile[data-uuid='%s']" % uuid)
        moved = d.execute_script(
            "const g = document.getElementById('grid'); const t = g.scrollTop;"
            "g.scrollTop = t + g.clientHeight * 0.8; return g.scrollTop !== t;"
        )
        if not moved:
            break
        time.sleep(0.05)
    raise SystemExit("no tile for " + uuid)


def export(d, out, screen=None):
    box = d.find_element(By.ID, "out")
    box.clear()
    box.send_keys(out)
    d.find_element(By.ID, "export").click()
    if screen:
        # Right after the click: the bar and the running count are up.
        d.save_screenshot(screen)
    result = d.find_element(By.ID, "result")
    wait(
        d,
        "the export's answer",
        lambda d: result.get_attribute("data-state") in ("done", "partial", "error"),
        120,
    )
    cmd = d.find_elements(By.ID, "command")
    return {
        "state": result.get_attribute("data-state"),
        "text": result.text,
        "command": cmd[0].text if cmd else None,
    }


def play(d, uuid, screen):
    """Opens the detail view of the video `uuid` and lets its <video> load through the server's
    byte ranges: its metadata (readyState >= 1, HAVE_METADATA, gives the duration), then a seek
    to the middle, which needs the frames there."""
    t = tile(d, uuid)
    ActionChains(d).move_to_element(t).perform()
    t.find_element(By.CSS_SELECTOR, ".info").click()
    box = d.find_element(By.ID, "detail")
    wait(d, "the detail view", lambda d: box.get_attribute("data-ready") == "1")
    state = "const v = document.getElementById('dvid'); return {ready: v.readyState, duration: v.duration, " \
            "error: v.error ? v.error.code + ' ' + v.error.message : null, src: v.currentSrc, hidden: v.hidden, " \
            "seeking: v.seeking, time: v.currentTime, img_hidden: document.getElementById('dimg').hidden};"
    try:
        WebDriverWait(d, 30, poll_frequency=0.05).until(
            lambda d: (lambda s: s["ready"] >= 1 or s["error"])(d.execute_script(state)))
    except TimeoutException:
        pass
    loaded = d.execute_script(state)
    seek = None
    if loaded["ready"] >= 1 and loaded["duration"] > 0:
        d.execute_script("const v = document.getElementById('dvid'); v.currentTime = v.duration / 2;")
        try:
            WebDriverWait(d, 30, poll_frequency=0.05).until(
                lambda d: (lambda s: not s["seeking"] and s["ready"] >= 2)(d.execute_script(state)))
        except TimeoutException:
            pass
        seek = d.execute_script(state)
    d.save_screenshot(screen)
    d.find_element(By.ID, "dclose").click()
    wait(d, "the detail view to close", lambda d: not box.is_displayed())
    return {"loaded": loaded, "seek": seek}


def choose(a):
    """No BACKUP given: the page lists the backups; open the encrypted one named --device, first
    with a wrong password, then with the right one (both from the environment, never argv)."""
    report = {}
    with tempfile.TemporaryDirectory() as profile:
        d = driver(profile)
        try:
            d.get(a.url)
            wait(d, "the page's script", lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1", 60)
            rows = d.find_elements(By.CSS_SELECTOR, "#backups tr")
            report["rows"] = [[td.text for td in r.find_elements(By.TAG_NAME, "td")][:6] for r in rows]
            d.save_screenshot(os.path.join(a.screens, "chooser.png"))
            row = next(r for r in rows if r.find_element(By.TAG_NAME, "td").text == a.device)
            msg = d.find_element(By.ID, "cmsg")
            row.find_element(By.CSS_SELECTOR, "button.open").click()
            report["asked"] = d.find_element(By.ID, "cpass").is_displayed()
            report["ask_text"] = msg.text
            for key, want in (("UNBACK_TEST_WRONG", "error"), ("UNBACK_TEST_PASSWORD", "done")):
                box = d.find_element(By.ID, "cpass")
                box.clear()
                box.send_keys(os.environ[key])
                d.find_element(By.CSS_SELECTOR, "#backups tr[data-id='%s'] button.open" % row.get_attribute("data-id")).click()
                if want == "error":
                    wait(d, "the refusal", lambda d: msg.get_attribute("data-state") == "error", 60)
                    report["wrong_text"] = msg.text
                    report["wrong_field_cleared"] = d.find_element(By.ID, "cpass").get_attribute("value") == ""
            # The page reloads with the backup open.
            wait(d, "the grid", lambda d: loaded(d)
                 and d.find_element(By.ID, "title").text != "unback — choose a backup", 60)
            report["title"] = d.find_element(By.ID, "title").text
            report["count"] = int(d.find_element(By.ID, "grid").get_attribute("data-count"))
            report["url"] = d.current_url
            report["size_titles"] = []

            # Back to the list, open the other backup (--then), whose sidebar is read; back
            # again, and the encrypted one asks its password again.
            def to_list():
                d.find_element(By.ID, "tolist").click()
                wait(d, "the list again", lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1"
                     and d.find_elements(By.CSS_SELECTOR, "#backups tr"), 60)

            def row_of(name):
                return next(r for r in d.find_elements(By.CSS_SELECTOR, "#backups tr")
                            if r.find_element(By.TAG_NAME, "td").text == name)

            to_list()
            report["back_rows"] = len(d.find_elements(By.CSS_SELECTOR, "#backups tr"))
            report["size_titles"] = [c.get_attribute("title") for c in d.find_elements(By.CSS_SELECTOR, "#backups td.size")]
            row_of(a.then).find_element(By.CSS_SELECTOR, "button.open").click()
            wait(d, "the other grid", lambda d: loaded(d)
                 and d.find_element(By.ID, "title").text == "unback — " + a.then, 60)
            report["then_title"] = d.find_element(By.ID, "title").text
            report["then_sidebar"] = sidebar(d)[0]
            to_list()
            row_of(a.device).find_element(By.CSS_SELECTOR, "button.open").click()
            report["asked_again"] = d.find_element(By.ID, "cpass").is_displayed()
            report["ask_again_text"] = d.find_element(By.ID, "cmsg").text
            report["console"] = [e["message"] for e in d.get_log("browser") if e.get("level") == "SEVERE"]
        finally:
            d.quit()
    json.dump(report, sys.stdout)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--choose":
        p = argparse.ArgumentParser()
        p.add_argument("--choose", action="store_true")
        p.add_argument("url")
        p.add_argument("screens")
        p.add_argument("--device", required=True)
        p.add_argument("--then", required=True, help="the device name of the backup opened next")
        choose(p.parse_args())
        return
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("screens")
    p.add_argument("--pick", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--bad-out", required=True)
    p.add_argument("--big-out")
    p.add_argument("--prefix", default="")
    p.add_argument("--dates", help="FROM,TO (YYYY-MM-DD) for the date-range filter")
    p.add_argument("--video", help="UUID of a video in the camera roll: played in its detail view")
    a = p.parse_args()
    picks = a.pick.split(",")
    assert len(picks) == 3, picks
    os.makedirs(a.screens, exist_ok=True)
    shot = lambda name: os.path.join(a.screens, a.prefix + name + ".png")
    report = {}
    with tempfile.TemporaryDirectory() as profile:
        d = driver(profile)
        try:
            t0 = time.time()
            d.get(a.url)
            wait(d, "the page's script", lambda d: loaded(d), 60)
            report["load_seconds"] = time.time() - t0
            report["paint_ms"] = d.execute_script(
                "const m = performance.getEntriesByName('unback-grid-painted'); return m.length ? m[0].startTime : null;"
            )
            report["title"] = d.find_element(By.ID, "title").text
            cats, albums = sidebar(d)
            report["sidebar"], report["albums"] = cats, albums
            d.save_screenshot(shot("grid"))

            views = {}
            for name in cats:
                click_side(d, "data-name", name)
                views[name] = d.execute_async_script(COLLECT)
            report["views"] = views
            album_views = {}
            for path in albums:
                click_side(d, "data-album", path)
                album_views[path] = d.execute_async_script(COLLECT)["uuids"]
            report["album_views"] = album_views

            # Search narrows the view to matching names; clearing it restores the view.
            click_side(d, "data-name", "camera-roll")
            q = d.find_element(By.ID, "q")
            q.send_keys("IMG_")
            report["search_img_count"] = int(d.find_element(By.ID, "grid").get_attribute("data-count"))
            q.clear()
            q.send_keys(Keys.BACKSPACE)
            wait(d, "the search to clear", lambda d: int(d.find_element(By.ID, "grid").get_attribute("data-count")) == cats["camera-roll"])

            # A capture-date range narrows the camera roll; cleared, the view is whole again.
            if a.dates:
                lo, hi = a.dates.split(",")
                setter = ("const f = document.getElementById('from'), t = document.getElementById('to');"
                          "f.value = arguments[0]; t.value = arguments[1];"
                          "f.dispatchEvent(new Event('input')); t.dispatchEvent(new Event('input'));")
                d.execute_script(setter, lo, hi)
                report["date_range"] = d.execute_async_script(COLLECT)["uuids"]
                d.execute_script(setter, "", "")
                wait(d, "the dates to clear", lambda d: int(d.find_element(By.ID, "grid").get_attribute("data-count")) == cats["camera-roll"])

            # The detail view of the Live Photo, the middle one of the three.
            t = tile(d, picks[1])
            ActionChains(d).move_to_element(t).perform()
            t.find_element(By.CSS_SELECTOR, ".info").click()
            box = d.find_element(By.ID, "detail")
            wait(d, "the detail view", lambda d: box.get_attribute("data-ready") == "1")
            fields = {}
            dts = box.find_elements(By.CSS_SELECTOR, "#dfields dt")
            dds = box.find_elements(By.CSS_SELECTOR, "#dfields dd")
            for k, v in zip(dts, dds):
                fields[k.text] = v.text
            links = [x.get_attribute("href") for x in box.find_elements(By.CSS_SELECTOR, "#dfiles a")]
            wait(d, "the preview image", lambda d: d.execute_script("return document.getElementById('dimg').complete"))
            d.save_screenshot(shot("detail"))
            report["detail"] = {"uuid": box.get_attribute("data-uuid"), "fields": fields, "links": links,
                                "files": [x.text for x in box.find_elements(By.CSS_SELECTOR, "#dfiles li")]}
            d.find_element(By.ID, "dclose").click()
            wait(d, "the detail view to close", lambda d: not box.is_displayed())

            if a.video:
                report["video"] = play(d, a.video, shot("video"))

            # Select the three: click the first, shift-click the third.
            tile(d, picks[0]).click()
            last = tile(d, picks[2])
            ActionChains(d).key_down(Keys.SHIFT).click(last).key_up(Keys.SHIFT).perform()
            counter = d.find_element(By.ID, "counter")
            report["selected"] = int(counter.get_attribute("data-count"))
            report["selected_uuids"] = [x.get_attribute("data-uuid") for x in d.find_elements(By.CSS_SELECTOR, "#canvas .tile.selected")]
            report["counter_text"] = counter.text

            report["bad_export"] = export(d, a.bad_out)
            report["export"] = export(d, a.out)
            d.save_screenshot(shot("exported"))

            if a.big_out:
                d.find_element(By.ID, "clear").click()
                d.find_element(By.ID, "all").click()
                report["big_selected"] = int(counter.get_attribute("data-count"))
                report["big_export"] = export(d, a.big_out, screen=shot("export-progress"))
            report["console"] = [
                e["message"] for e in d.get_log("browser") if e.get("level") == "SEVERE"
            ]
        finally:
            d.quit()
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
