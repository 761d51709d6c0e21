"""The operator console in headless Chromium, through WebDriver (selenium).

Run by the Swift test suite (Tests/EndToEndTests/ConsoleBrowserTests.swift) against a whole
deployment, and by `make bench` (scripts/bench-console.sh) to time the page. It drives the page
as an operator would, places orders and writes stream entries itself (HTTP to the API,
redis-cli for entries no API writes), and prints one JSON object per step on stdout: what the
page showed. The Swift test holds those observations against what it knows. Screenshots of
each view go to OUT.

Environment: CONSOLE_URL (what `baedalctl console` printed), API (base URL), REDIS_PORT, OUT,
MODE (test | bench), and for the test CUSTOMER, OWNER, RIDER, CUSTOMER_TOKEN_OF_ANOTHER_ROLE
(tokens), ORDER_ID (an order the test took to `picked`); PARTITIONS (BAEDAL_PARTITIONS, default 1:
above 1 the page shows each stream's total as `<prefix>:{*}:…` and the script writes each entry
into its order's partition, `<prefix>:{k}:…`).
"""
import json
import os
import subprocess
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ENV = os.environ
OUT = ENV.get("OUT", "console-screenshots")
WAIT = float(ENV.get("WAIT_SECONDS", "20"))


def report(step, **values):
    print(json.dumps(dict(step=step, **values), ensure_ascii=False), flush=True)


def browser(width=1366, height=900):
    options = webdriver.ChromeOptions()
    options.binary_location = ENV.get("CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", "--lang=en-US", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    service = Service(executable_path=ENV.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    return driver


def until(driver, condition, what, seconds=WAIT):
    """Polls `condition(driver)` until it is truthy; its value, or fails the step."""
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.05).until(lambda d: condition(d))
    except TimeoutException:
        shot(driver, "failed-" + what.replace(" ", "-")[:40])
        report("failed", waitingFor=what, seconds=seconds)
        raise SystemExit(1)


def resize(driver, width, height, what):
    """Resizes the window, then waits until the page has that size and nothing on it moves (no
    CSS transition or animation running: the bars' widths ease when their space changes).
    Fails the step without a screenshot of its own (taking one resizes the window)."""
    driver.set_window_size(width, height)
    height = driver.get_window_size()["height"]  # what the browser made of it (it may cap a size)
    try:
        WebDriverWait(driver, WAIT, poll_frequency=0.05).until(lambda d: d.execute_script(
            "return window.outerHeight === arguments[0] && document.getAnimations().every(a => a.playState !== 'running')", height))
    except TimeoutException:
        report("failed", waitingFor=what, seconds=WAIT)
        raise SystemExit(1)


def still(driver, what):
    """Waits until nothing on the page moves (no CSS transition or animation running)."""
    until(driver, lambda d: d.execute_script("return document.getAnimations().every(a => a.playState !== 'running')"), what)


def shot(driver, name, full=True):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name + ".png")
    if full:
        height = driver.execute_script("return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)")
        size = driver.get_window_size()
        resize(driver, size["width"], min(max(height + 140, 400), 6000), "the window as tall as the page, for " + name)
        driver.save_screenshot(path)
        driver.set_window_size(size["width"], size["height"])
    else:
        driver.save_screenshot(path)
    return path


def element_shot(driver, element_id, name):
    """One part of the page, whole: the window is made tall enough to hold it first."""
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name + ".png")
    size = driver.get_window_size()
    height = driver.execute_script("return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)")
    resize(driver, size["width"], min(max(height + 140, 400), 6000), "the window as tall as the page, for " + name)
    driver.find_element(By.ID, element_id).screenshot(path)
    driver.set_window_size(size["width"], size["height"])
    return path


