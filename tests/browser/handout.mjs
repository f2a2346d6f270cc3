// Drives Debian's chromium (headless, through playwright-core) through
// `sim report` pages and prints what it saw as JSON; the Rust test
// tests/integration/browser.rs makes the pages and checks every figure.
//
//   node handout.mjs JOB.json   (JOB: {"chromium": PATH, "pages": [PAGE]},
//   PAGE: {"html": PATH, "screenshot": PATH|null, "predict": {"SCENARIO": {"RESULT": PERCENT}}})
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
const { chromium } = createRequire(import.meta.url)("playwright-core");

const job = JSON.parse(readFileSync(process.argv[2], "utf8"));
const browser = await chromium.launch({ executablePath: job.chromium, args: ["--no-sandbox"] });
const out = [];
for (const spec of job.pages) out.push(await visit(spec));
await browser.close();
console.log(JSON.stringify(out));

async function visit(spec) {
  const url = "file://" + spec.html;
  const seen = { html: spec.html, console: [], errors: [], requests: [] };
  const context = await browser.newContext({ viewport: { width: 1000, height: 1000 } });
  const page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") seen.console.push(m.type() + ": " + m.text()); });
  page.on("pageerror", (e) => seen.errors.push(e.message));
  page.on("request", (r) => { if (r.url() !== url) seen.requests.push(r.url()); });
  await page.goto(url, { waitUntil: "load" });
  seen.title = await page.title();
  seen.pwned = await page.evaluate(() => typeof window.pwned !== "undefined");
  seen.sections = await page.$$eval("section.scenario", (ss) => ss.map((s) => ({
    scenario: s.dataset.scenario,
    seed: Number(s.dataset.seed),
    branches: Number(s.dataset.branches),
    heading: s.querySelector("h2").textContent,
    question: s.querySelector(".question")?.textContent ?? null,
    prompts: Array.from(s.querySelectorAll(".discuss li"), (li) => li.textContent),
    stories: s.querySelectorAll("article.story").length,
    hidden_before: s.querySelector(".results").getClientRects().length === 0,
    rows: Array.from(s.querySelectorAll("tr.result, tr.flag"), (tr) => ({
      kind: tr.className, id: tr.dataset.id, p: Number(tr.dataset.p),
      lo: Number(tr.dataset.lo), hi: Number(tr.dataset.hi),
      p_base: tr.dataset.pBase === undefined ? null : Number(tr.dataset.pBase),
      diff: tr.dataset.diff === undefined ? null : Number(tr.dataset.diff),
      cells: Array.from(tr.querySelectorAll("td"), (td) => td.textContent),
    })),
  })));
  if (spec.screenshot) {
    const png = await page.screenshot({ path: spec.screenshot });
    seen.screenshot = await pixels(png);
  }
  for (const section of seen.sections) {
    const f = spec.predict?.[section.scenario];
    if (!f) continue;
    const s = page.locator(`section.scenario[data-scenario="${section.scenario}"]`);
    section.enabled_before = await s.locator("button.reveal").isEnabled();
    for (const [id, v] of Object.entries(f)) await s.locator(`input.predict-p[data-id="${id}"]`).fill(String(v));
    await s.locator("button.reveal").click();
    const score = s.locator(".score");
    section.brier = Number(await score.getAttribute("data-brier"));
    section.surprise = await score.getAttribute("data-surprise");
    section.score_text = await score.textContent();
    section.shown_after = await s.locator(".results").isVisible();
  }
  await context.close();
  // Without JavaScript the results are simply shown.
  const bare = await browser.newContext({ javaScriptEnabled: false });
  const plain = await bare.newPage();
  plain.on("request", (r) => { if (r.url() !== url) seen.requests.push(r.url()); });
  await plain.goto(url, { waitUntil: "load" });
  seen.shown_without_js = await plain.$$eval("section.scenario .results", (rs) => rs.map((r) => r.getClientRects().length > 0));
  await bare.close();
  return seen;
}

// How much of a screenshot is not background, and how many colours it has.
async function pixels(png) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const stats = await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = "data:image/png;base64," + b64;
    await img.decode();
    const c = document.createElement("canvas");
    c.width = img.width; c.height = img.height;
    const g = c.getContext("2d");
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const colours = new Set();
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) {
      const rgb = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
      colours.add(rgb);
      if (rgb !== 0xffffff) ink++;
    }
    return { width: c.width, height: c.height, colours: colours.size, ink: ink / (d.length / 4) };
  }, png.toString("base64"));
  await context.close();
  return stats;
}
