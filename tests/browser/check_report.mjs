// Opens a report.html in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; no browser is downloaded) and prints one JSON line with what a person would
// see: console errors and page errors, requests that left the file (a self-contained page makes
// none), every chart (<figure class="chart">) with the data marks in its SVG, and whether a
// full-page screenshot is blank (decoded with pngjs: distinct colours, share of non-white pixels).
//
//   node tests/browser/check_report.mjs <report.html> <screenshot.png>
//
// Tools come from $VIPSEG_TEST_TOOLS or .test-tools/ of the repository (scripts/test-setup);
// the browser from $VIPSEG_CHROMIUM or /usr/bin/chromium. Exit 0 when the check ran (the JSON
// says what it found), 2 when it could not run (the JSON's "error" says why).

import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const tools = process.env.VIPSEG_TEST_TOOLS || path.join(here, "..", "..", ".test-tools");
const chromiumPath = process.env.VIPSEG_CHROMIUM || "/usr/bin/chromium";
const SETUP = "run scripts/test-setup (it installs chromium with apt-get and playwright-core, pngjs with npm)";

function fail(message) {
  console.log(JSON.stringify({ ok: false, error: message }));
  process.exit(2);
}

const [htmlPath, pngPath] = process.argv.slice(2);
if (!htmlPath || !pngPath) fail("usage: check_report.mjs <report.html> <screenshot.png>");
if (!existsSync(htmlPath)) fail(`no such file: ${htmlPath}`);
if (!existsSync(chromiumPath)) fail(`chromium not found at ${chromiumPath}: ${SETUP}`);

const require = createRequire(path.join(path.resolve(tools), "package.json"));
let chromium, PNG;
try {
  ({ chromium } = require("playwright-core"));
  ({ PNG } = require("pngjs"));
} catch (e) {
  fail(`playwright-core or pngjs not installed in ${tools}: ${SETUP} (${e.message})`);
}

const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const consoleErrors = [];
  const pageErrors = [];
  const externalRequests = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") consoleErrors.push(msg.text());
  });
  page.on("pageerror", (err) => pageErrors.push(String(err)));
  const fileUrl = pathToFileURL(path.resolve(htmlPath)).href;
  // Nothing may leave the file: any other request is recorded and refused.
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url === fileUrl || url.startsWith("data:")) return route.continue();
    externalRequests.push(url);
    return route.abort();
  });
  await page.goto(fileUrl, { waitUntil: "load" });

  const found = await page.evaluate(() => {
    const charts = [...document.querySelectorAll("figure.chart")].map((figure) => {
      const svg = figure.querySelector("svg");
      const colors = (figure.dataset.markColors || "").split(/\s+/).filter(Boolean).map((c) => c.toUpperCase());
      let marks = 0;
      if (svg) {
        for (const el of svg.querySelectorAll("rect, circle, path, polyline, polygon, line, ellipse")) {
          const fill = (el.getAttribute("fill") || "").toUpperCase();
          const stroke = (el.getAttribute("stroke") || "").toUpperCase();
          if (colors.includes(fill) || colors.includes(stroke)) marks += 1;
        }
      }
      const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
      return {
        name: figure.dataset.chart,
        svg: Boolean(svg),
        data_marks: marks,
        texts: svg ? svg.querySelectorAll("text").length : 0,
        width: Math.round(box.width),
        height: Math.round(box.height),
      };
    });
    return {
      title: document.title,
      charts,
      svg_count: document.querySelectorAll("svg").length,
      scripts: document.querySelectorAll("script").length,
      notes: [...document.querySelectorAll("p.note")].map((p) => p.textContent.trim()),
      placeholders: [...document.querySelectorAll("[data-placeholder]")].map((p) => p.dataset.placeholder),
      sections: [...document.querySelectorAll("section[id]")].map((s) => s.id),
    };
  });

  await page.screenshot({ path: pngPath, fullPage: true });
  const png = PNG.sync.read(readFileSync(pngPath));
  const distinct = new Set();
  let nonWhite = 0;
  const pixels = png.width * png.height;
  for (let i = 0; i < png.data.length; i += 4) {
    const [r, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
    if (distinct.size < 100000) distinct.add((r << 16) | (g << 8) | b);
    if (r < 245 || g < 245 || b < 245) nonWhite += 1;
  }
  console.log(
    JSON.stringify({
      ok: true,
      browser: browser.version(),
      console_errors: consoleErrors,
      page_errors: pageErrors,
      external_requests: externalRequests,
      ...found,
      screenshot: {
        path: pngPath,
        width: png.width,
        height: png.height,
        distinct_colors: distinct.size,
        non_white_share: pixels ? nonWhite / pixels : 0,
      },
    }),
  );
} finally {
  await browser.close();
}
