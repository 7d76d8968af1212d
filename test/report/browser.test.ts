import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers/cli.ts';

/** Debian's chromium: the browser a tool would download is not reachable here, and CI installs this one. */
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(ROOT, 'test-artifacts/report.png');

describe('the demo report in a headless browser', () => {
  let browser: Browser;
  let page: Page;
  let html: string;
  const consoleErrors: string[] = [];
  const offline: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: the report's browser test needs Debian's chromium; run \`apt-get install -y chromium\` (.ci/run does it when missing)`,
      );
    }
    const out = join(mkdtempSync(join(tmpdir(), 'pb-browser-')), 'out');
    const r = cli(['report', '--demo', '--out', out]);
    if (r.code !== 0) throw new Error(`perf-budgets report --demo failed: ${r.stderr}`);
    html = readFileSync(join(out, 'report.html'), 'utf8');

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('request', (req) => {
      if (!req.url().startsWith('file:')) offline.push(req.url());
    });
    await page.goto(pathToFileURL(join(out, 'report.html')).href, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('opens with no console errors and fetches nothing beyond the file', () => {
    expect(consoleErrors).toEqual([]);
    expect(offline).toEqual([]);
  });

  it('draws every chart: each figure holds a visible SVG with data marks', async () => {
    const expected = (html.match(/<figure class="chart">/g) ?? []).length;
    // six burn-ups and a cost-per-1k and a p99 chart for each of the demo's seven endpoints
    expect(expected).toBe(6 + 2 * 7);
    const figures = await page.locator('figure.chart').evaluateAll((els) =>
      els.map((fig) => {
        const svg = fig.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        const marks = svg
          ? [...svg.querySelectorAll('g.role-mark path, g.role-mark rect, g.role-mark line')].filter(
              (m) => m.tagName !== 'path' || (m.getAttribute('d') ?? '') !== '',
            )
          : [];
        return {
          title: fig.querySelector('figcaption')?.textContent ?? '',
          svg: svg !== null,
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          lines: svg ? svg.querySelectorAll('g.mark-line path[d^="M"]').length : 0,
          marks: marks.length,
        };
      }),
    );
    expect(figures).toHaveLength(expected);
    for (const f of figures) {
      expect(f.svg, f.title).toBe(true);
      expect(f.width, f.title).toBeGreaterThan(100);
      expect(f.height, f.title).toBeGreaterThan(50);
      expect(f.lines, f.title).toBeGreaterThan(0);
      expect(f.marks, f.title).toBeGreaterThan(1);
    }
  });

  it('shows each budget with its status in words', async () => {
    const headings = await page.locator('section.budget h3').allTextContents();
    expect(headings).toHaveLength(6);
    for (const h of headings) expect(h).toMatch(/ (BREACHED|AT RISK|OK)$/);
  });

  it('saves a screenshot of the whole page as a test artifact', async () => {
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(50_000);
  });
});
