#!/usr/bin/python3
"""How the wall holds up under a busy night: headless Chromium (Debian's
chromium and chromium-driver, driven by python3-selenium) on the wall of a
running broker, measured once it shows at least --units units and
--alerts open alerts.

  bench/wall_load.py URL [--units 1000] [--alerts 100] [--seconds 10]

URL is the wall's address with its token, as the Jincheng night prints it
(bench/README.md, "The wall under load", runs the night with 1,000
terminals). Prints, over --seconds: the frame gaps the page achieved
(requestAnimationFrame; p50, p99, max: a page that keeps up draws every
~16 ms), the main thread's long tasks (over 50 ms; count and total), and how long a click on an alert takes to show
its timeline (median of 5), and how much of the renderer's main thread the page's own
work took (Chromium's task, script, layout and style times). On a small
machine the broker, the night's terminals and the browser share the cores:
the frame gaps then say more about the machine than about the page, the
page's own busy time says what the page costs. Exit 0, or 1 if the wall never showed that
much within 180 s.
"""

import argparse
import os
import statistics
import sys
import time

MEASURE = """
const done = arguments[arguments.length - 1];
const seconds = arguments[0];
const gaps = [];
let last = performance.now();
let longTasks = 0, longTotal = 0;
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) { longTasks += 1; longTotal += e.duration; }
});
try { observer.observe({type: 'longtask', buffered: false}); } catch (e) {}
const end = last + seconds * 1000;
function frame(now) {
  gaps.push(now - last);
  last = now;
  if (now < end) { requestAnimationFrame(frame); return; }
  observer.disconnect();
  done({gaps, longTasks, longTotal});
}
requestAnimationFrame(frame);
"""

CLICK = """
const done = arguments[arguments.length - 1];
const items = document.querySelectorAll('#alerts li');
const li = items[arguments[0] % items.length];
const id = li.dataset.alertId;
const start = performance.now();
li.click();
(function wait() {
  const t = document.getElementById('timeline');
  if (document.getElementById('timeline-of').textContent === id && t.children.length > 0 &&
      !t.textContent.includes('select an alert')) {
    done(performance.now() - start);
  } else if (performance.now() - start > 10000) {
    done(-1);
  } else {
    setTimeout(wait, 2);
  }
})();
"""


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--alerts", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                    "browser"))
    from headless import start_chromium
    driver = start_chromium()
    driver.set_script_timeout(args.seconds + 30)
    try:
        driver.get(args.url)
        deadline = time.monotonic() + 180
        shown = (0, 0)
        while time.monotonic() < deadline:
            shown = driver.execute_script(
                "return [document.querySelectorAll('circle.unit').length, "
                "document.querySelectorAll('#alerts li').length]")
            if shown[0] >= args.units and shown[1] >= args.alerts:
                break
            time.sleep(0.5)
        else:
            print(f"wall_load: the wall showed {shown[0]} units and {shown[1]} open alerts, "
                  f"not {args.units} and {args.alerts}, within 180 s", file=sys.stderr)
            return 1
        # The page's own work (Chromium's counters, seconds of the renderer's
        # main thread), apart from what the rest of the machine takes from it.
        driver.execute_cdp_cmd("Performance.enable", {})
        before = {m["name"]: m["value"]
                  for m in driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]}
        result = driver.execute_async_script(MEASURE, args.seconds)
        after = {m["name"]: m["value"]
                 for m in driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]}
        work = {k: after.get(k, 0) - before.get(k, 0)
                for k in ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")}
        gaps = result["gaps"][1:]
        clicks = [driver.execute_async_script(CLICK, i) for i in range(5)]
        units, alerts = driver.execute_script(
            "return [document.querySelectorAll('circle.unit').length, "
            "document.querySelectorAll('#alerts li').length]")
        print(f"wall under load: {units} units drawn, {alerts} open alerts listed, "
              f"measured over {args.seconds:.0f} s")
        print(f"  frame gaps: p50 {percentile(gaps, 50):.1f} ms, p99 {percentile(gaps, 99):.1f} ms, "
              f"max {max(gaps):.1f} ms ({len(gaps)} frames)")
        print(f"  long tasks (> 50 ms): {result['longTasks']}, {result['longTotal']:.0f} ms in all")
        print(f"  the page's main thread busy {work['TaskDuration']:.2f} s of {args.seconds:.0f} s: "
              f"script {work['ScriptDuration']:.2f} s, layout {work['LayoutDuration']:.2f} s, "
              f"style {work['RecalcStyleDuration']:.2f} s")
        with open("/proc/loadavg") as f:
            print(f"  machine load average {f.read().split()[0]} on {len(os.sched_getaffinity(0))} "
                  "cores (broker, 1,000 terminals and the browser share them)")
        good = [c for c in clicks if c >= 0]
        print(f"  click an alert -> its timeline shown: median "
              f"{statistics.median(good) if good else float('nan'):.0f} ms "
              f"(of {len(good)}; {', '.join(f'{c:.0f}' for c in clicks)} ms)")
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
