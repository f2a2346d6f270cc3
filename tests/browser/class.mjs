// Drives Debian's chromium (headless, through playwright-core) through a
// live `sim class` session: two students join, predict and submit; the
// teacher reveals; both students' pages show the results and their score.
// Prints what it saw as JSON for tests/integration/class.rs.
//
//   node class.mjs JOB.json   (JOB: {"chromium", "base", "teacher", "code", "screenshot", "students": [{"name", "percent": [...]}]})
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
const { chromium } = createRequire(import.meta.url)("playwright-core");

const job = JSON.parse(readFileSync(process.argv[2], "utf8"));
const browser = await chromium.launch({ executablePath: job.chromium, args: ["--no-sandbox"] });
const seen = { console: [], errors: [], students: [] };
function watch(page) {
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") seen.console.push(m.type() + ": " + m.text()); });
  page.on("pageerror", (e) => seen.errors.push(e.message));
}
const pages = [];
for (const s of job.students) {
  const page = await (await browser.newContext()).newPage();
  watch(page);
  await page.goto(job.base + "/");
  await page.fill("input[name=code]", job.code);
  await page.fill("input[name=student]", s.name);
  await page.click("form.join button");
  await page.waitForURL(/\/s\//);
  const inputs = page.locator("input.predict-p");
  for (let i = 0; i < s.percent.length; i++) await inputs.nth(i).fill(String(s.percent[i]));
  await page.fill("form.predict textarea", "because " + s.name + " thinks so");
  await page.click("button.submit");
  await page.waitForFunction(() => document.querySelector(".state").textContent.startsWith("Submitted"));
  pages.push(page);
}
const teacher = await (await browser.newContext({ viewport: { width: 1000, height: 900 } })).newPage();
watch(teacher);
await teacher.goto(job.teacher);
await teacher.waitForFunction((n) => (document.querySelector(".counts").textContent || "").includes(n + " submitted"), job.students.length);
seen.students_listed = await teacher.$$eval("ul.students li.done", (ls) => ls.map((l) => l.textContent));
await teacher.click("button.reveal");
await teacher.waitForSelector("table.spread:not([hidden])");
seen.spread_rows = await teacher.$$eval("table.spread tbody tr", (rs) => rs.length);
await teacher.screenshot({ path: job.screenshot });
for (const page of pages) {
  await page.waitForSelector(".results:not([hidden])", { timeout: 15000 });
  seen.students.push({
    brier: Number(await page.getAttribute(".score", "data-brier")),
    rows: await page.$$eval("tr.result", (rs) => rs.map((r) => ({ id: r.dataset.id, p: Number(r.dataset.p) }))),
    stories: await page.$$eval("article.story", (a) => a.length),
    charts: await page.$$eval("figure.chart svg", (c) => c.length),
    explore_shown: await page.isVisible(".explore"),
  });
}
await browser.close();
console.log(JSON.stringify(seen));
