//! The map's address plan and what needs attention (pure). The page opens with a short
//! numbered list (the fullest subnets, then the connected overlaps), each number a marker on
//! the drawing where the thing is; then each supernet to scale, its VPC blocks coloured by
//! account, its free blocks outlined, overlapping blocks marked, with the same as a table.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::{esc, free_row, plural, rows_by_address, shape};
use crate::usage::Ipv4Cidr;
use crate::usage::layout::{self, Rect};
use crate::usage::overlaps::{Space, VpcBlock};
use crate::usage::pool::Report;
use crate::usage::supernet::Supernet;

/// The fullest subnets the list names (only those with addresses in use).
const FULLEST_LISTED: usize = 5;
/// Connected overlaps the list names; the plan's table has them all.
const OVERLAPS_LISTED: usize = 10;
/// A supernet's drawing fits this many pixels on its longer side.
const SUPERNET_SIDE: f64 = 640.0;
/// Colours of the accounts' VPC blocks, in account order (repeating past eight).
const ACCOUNT_FILLS: [&str; 8] = [
    "#64b5f6", "#81c784", "#ba68c8", "#ffb74d", "#4db6ac", "#f06292", "#a1887f", "#90a4ae",
];

/// Numbered markers: which subnet, and which VPC block, carries which numbers.
#[derive(Default)]
pub(super) struct Marks {
    pub(super) subnets: BTreeMap<String, usize>,
    /// (VPC id, block) → the numbers of the connected overlaps it is in.
    pub(super) blocks: BTreeMap<(String, Ipv4Cidr), Vec<usize>>,
}

/// The numbered list of what needs attention, and the markers it keys.
pub(super) fn attention(out: &mut String, report: &Report) -> Marks {
    let mut marks = Marks::default();
    let mut items = Vec::new();
    for s in report
        .subnets
        .iter()
        .filter(|s| s.used > 0)
        .take(FULLEST_LISTED)
    {
        let n = items.len() + 1;
        marks.subnets.insert(s.subnet_id.clone(), n);
        items.push(format!(
            "{:.1} % used: {} {} ({} free) in {} {} {}",
            s.utilization, s.subnet_id, s.cidr, s.free, s.vpc_id, s.account, s.region
        ));
    }
    let connected = report
        .plan
        .iter()
        .flat_map(|p| p.overlaps.iter().filter(|o| o.connected));
    for o in connected.take(OVERLAPS_LISTED) {
        let n = items.len() + 1;
        for side in [&o.a, &o.b] {
            if let Space::Vpc(b) = side {
                marks
                    .blocks
                    .entry((b.vpc_id.clone(), b.cidr))
                    .or_default()
                    .push(n);
            }
        }
        items.push(format!(
            "connected overlap{}: {} × {}",
            o.via
                .as_ref()
                .map_or_else(String::new, |v| format!(" through {v}")),
            o.a.label(),
            o.b.label()
        ));
    }
    if items.is_empty() {
        return marks;
    }
    out.push_str("<h2>Needs attention</h2><ol class=\"attention\">");
    for item in items {
        let _ = write!(out, "<li>{}</li>", esc(&item));
    }
    out.push_str("</ol>");
    marks
}

/// Numbered markers at a rectangle's top right corner (its label is at the left).
pub(super) fn marker(out: &mut String, r: Rect, numbers: &[usize]) {
    for (i, n) in numbers.iter().enumerate() {
        let (cx, cy) = ((r.x + r.w - 9.0 - 20.0 * i as f64).max(r.x), r.y + 9.0);
        let _ = write!(
            out,
            "<g class=\"mark\"><title>item {n} of the list above</title><circle cx=\"{cx:.2}\" \
             cy=\"{cy:.2}\" r=\"9\" fill=\"#000\" stroke=\"#fff\"/><text x=\"{cx:.2}\" \
             y=\"{:.2}\" fill=\"#fff\" text-anchor=\"middle\">{n}</text></g>",
            cy + 4.0
        );
    }
}

/// Each supernet to scale, above the VPC drawings.
pub(super) fn supernets(out: &mut String, report: &Report, marks: &Marks) {
    let Some(plan) = &report.plan else {
        return;
    };
    let _ = write!(
        out,
        "<h2>Address plan</h2><p>{} of {} supernet addresses in VPCs ({:.1} %), {} free; {} \
         outside every supernet; {} in connected overlaps.</p>",
        plan.allocated,
        plan.size,
        plan.allocation,
        plan.free,
        plural(plan.unplanned_vpcs as usize, "VPC"),
        plural(plan.overlapping_vpcs as usize, "VPC")
    );
    let mut accounts: Vec<&str> = plan
        .supernets
        .iter()
        .flat_map(|s| s.vpc_blocks.iter().map(|b| b.account.as_str()))
        .collect();
    accounts.sort_unstable();
    accounts.dedup();
    let order: BTreeMap<&str, usize> = accounts.iter().enumerate().map(|(i, a)| (*a, i)).collect();
    let colour = |account: &str| {
        let i = order.get(account).copied().unwrap_or(0);
        ACCOUNT_FILLS[i % ACCOUNT_FILLS.len()]
    };
    out.push_str("<p class=\"legend\">VPC blocks by account: ");
    for a in &accounts {
        let _ = write!(
            out,
            "<span><i class=\"sw\" style=\"background:{}\"></i>{}</span>",
            colour(a),
            esc(a)
        );
    }
    out.push_str(
        "<span><i class=\"sw\" style=\"background:var(--free);border-style:dashed\"></i>free \
         (no VPC, route or avoided range)</span><span><i class=\"sw\" \
         style=\"background:var(--free);border:3px solid #d50000\"></i>overlapping another \
         block</span></p>",
    );
    let overlapping: BTreeSet<(String, Ipv4Cidr)> = plan
        .overlaps
        .iter()
        .flat_map(|o| [&o.a, &o.b])
        .filter_map(|s| match s {
            Space::Vpc(b) => Some((b.vpc_id.clone(), b.cidr)),
            _ => None,
        })
        .collect();
    for s in &plan.supernets {
        supernet(out, s, &colour, &overlapping, marks);
    }
}

