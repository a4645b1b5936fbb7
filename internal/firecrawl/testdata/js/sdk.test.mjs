// Runs the official Firecrawl JS SDK, unchanged, against a SpiderGo test
// server. The Go test TestFirecrawlJSSDK (internal/server) starts the
// server and the site and passes them in:
//   SPIDERGO_FIRECRAWL_URL  the SDKs' apiUrl: <server>/firecrawl
//   SPIDERGO_API_KEY        a key of the test user
//   SITE_URL                the local site (/, /a, /b, /c, /missing, /slow/…)
// Each check prints "ok <name>"; the first failure exits non-zero.
import assert from "node:assert/strict";
import Firecrawl, { FirecrawlAppV1 } from "@mendable/firecrawl-js";

const apiUrl = process.env.SPIDERGO_FIRECRAWL_URL;
const apiKey = process.env.SPIDERGO_API_KEY;
const site = process.env.SITE_URL;
assert.ok(apiUrl && apiKey && site, "SPIDERGO_FIRECRAWL_URL, SPIDERGO_API_KEY and SITE_URL must be set");

const v2 = new Firecrawl({ apiKey, apiUrl, maxRetries: 1 });
const v1 = new FirecrawlAppV1({ apiKey, apiUrl });
const badKey = "sk_live_" + "0".repeat(48);

async function check(name, fn) {
  try {
    await fn();
    console.log("ok", name);
  } catch (err) {
    console.error("FAIL", name);
    console.error(err);
    process.exit(1);
  }
}

async function rejects(promise, status, text) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, "the call should have failed");
  if (status !== undefined && err.status !== undefined) assert.equal(err.status, status, String(err));
  if (text) assert.match(String(err.message), text);
  return err;
}

// ---- v2 ----

await check("v2 scrape", async () => {
  const doc = await v2.scrape(site + "/", { formats: ["markdown", "html", "links"] });
  assert.match(doc.markdown, /Home/);
  assert.match(doc.html, /Home/);
  assert.ok(doc.links.includes(site + "/a"), JSON.stringify(doc.links));
  assert.equal(doc.metadata.title, "Home");
  assert.equal(doc.metadata.statusCode, 200);
  assert.equal(doc.metadata.sourceURL, site + "/");
});

await check("v2 scrape refuses actions, naming them", async () => {
  const err = await rejects(v2.scrape(site + "/", { actions: [{ type: "wait", milliseconds: 100 }] }), 400, /actions/);
  assert.equal(err.status, 400);
});

await check("v2 scrape refuses a bad key", async () => {
  const bad = new Firecrawl({ apiKey: badKey, apiUrl, maxRetries: 1 });
  const err = await rejects(bad.scrape(site + "/"), 401);
  assert.equal(err.status, 401);
});

await check("v2 crawl with polling", async () => {
  const job = await v2.crawl(site + "/", { limit: 10, pollInterval: 1, timeout: 60, scrapeOptions: { formats: ["markdown"] } });
  assert.equal(job.status, "completed");
  const urls = job.data.map((d) => d.metadata.sourceURL).sort();
  for (const u of ["/", "/a", "/b", "/c"]) assert.ok(urls.includes(site + u), JSON.stringify(urls));
  assert.ok(job.completed >= 4 && job.total >= job.completed, JSON.stringify(job));
  const a = job.data.find((d) => d.metadata.sourceURL === site + "/a");
  assert.match(a.markdown, /Page A/);
});