def http(method, path, token=None, body=None):
    request = urllib.request.Request(ENV["API"] + path, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def redis(*arguments):
    return subprocess.run(["redis-cli", "-p", ENV["REDIS_PORT"], *arguments], check=True, capture_output=True, text=True).stdout.strip()


def bars(driver, list_id):
    """A bar chart as the page shows it: {label: number}."""
    return driver.execute_script("""
        const out = {};
        for (const li of document.querySelectorAll('#' + arguments[0] + ' li[data-id]'))
          out[li.dataset.id] = Number(li.querySelector('.value').textContent.replace(/[^0-9-]/g, ''));
        return out;""", list_id)


def stream_length(driver, key):
    return driver.execute_script("""
        const b = document.querySelector('article[data-stream="' + arguments[0] + '"] .stream-length');
        return b ? Number(b.textContent.replace(/[^0-9]/g, '')) : null;""", key)


def letters(driver):
    return driver.execute_script("return [...document.querySelectorAll('#dead-list li.letter')].map(li => li.dataset.id)")


def confirm(driver, button):
    button.click()
    ok = until(driver, lambda d: d.find_element(By.ID, "confirm-ok") if d.find_element(By.ID, "confirm").is_displayed() else None, "the confirmation")
    ok.click()


def crc16(data):
    """CRC16 (XMODEM), Redis's own checksum: what an order's partition is computed from."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def test():
    prefix = ENV.get("PREFIX", "baedal")
    partitions = int(ENV.get("PARTITIONS", "1"))
    partitioned = partitions > 1

    def base(order_id):
        """Where an order's keys are: its partition's tag (CRC16 of the id, modulo the partitions)."""
        return prefix + (":{%d}" % (crc16(order_id.encode()) % partitions) if partitioned else "")

    def dead_count():
        return sum(int(redis("XLEN", key)) for key in
                   ([prefix + ":{%d}:dead" % k for k in range(partitions)] if partitioned else [prefix + ":dead"]))
    driver = browser()
    try:
        # 1. Signing in through the URL `baedalctl console` printed.
        driver.get(ENV["CONSOLE_URL"])
        until(driver, lambda d: d.execute_script("return document.documentElement.dataset.loaded"), "the first data")
        driver.execute_script("window.__sameDocument = 'yes'")
        report("signIn", appVisible=driver.find_element(By.ID, "app").is_displayed(),
               signInVisible=driver.find_element(By.ID, "signin").is_displayed(),
               hash=driver.execute_script("return location.hash"),
               tokenKept=driver.execute_script("return !!sessionStorage.getItem('baedal.console.token')"),
               who=driver.find_element(By.ID, "who").text)

        # 2. The dashboards as the test computed them.
        expected_foods = json.loads(ENV["EXPECT_FOODS"])
        expected_riders = json.loads(ENV["EXPECT_RIDERS"])
        until(driver, lambda d: bars(d, "food-chart") == expected_foods and bars(d, "rider-board") == expected_riders, "the expected dashboards")
        placed = driver.execute_script(
            "return Number(document.querySelector('#flow-legend li[data-status=placed] b').textContent.replace(/[^0-9]/g, ''))")
        report("dashboards", foods=bars(driver, "food-chart"), riders=bars(driver, "rider-board"), placedThisHour=placed)
        shot(driver, "1-dashboards")

        # 3. An order placed through the API: the chart and the stream's length change, no reload.
        order_stream = prefix + (":{*}" if partitioned else "") + ":events:order"  # the card the page shows
        before_units = bars(driver, "food-chart").get("cola", 0)
        before_length = stream_length(driver, order_stream)
        started = time.monotonic()
        status, receipt = http("POST", "/orders", ENV["CUSTOMER"], {
            "storeId": "s-gangnam-chicken", "items": [{"foodId": "cola", "qty": 3}], "region": "gangnam", "address": "서울 강남구 테헤란로 1"})
        until(driver, lambda d: bars(d, "food-chart").get("cola", 0) == before_units + 3, "the chart to move")
        chart_seconds = time.monotonic() - started
        until(driver, lambda d: stream_length(d, order_stream) == before_length + 1, "the stream length to move")
        length_seconds = time.monotonic() - started
        report("live", placeStatus=status, orderId=receipt.get("orderId") if isinstance(receipt, dict) else None,
               unitsBefore=before_units, unitsAfter=bars(driver, "food-chart").get("cola"),
               lengthBefore=before_length, lengthAfter=stream_length(driver, order_stream),
               chartSeconds=round(chart_seconds, 2), lengthSeconds=round(length_seconds, 2),
               sameDocument=driver.execute_script("return window.__sameDocument"),
               navigations=driver.execute_script("return performance.getEntriesByType('navigation').length"))
        driver.execute_script("document.getElementById('streams').scrollIntoView()")
        element_shot(driver, "streams", "2-streams")

        # 4. A garbage entry becomes a dead letter; replay and drop it from the page.
        garbage = redis("XADD", base("o-garbage") + ":events:order", "*", "type", "OrderPlaced", "orderId", "o-garbage", "at", str(int(time.time() * 1000)), "data", "not json")
        until(driver, lambda d: len(letters(d)) > 0, "a dead letter")
        shown = letters(driver)
        first = driver.find_element(By.CSS_SELECTOR, f'#dead-list li[data-id="{shown[0]}"]')
        reason = first.find_element(By.CSS_SELECTOR, ".reason").text
        element_shot(driver, "dead", "3-dead-letters")
        confirm(driver, first.find_element(By.CSS_SELECTOR, "button.replay"))
        until(driver, lambda d: "replayed" in d.find_element(By.ID, "dead-result").text, "the replay")
        replay_note = driver.find_element(By.ID, "dead-result").text
        # The entry is still garbage: the group that gave up on it dead-letters it again.
        until(driver, lambda d: len(letters(d)) == len(shown) and shown[0] not in letters(d), "the replayed entry's new dead letter")
        again = letters(driver)
        dead_before_drop = dead_count()
        confirm(driver, driver.find_element(By.CSS_SELECTOR, f'#dead-list li[data-id="{again[0]}"] button.drop'))
        until(driver, lambda d: "dropped" in d.find_element(By.ID, "dead-result").text and again[0] not in letters(d), "the drop")
        report("deadLetters", garbageId=garbage, letters=shown, reason=reason, replayNote=replay_note, afterReplay=again,
               afterDrop=letters(driver), deadBeforeDrop=dead_before_drop, deadAfterDrop=dead_count())

        # 5. Hostile text in an event's fields shows as text.
        hostile = '<script>window.__pwned=1</script> "quoted" & 한국어 <b>굵게</b> <img src=x onerror="window.__pwned=2">'
        redis("XADD", base("o-xss") + ":events:order", "*", "type", "OrderPlaced", "orderId", "o-xss", "at", str(int(time.time() * 1000)),
              "data", hostile, "note", hostile)
        until(driver, lambda d: d.execute_script(
            "return [...document.querySelectorAll('#dead-list .order-link')].some(a => a.textContent === 'o-xss')"), "the hostile dead letter")
        dead_texts = driver.execute_script("return [...document.querySelectorAll('#dead-list dd')].map(dd => dd.textContent)")
        injected = driver.execute_script("return document.querySelectorAll('#dead-list dd script, #dead-list dd img, #dead-list dd b').length")
        element_shot(driver, "dead", "4-hostile-text")
        # The same entry in the order's timeline (an order with no record: the newest entries).
        driver.execute_script("location.hash = '#/order/o-xss'")
        until(driver, lambda d: d.execute_script(
            "return [...document.querySelectorAll('#timeline dd')].some(dd => dd.textContent === arguments[0])", hostile), "the hostile timeline")
        timeline_texts = driver.execute_script("return [...document.querySelectorAll('#timeline dd')].map(dd => dd.textContent)")
        timeline_injected = driver.execute_script("return document.querySelectorAll('#order dd script, #order dd img, #order dd b').length")
        shot(driver, "4-hostile-timeline")
        report("hostileText", expected=hostile, deadTexts=dead_texts, timelineTexts=timeline_texts,
               injectedElements=injected + timeline_injected,
               pwned=driver.execute_script("return window.__pwned === undefined ? null : window.__pwned"))
        # Replay all of them (each comes back dead for the group that gave up), then drop all.
        driver.execute_script("location.hash = '#/dead'")
        old = letters(driver)
        confirm(driver, driver.find_element(By.ID, "replay-all"))
        until(driver, lambda d: d.find_element(By.ID, "dead-result").text.startswith("replayed "), "replay all")
        replay_all = driver.find_element(By.ID, "dead-result").text
        until(driver, lambda d: len(letters(d)) == len(old) and not set(old) & set(letters(d)), "the replayed letters to come back")
        confirm(driver, driver.find_element(By.ID, "drop-all"))
        until(driver, lambda d: d.find_element(By.ID, "dead-result").text.startswith("dropped ") and len(letters(d)) == 0, "drop all")
        report("allLetters", before=len(old), replayAll=replay_all, dropAll=driver.find_element(By.ID, "dead-result").text,
               deadInRedis=dead_count())

        # 6. An order's timeline, from the link an order id is wherever it appears.
        order_id = ENV["ORDER_ID"]
        driver.execute_script("location.hash = '#/dashboards'")
        driver.find_element(By.ID, "lookup-id").clear()
        driver.find_element(By.ID, "lookup-id").send_keys(order_id)
        driver.find_element(By.CSS_SELECTOR, "#lookup button").click()
        expected = json.loads(ENV["EXPECT_TIMELINE"])
        until(driver, lambda d: d.execute_script(
            "return [...document.querySelectorAll('#timeline li')].map(li => li.dataset.type)") == expected, "the timeline")
        report("timeline", orderId=driver.find_element(By.ID, "order-id").text, status=driver.find_element(By.ID, "order-status").text,
               types=driver.execute_script("return [...document.querySelectorAll('#timeline li')].map(li => li.dataset.type)"),
               fields=driver.execute_script("return [...document.querySelectorAll('#order-fields dt')].map(dt => dt.textContent)"))
        shot(driver, "5-order")
        # The page's whole width at once, as the README shows it.
        driver.execute_script("location.hash = '#/dashboards'")
        until(driver, lambda d: d.execute_script("return document.getElementById('order').hidden"), "the order closed, back on the dashboards")
        still(driver, "the dashboards at rest")
        shot(driver, "0-console")

        # 7. A phone-sized screen.
        resize(driver, 390, 844, "a phone-sized window, the page at rest")
        report("phone", scrollWidth=driver.execute_script("return document.documentElement.scrollWidth"),
               innerWidth=driver.execute_script("return window.innerWidth"))
        shot(driver, "6-phone")

        # 8. Signing in by hand: a customer's token is refused with a message, an operator's works.
        driver.set_window_size(1366, 900)
        driver.execute_script("sessionStorage.clear()")
        driver.get(ENV["API"] + "/console")
        until(driver, lambda d: d.find_element(By.ID, "signin").is_displayed(), "the sign-in form")
        driver.find_element(By.ID, "token-input").send_keys(ENV["ANOTHER_ROLE"])
        driver.find_element(By.CSS_SELECTOR, "#signin-form button").click()
        refused = until(driver, lambda d: d.find_element(By.ID, "signin-message").text if "customer" in d.find_element(By.ID, "signin-message").text else None,
                        "the refusal")
        shot(driver, "7-sign-in")
        token = ENV["CONSOLE_URL"].split("#token=", 1)[1]
        driver.find_element(By.ID, "token-input").send_keys(token)
        driver.find_element(By.CSS_SELECTOR, "#signin-form button").click()
        until(driver, lambda d: d.find_element(By.ID, "app").is_displayed(), "signed in by hand")
        report("pasted", refusal=refused, signedIn=driver.find_element(By.ID, "app").is_displayed())
        report("done")
    finally:
        driver.quit()


def bench():
    """Page weight and load time: the page, its CSS and script, then the first data drawn."""
    runs = int(ENV.get("RUNS", "10"))
    driver = browser()
    try:
        loads, ready = [], []
        weight = None
        for run in range(runs + 1):
            driver.get("about:blank")  # each load a whole new document
            driver.get(ENV["CONSOLE_URL"])
            until(driver, lambda d: d.execute_script("return document.documentElement.dataset.loaded"), "the first data")
            timing = driver.execute_script("""
                const nav = performance.getEntriesByType('navigation')[0];
                const files = performance.getEntriesByType('resource').filter(r => r.name.includes('/console/console.'));
                return { dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
                         data: Number(document.documentElement.dataset.loaded),
                         bytes: nav.encodedBodySize + files.reduce((s, r) => s + r.encodedBodySize, 0), files: files.length + 1 };""")
            if run == 0:
                weight = timing  # the first load warms the browser; not timed
                continue
            loads.append(timing["load"])
            ready.append(timing["data"])
        loads.sort()
        ready.sort()
        median = lambda xs: xs[len(xs) // 2]
        print(f"page        {weight['bytes']:,} bytes in {weight['files']} files (HTML, CSS, JS; uncompressed; nothing else is fetched)")
        print(f"load        to the load event: median {median(loads):.1f} ms (max {loads[-1]:.1f}); to the first data drawn: "
              f"median {median(ready):.1f} ms (max {ready[-1]:.1f}); {runs} loads in headless Chromium")
    finally:
        driver.quit()


if __name__ == "__main__":
    (bench if ENV.get("MODE") == "bench" else test)()