fn supernet(
    out: &mut String,
    s: &Supernet,
    colour: &dyn Fn(&str) -> &'static str,
    overlapping: &BTreeSet<(String, Ipv4Cidr)>,
    marks: &Marks,
) {
    let heading = format!(
        "Supernet {}: {:.1} % in VPCs, {} free",
        s.cidr, s.allocation, s.free
    );
    let _ = write!(out, "<section><h2>{}</h2>", esc(&heading));
    let placed = layout::blocks(&[s.cidr]);
    let (w, h) = layout::bounds(&placed);
    let k = (SUPERNET_SIDE / w.max(h)).min(1.0);
    let scaled = |r: Rect| Rect {
        x: r.x * k,
        y: r.y * k,
        w: r.w * k,
        h: r.h * k,
    };
    let _ = write!(
        out,
        "<svg viewBox=\"-1 -1 {:.0} {:.0}\" width=\"{:.0}\" height=\"{:.0}\" role=\"img\" \
         aria-label=\"{}\"><title>{}</title>",
        w * k + 2.0,
        h * k + 2.0,
        w * k + 2.0,
        h * k + 2.0,
        esc(&heading),
        esc(&heading)
    );
    let outer = placed.first().map(|(_, r)| scaled(*r));
    if let Some(r) = outer {
        shape(
            out,
            r,
            "var(--vpc)",
            "var(--edge)",
            false,
            &format!("{} (supernet)", s.cidr),
            &[],
        );
    }
    // Blocks of one CIDR share a rectangle: one shape names them all (the table lists each).
    let mut groups: BTreeMap<Ipv4Cidr, Vec<&VpcBlock>> = BTreeMap::new();
    for b in &s.vpc_blocks {
        // A block reaching past the supernet is drawn as the part inside it.
        let inside = if s.cidr.contains(&b.cidr) {
            b.cidr
        } else {
            s.cidr
        };
        groups.entry(inside).or_default().push(b);
    }
    let mut keyed = Vec::new();
    for (inside, blocks) in &groups {
        let Some(rect) = layout::locate(&placed, *inside).map(scaled) else {
            continue;
        };
        let overlaps = blocks.len() > 1
            || blocks
                .iter()
                .any(|b| overlapping.contains(&(b.vpc_id.clone(), b.cidr)));
        let names: Vec<String> = blocks
            .iter()
            .map(|b| format!("{} {} ({} {})", b.cidr, b.vpc_id, b.account, b.region))
            .collect();
        let title = format!(
            "{}{}",
            names.join("; "),
            if overlaps {
                ": overlaps another block"
            } else {
                ""
            }
        );
        let stroke = if overlaps { "#d50000" } else { "var(--edge)" };
        let vpcs: Vec<&str> = blocks.iter().map(|b| b.vpc_id.as_str()).collect();
        let accounts: Vec<&str> = blocks.iter().map(|b| b.account.as_str()).collect();
        shape(
            out,
            rect,
            colour(&blocks[0].account),
            stroke,
            false,
            &title,
            &[inside.to_string(), vpcs.join(" + "), accounts.join(" + ")],
        );
        let mut numbers: Vec<usize> = blocks
            .iter()
            .filter_map(|b| marks.blocks.get(&(b.vpc_id.clone(), b.cidr)))
            .flatten()
            .copied()
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        if !numbers.is_empty() {
            keyed.push((rect, numbers));
        }
    }
    for c in &s.free_blocks {
        if let Some(rect) = layout::locate(&placed, *c).map(scaled) {
            shape(
                out,
                rect,
                "var(--free)",
                "var(--free-edge)",
                true,
                &format!("{c}: free, {} addresses", c.size()),
                &[c.to_string(), "free".to_string()],
            );
        }
    }
    // Markers last, above every block.
    for (rect, numbers) in keyed {
        marker(out, rect, &numbers);
    }
    out.push_str("</svg>");
    table(out, s, overlapping);
    out.push_str("</section>");
}

/// The supernet's drawing as a table: its VPC blocks and free blocks, by address.
fn table(out: &mut String, s: &Supernet, overlapping: &BTreeSet<(String, Ipv4Cidr)>) {
    out.push_str(
        "<details><summary>As a table</summary><table><thead><tr><th>CIDR</th><th>what</th>\
         <th>account</th><th>region</th><th>addresses</th></tr></thead><tbody>",
    );
    let mut rows: Vec<(Ipv4Cidr, String)> = Vec::new();
    for b in &s.vpc_blocks {
        let overlaps = overlapping.contains(&(b.vpc_id.clone(), b.cidr));
        rows.push((
            b.cidr,
            format!(
                "<td>{}{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td>",
                esc(&b.vpc_id),
                if overlaps { " (overlaps)" } else { "" },
                esc(&b.account),
                esc(&b.region),
                b.cidr.size()
            ),
        ));
    }
    rows.extend(s.free_blocks.iter().map(|c| free_row(*c, "free")));
    rows_by_address(out, rows);
}
