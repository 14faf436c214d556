// What a person sees, checked inside the page: each returns the lines of what failed.

/// WCAG 2's contrast ratio of two colours given as [r, g, b] in 0–255.
export function contrast(a, b) {
  const lum = ([r, g, bl]) => {
    const c = [r, g, bl].map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/// The legend band a utilization falls in: the last whose floor it reaches.
export function band(bands, utilization) {
  let at = 0;
  bands.forEach(([floor], i) => {
    if (utilization >= floor) at = i;
  });
  return at;
}

/// Every check of one page at one width and colour scheme.
export async function checks(page, report, width, scheme, entry) {
  const found = await page.evaluate(inPage, report, width, scheme, entry, contrast.toString(), band.toString());
  const axe = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `axe ${v.impact}: ${v.id} (${v.nodes.length} nodes): ${v.help}`);
  });
  return [...found, ...axe];
}

// Runs in the page: no closure over this module, so helpers arrive as source text.
function inPage(report, width, scheme, entry, contrastSrc, bandSrc) {
  const contrast = new Function(`return ${contrastSrc}`)();
  const band = new Function(`return ${bandSrc}`)();
  const out = [];
  const rgb = (css) => {
    const m = css.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/);
    return m ? { c: [+m[1], +m[2], +m[3]], a: m[4] === undefined ? 1 : +m[4] } : null;
  };
  const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
  const same = (a, b) => a.every((v, i) => Math.abs(v - b[i]) <= 1);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const b = rgb(getComputedStyle(e).backgroundColor);
      if (b && b.a > 0.5) return b.c;
    }
    return [255, 255, 255];
  };

  // The theme: the widget follows widgetContext.theme, the map page the colour scheme.
  const bodyBg = background(document.body);
  const dark = entry.theme === "dark" || (entry.theme === "auto" && scheme === "dark");
  const bodyLum = (bodyBg[0] + bodyBg[1] + bodyBg[2]) / 3;
  if (dark !== bodyLum < 128) out.push(`theme: ${dark ? "dark" : "light"} wanted, body background rgb(${bodyBg})`);

  // What is drawn is bounded, whatever the pool's size.
  const elements = document.getElementsByTagName("*").length;
  if (elements > entry.max_elements) out.push(`${elements} elements, over the bound of ${entry.max_elements}`);

  // No sideways scrolling at this width.
  const scroll = document.documentElement.scrollWidth;
  if (scroll > window.innerWidth) out.push(`overflow: ${scroll} px wide in a ${window.innerWidth}-px view`);

  // Every subnet drawn has a title with its figures, equal to the report's.
  const bySubnet = new Map(report.subnets.map((s) => [s.subnet_id, s]));
  const drawn = new Map();
  const titleRe = /^(subnet-\S+) (\S+) in (\S+): (\d+) used, (\d+) free of (\d+) \(([\d.]+) %\)$/;
  for (const t of document.querySelectorAll("svg g > title")) {
    const m = t.textContent.match(titleRe);
    if (!m) continue;
    const [, id, cidr, , used, free, usable, util] = m;
    const s = bySubnet.get(id);
    if (!s) {
      out.push(`title of a subnet the report lacks: ${t.textContent}`);
      continue;
    }
    const want = [s.cidr, s.used, s.free, s.usable, s.utilization.toFixed(1)].join(" ");
    const got = [cidr, used, free, usable, util].join(" ");
    if (want !== got) out.push(`${id}: the title says ${got}, the report ${want}`);
    drawn.set(id, t.parentElement.querySelector("rect"));
  }
  if (report.vpcs <= report.vpcs_drawn && drawn.size !== bySubnet.size) {
    out.push(`${drawn.size} subnets drawn of the report's ${bySubnet.size}`);
  }
  if (report.vpcs > report.vpcs_drawn && !/more VPCs?, less full/.test(document.body.textContent)) {
    out.push(`${report.vpcs} VPCs, ${report.vpcs_drawn} drawn, and the page does not say how many are left out`);
  }

  // Each "needs attention" item's marker lies on its subnet, in the list's order.
  const markers = new Map();
  for (const g of document.querySelectorAll("g.mark")) {
    const n = +g.querySelector("title").textContent.match(/item (\d+)/)[1];
    markers.set(n, [...(markers.get(n) ?? []), g.querySelector("circle").getBoundingClientRect()]);
  }
  document.querySelectorAll("ol.attention li").forEach((li, i) => {
    const n = i + 1;
    const boxes = markers.get(n);
    if (!boxes) return out.push(`item ${n} (${li.textContent}) has no marker`);
    const id = li.textContent.match(/(subnet-[0-9a-z]+)/)?.[1];
    if (!id || li.textContent.startsWith("connected overlap")) return;
    const rect = drawn.get(id)?.getBoundingClientRect();
    if (!rect) return out.push(`item ${n}: ${id} is listed but not drawn`);
    const on = boxes.some((b) => {
      const [cx, cy] = [b.x + b.width / 2, b.y + b.height / 2];
      const inside = cx >= rect.left - 0.5 && cx <= rect.right + 0.5 && cy >= rect.top - 0.5 && cy <= rect.bottom + 0.5;
      const touches = b.right > rect.left && b.left < rect.right && b.bottom > rect.top && b.top < rect.bottom;
      return rect.width >= 18 && rect.height >= 18 ? inside : touches;
    });
    if (!on) out.push(`item ${n}'s marker is off ${id}'s box`);
  });

  // The legend's colours are the subnets' colours, band by band.
  const swatches = [...document.querySelectorAll(".legend .sw")].slice(0, report.bands.length);
  report.bands.forEach(([floor, colour], i) => {
    const got = swatches[i] && rgb(getComputedStyle(swatches[i]).backgroundColor);
    if (!got || !same(got.c, hex(colour))) out.push(`legend band ${floor} %: ${got ? `rgb(${got.c})` : "missing"}, wanted ${colour}`);
  });
  for (const [id, rect] of drawn) {
    const s = bySubnet.get(id);
    const wanted = hex(report.bands[band(report.bands, s.utilization)][1]);
    const got = rgb(getComputedStyle(rect).fill);
    if (!got || !same(got.c, wanted)) out.push(`${id} at ${s.utilization} % is drawn rgb(${got?.c}), its band's colour is rgb(${wanted})`);
  }

  // Text contrast, WCAG AA: 4.5:1 (3:1 for large text), HTML text against what is behind it,
  // SVG labels against the shape they sit on.
  const low = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest("title, style, script")) continue;
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || el.closest("details:not([open]) > :not(summary)")) continue;
    const style = getComputedStyle(el);
    let fg, bg;
    if (el.namespaceURI === "http://www.w3.org/2000/svg") {
      const g = el.closest("g");
      const under = g?.querySelector("rect, circle");
      fg = rgb(style.fill)?.c;
      bg = under ? rgb(getComputedStyle(under).fill)?.c : background(el.closest("svg"));
    } else {
      fg = rgb(style.color)?.c;
      bg = background(el);
    }
    if (!fg || !bg) continue;
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && +style.fontWeight >= 700);
    const ratio = contrast(fg, bg);
    if (ratio < (large ? 3 : 4.5)) low.push(`"${node.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}:1 (rgb(${fg}) on rgb(${bg}))`);
  }
  if (low.length) out.push(`${low.length} texts under AA contrast, e.g. ${low.slice(0, 3).join("; ")}`);
  return out;
}