await check("v2 crawl errors", async () => {
  const started = await v2.startCrawl(site + "/c", { limit: 5, crawlEntireDomain: true });
  assert.ok(started.id);
  let job;
  for (let i = 0; i < 60; i++) {
    job = await v2.getCrawlStatus(started.id);
    if (job.status !== "scraping") break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(job.status, "completed");
  const errs = await v2.getCrawlErrors(started.id);
  assert.ok(errs.errors.some((e) => e.url === site + "/missing"), JSON.stringify(errs));
});

await check("v2 crawl cancel", async () => {
  const started = await v2.startCrawl(site + "/slow/", { limit: 20 });
  assert.equal(await v2.cancelCrawl(started.id), true);
  const job = await v2.getCrawlStatus(started.id);
  assert.equal(job.status, "cancelled");
});

await check("v2 crawl status of an unknown job", async () => {
  await rejects(v2.getCrawlStatus("no-such-job"), 404);
});

await check("v2 map", async () => {
  const res = await v2.map(site + "/", { limit: 50 });
  const urls = res.links.map((l) => l.url);
  assert.ok(urls.includes(site + "/a") && urls.includes(site + "/b"), JSON.stringify(urls));
});

await check("v2 batch scrape", async () => {
  const job = await v2.batchScrape([site + "/a", site + "/b"], { options: { formats: ["markdown"] }, pollInterval: 1, timeout: 60 });
  assert.equal(job.status, "completed");
  assert.equal(job.data.length, 2);
  assert.deepEqual(job.data.map((d) => d.metadata.title).sort(), ["Page A", "Page B"]);
});

await check("v2 batch refuses a screenshot on a server without a browser", async () => {
  await rejects(v2.startBatchScrape([site + "/a"], { options: { formats: ["screenshot"] } }), 400, /screenshot/);
});

// ---- v1 ----

await check("v1 scrape", async () => {
  const res = await v1.scrapeUrl(site + "/a", { formats: ["markdown", "rawHtml"] });
  assert.equal(res.success, true);
  assert.match(res.markdown, /Page A/);
  assert.match(res.rawHtml, /<html>/);
  assert.equal(res.metadata.statusCode, 200);
});

await check("v1 scrape refuses mobile", async () => {
  await rejects(v1.scrapeUrl(site + "/a", { mobile: true }), 400, /mobile/);
});

await check("v1 crawl with polling", async () => {
  const res = await v1.crawlUrl(site + "/", { limit: 10, scrapeOptions: { formats: ["markdown"] } }, 1);
  assert.equal(res.success, true, JSON.stringify(res));
  assert.equal(res.status, "completed");
  assert.ok(res.data.length >= 4, JSON.stringify(res));
});

await check("v1 crawl status paging and errors", async () => {
  const started = await v1.asyncCrawlUrl(site + "/", { limit: 10 });
  assert.equal(started.success, true);
  let st;
  for (let i = 0; i < 60; i++) {
    st = await v1.checkCrawlStatus(started.id, false, undefined, 0, 1);
    if (st.status === "completed") break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(st.status, "completed");
  assert.equal(st.data.length, 1);
  assert.ok(st.next, "a first page of one should lead on");
  const second = await v1.checkCrawlStatus(started.id, false, st.next);
  assert.equal(second.data.length, 1);
  assert.notEqual(second.data[0].metadata.sourceURL, st.data[0].metadata.sourceURL);
  const all = await v1.checkCrawlStatus(started.id, true);
  assert.ok(all.data.length >= 4, JSON.stringify(all));
  const errs = await v1.checkCrawlErrors(started.id);
  assert.ok(Array.isArray(errs.errors) && Array.isArray(errs.robotsBlocked), JSON.stringify(errs));
});

await check("v1 crawl cancel", async () => {
  const started = await v1.asyncCrawlUrl(site + "/slow/", { limit: 20 });
  const res = await v1.cancelCrawl(started.id);
  assert.equal(res.status, "cancelled");
});

await check("v1 map", async () => {
  const res = await v1.mapUrl(site + "/", {});
  assert.equal(res.success, true);
  assert.ok(res.links.includes(site + "/c"), JSON.stringify(res.links));
});

await check("v1 batch scrape", async () => {
  const res = await v1.batchScrapeUrls([site + "/a", site + "/c"], { formats: ["markdown"] }, 1);
  assert.equal(res.success, true, JSON.stringify(res));
  assert.equal(res.status, "completed");
  assert.equal(res.data.length, 2);
});

console.log("all Firecrawl SDK checks passed");
