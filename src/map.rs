//! The map of a pool's address space as one self-contained HTML page (pure): inline SVG and
//! CSS, no script, nothing fetched. Per VPC, each CIDR block to scale (`usage::layout`), each
//! subnet filled by utilization and labelled with its CIDR, AZ ID and free addresses, each
//! unallocated block outlined and labelled; per AZ ID a headroom bar; the totals and a legend.
//! It opens with what needs attention, numbered, each number a marker on the drawing; with
//! an address plan, each supernet is drawn to scale above the VPCs (`plan`).
//! Colour is never alone: every shape has a text title, labels carry the numbers, and a table
//! repeats them.

mod plan;
mod style;

use style::ink;
pub use style::{LEGEND, Theme, fill};

use std::fmt::Write as _;

use crate::usage::Ipv4Cidr;
use crate::usage::layout::{self, Rect};
use crate::usage::pool::{Report, SubnetUsage, VpcRoom};

/// VPCs drawn, fullest first; the rest are a table row each. A page past a few dozen VPC
/// drawings helps no one, and a dashboard's custom widget must answer within Lambda's 6 MB.
pub const VPCS_DRAWN: usize = 40;
/// A label line's height and a character's width at the labels' 11 px: a line is drawn only
/// where it fits (smaller shapes keep their title, and the table has every number).
const LINE_H: f64 = 13.0;
const CHAR_W: f64 = 6.5;

/// Escapes text for HTML and SVG.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// "1 VPC", "2 VPCs".
pub(crate) fn plural(n: usize, one: &str) -> String {
    format!("{n} {one}{}", if n == 1 { "" } else { "s" })
}

/// Everything the page says about one VPC.
struct Vpc<'a> {
    room: &'a VpcRoom,
    subnets: Vec<&'a SubnetUsage>,
}

impl Vpc<'_> {
    fn fullest(&self) -> f64 {
        self.subnets
            .iter()
            .map(|s| s.utilization)
            .fold(0.0, f64::max)
    }
}

/// The page for `report` in `theme`. `title` heads it.
pub fn html(report: &Report, title: &str, theme: Theme) -> String {
    let mut vpcs: Vec<Vpc> = report
        .vpcs
        .iter()
        .map(|room| Vpc {
            room,
            subnets: report
                .subnets
                .iter()
                .filter(|s| {
                    (&s.account, &s.region, &s.vpc_id)
                        == (&room.account, &room.region, &room.vpc_id)
                })
                .collect(),
        })
        .collect();
    vpcs.sort_by(|a, b| {
        b.fullest()
            .total_cmp(&a.fullest())
            .then_with(|| a.room.vpc_id.cmp(&b.room.vpc_id))
    });
    let t = &report.totals;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{}</title><style>{}</style></head><body>\
         <div class=\"cwdb-no-default-styles\"></div><h1>{}</h1>",
        esc(title),
        theme.style(),
        esc(title)
    );
    let _ = write!(
        out,
        "<p class=\"totals\">{} in {}: {} of {} usable addresses used ({:.1} %), \
         {} free; fullest subnet {:.1} %; {} held by detached ENIs.</p>",
        plural(t.subnet_count as usize, "subnet"),
        plural(report.vpcs.len(), "VPC"),
        t.used,
        t.usable,
        t.utilization,
        t.free,
        t.max_subnet_utilization,
        t.detached_addresses
    );
    if !report.errors.is_empty() {
        let _ = write!(
            out,
            "<p role=\"alert\">{} account-regions could not be scanned; their subnets are \
             missing: {}</p>",
            report.errors.len(),
            esc(&report
                .errors
                .iter()
                .take(5)
                .map(|e| e.line())
                .collect::<Vec<_>>()
                .join("; "))
        );
    }
    out.push_str("<p class=\"legend\">Subnet utilization: ");
    for (u, label) in LEGEND {
        let _ = write!(
            out,
            "<span><i class=\"sw\" style=\"background:{}\"></i>{label}</span>",
            fill(u)
        );
    }
    out.push_str(
        "<span><i class=\"sw\" style=\"background:var(--free);border-style:dashed\"></i>\
         unallocated (room for new subnets)</span><span><i class=\"sw\" \
         style=\"background:var(--other)\"></i>a subnet outside this pool</span></p>",
    );
    let marks = plan::attention(&mut out, report);
    azs(&mut out, report);
    clusters(&mut out, report);
    plan::supernets(&mut out, report, &marks);
    // Fullest first: the first VPCS_DRAWN are drawn, those with nothing used folded; the
    // rest are one table row each, so the page stays small at any scale.
    let drawn = vpcs.len().min(VPCS_DRAWN);
    let (used, empty): (Vec<&Vpc>, Vec<&Vpc>) = vpcs[..drawn]
        .iter()
        .partition(|v| v.subnets.iter().any(|s| s.used > 0));
    for v in used {
        vpc(&mut out, v, &marks);
    }
    if !empty.is_empty() {
        let _ = write!(
            out,
            "<details><summary>{} with no address used</summary>",
            plural(empty.len(), "VPC")
        );
        for v in empty {
            vpc(&mut out, v, &marks);
        }
        out.push_str("</details>");
    }
    if vpcs.len() > drawn {
        let _ = write!(
            out,
            "<h2>{} more {}, less full</h2><table><thead><tr><th>VPC</th><th>account</th>\
             <th>region</th><th>CIDRs</th><th>pool subnets</th><th>fullest</th>\
             <th>largest unallocated</th></tr></thead><tbody>",
            vpcs.len() - drawn,
            if vpcs.len() - drawn == 1 {
                "VPC"
            } else {
                "VPCs"
            }
        );
        for v in &vpcs[drawn..] {
            let r = v.room;
            let cidrs: Vec<String> = r.cidrs.iter().map(ToString::to_string).collect();
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{:.1} %</td><td>{}</td></tr>",
                esc(&r.vpc_id),
                esc(&r.account),
                esc(&r.region),
                cidrs.join(", "),
                v.subnets.len(),
                v.fullest(),
                r.unallocated
                    .first()
                    .map_or_else(|| "none".to_string(), ToString::to_string)
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</body></html>\n");
    // Each table in a box of its own that scrolls (and takes the keyboard's focus to).
    out.replace("<table>", "<div class=\"wide\" tabindex=\"0\"><table>")
        .replace("</table>", "</table></div>")
}

/// The EKS clusters holding the pool's addresses, as a table: who holds what, and how much
/// of it sits idle.
fn clusters(out: &mut String, report: &Report) {
    if report.clusters.is_empty() {
        return;
    }
    out.push_str(
        "<h2>EKS clusters</h2><table><thead><tr><th>cluster</th><th>account</th>\
         <th>region</th><th>nodes</th><th>held</th><th>max pods</th><th>certainly idle</th>\
         <th>assigned</th><th>idle now</th><th>subnets (held)</th></tr></thead><tbody>",
    );
    let figure = |n: Option<u64>| n.map_or_else(|| "not known".to_string(), |n| n.to_string());
    for c in &report.clusters {
        let shares: Vec<String> = c
            .subnets
            .iter()
            .map(|s| format!("{} {}", esc(&s.subnet_id), s.held))
            .collect();
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.name),
            esc(&c.account),
            esc(&c.region),
            c.nodes,
            c.held,
            c.max_pods,
            c.certainly_idle,
            figure(c.assigned),
            figure(c.idle_now),
            shares.join(", ")
        );
    }
    out.push_str(
        "</tbody></table><p>Assigned and idle now come from cni-metrics-helper (namespace \
         Kubernetes); not known where it publishes nothing for the cluster.</p>",
    );
}

/// Per AZ ID: a bar of its used share, with the numbers.
fn azs(out: &mut String, report: &Report) {
    if report.azs.is_empty() {
        return;
    }
    out.push_str("<h2>Headroom per Availability Zone (by AZ ID)</h2>");
    let mut azs: Vec<_> = report.azs.iter().collect();
    azs.sort_by_key(|a| a.free);
    for a in azs {
        let _ = write!(
            out,
            "<div class=\"az\"><span class=\"id\">{}</span><span class=\"bar\" role=\"img\" \
             aria-label=\"{:.1} % used\"><div style=\"width:{:.1}%;background:{}\"></div></span>\
             <span>{} free of {} ({:.1} % used, {})</span></div>",
            esc(&a.availability_zone_id),
            a.utilization,
            a.utilization.clamp(0.0, 100.0),
            fill(a.utilization),
            a.free,
            a.usable,
            a.utilization,
            plural(a.subnet_count as usize, "subnet")
        );
    }
}

/// One VPC: its heading, its drawing (with the markers of what needs attention in it), and
/// the same as a table.
fn vpc(out: &mut String, v: &Vpc, marks: &plan::Marks) {
    let r = v.room;
    let cidrs: Vec<String> = r.cidrs.iter().map(ToString::to_string).collect();
    let heading = format!(
        "{} ({} {}): {}",
        r.vpc_id,
        r.account,
        r.region,
        cidrs.join(", ")
    );
    let _ = write!(out, "<section><h2>{}</h2>", esc(&heading));
    let placed = layout::blocks(&r.cidrs);
    let (w, h) = layout::bounds(&placed);
    let _ = write!(
        out,
        "<svg viewBox=\"-1 -1 {:.0} {:.0}\" width=\"{:.0}\" height=\"{:.0}\" role=\"img\" \
         aria-label=\"{}\"><title>{}</title>",
        w + 2.0,
        h + 2.0,
        w + 2.0,
        h + 2.0,
        esc(&format!("Address space of {heading}")),
        esc(&format!("Address space of {heading}"))
    );
    for (c, rect) in &placed {
        shape(
            out,
            *rect,
            "var(--vpc)",
            "var(--edge)",
            false,
            &format!("{c} (VPC CIDR)"),
            &[],
        );
    }
    for c in &r.other_subnets {
        if let Some(rect) = layout::locate(&placed, *c) {
            shape(
                out,
                rect,
                "var(--other)",
                "var(--other-edge)",
                false,
                &format!("{c}: a subnet outside this pool"),
                &[c.to_string()],
            );
        }
    }
    let mut keyed = Vec::new();
    for s in &v.subnets {
        let Some(rect) = layout::locate(&placed, s.cidr) else {
            continue;
        };
        if let Some(n) = marks.subnets.get(&s.subnet_id) {
            keyed.push((rect, vec![*n]));
        }
        let title = format!(
            "{} {} in {}: {} used, {} free of {} ({:.1} %)",
            s.subnet_id, s.cidr, s.availability_zone_id, s.used, s.free, s.usable, s.utilization
        );
        let label = [
            s.cidr.to_string(),
            s.availability_zone_id.clone(),
            format!("{:.0} % used", s.utilization),
            format!("{} free", s.free),
        ];
        shape(
            out,
            rect,
            fill(s.utilization),
            "var(--edge)",
            false,
            &title,
            &label,
        );
    }
    for c in &r.unallocated {
        if let Some(rect) = layout::locate(&placed, *c) {
            let title = format!("{c}: unallocated, {} addresses", c.size());
            shape(
                out,
                rect,
                "var(--free)",
                "var(--free-edge)",
                true,
                &title,
                &[c.to_string(), "unallocated".to_string()],
            );
        }
    }
    for (c, rect) in &placed {
        if let Some(numbers) = marks.blocks.get(&(r.vpc_id.clone(), *c)) {
            keyed.push((*rect, numbers.clone()));
        }
    }
    // Markers last, above every shape.
    for (rect, numbers) in keyed {
        plan::marker(out, rect, &numbers);
    }
    out.push_str("</svg>");
    table(out, v);
    out.push_str("</section>");
}

/// A rectangle with its title (for every shape) and, when it fits, its label.
pub(crate) fn shape(
    out: &mut String,
    r: Rect,
    fill: &str,
    stroke: &str,
    dashed: bool,
    title: &str,
    label: &[String],
) {
    let _ = write!(
        out,
        "<g><title>{}</title><rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\" \
         style=\"fill:{fill};stroke:{stroke}\" stroke-width=\"1\"{}/>",
        esc(title),
        r.x,
        r.y,
        r.w,
        r.h,
        if dashed {
            " stroke-dasharray=\"4 3\""
        } else {
            ""
        }
    );
    // As many lines as fit, each only when it fits the width; the title has them all.
    for (i, line) in label.iter().enumerate() {
        let bottom = LINE_H * (i as f64 + 1.0) + 4.0;
        if bottom > r.h {
            break;
        }
        if line.chars().count() as f64 * CHAR_W + 8.0 > r.w {
            continue;
        }
        let _ = write!(
            out,
            "<text x=\"{:.2}\" y=\"{:.2}\" style=\"fill:{}\">{}</text>",
            r.x + 4.0,
            r.y + bottom - 3.0,
            ink(fill),
            esc(line)
        );
    }
    out.push_str("</g>");
}

/// The drawing's content as a table: every subnet and every free block, by address.
fn table(out: &mut String, v: &Vpc) {
    out.push_str(
        "<details><summary>As a table</summary><table><thead><tr><th>CIDR</th><th>what</th>\
         <th>AZ ID</th><th>used</th><th>free</th></tr></thead><tbody>",
    );
    let mut rows: Vec<(Ipv4Cidr, String)> = Vec::new();
    for s in &v.subnets {
        rows.push((
            s.cidr,
            format!(
                "<td>{}</td><td>{}</td><td class=\"n\">{:.1} %</td><td class=\"n\">{}</td>",
                esc(&s.subnet_id),
                esc(&s.availability_zone_id),
                s.utilization,
                s.free
            ),
        ));
    }
    rows.extend(
        v.room
            .unallocated
            .iter()
            .map(|c| free_row(*c, "unallocated")),
    );
    rows_by_address(out, rows);
}

/// A free block's row: what it is, and its addresses.
pub(crate) fn free_row(c: Ipv4Cidr, what: &str) -> (Ipv4Cidr, String) {
    let cells = format!(
        "<td>{what}</td><td></td><td></td><td class=\"n\">{}</td>",
        c.size()
    );
    (c, cells)
}

/// A drawing's table rows, by address, and the table closed.
pub(crate) fn rows_by_address(out: &mut String, mut rows: Vec<(Ipv4Cidr, String)>) {
    rows.sort_by_key(|(c, _)| (c.base(), c.prefix()));
    for (c, cells) in rows {
        let _ = write!(out, "<tr><td>{c}</td>{cells}</tr>");
    }
    out.push_str("</tbody></table></details>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::{Snapshot, SubnetInfo, VpcInfo, pool};

    #[test]
    fn labels_take_the_ink_that_contrasts_and_the_widget_the_consoles_theme() {
        // White on the darkest red (6.6:1 where black is 3.2:1), black on the others.
        assert_eq!(ink(fill(96.0)), "#fff");
        for u in [0.0, 40.0, 65.0, 75.0, 90.0] {
            assert_eq!(ink(fill(u)), "#000", "{u}");
        }
        assert_eq!(ink("var(--free)"), "var(--fg)");
        assert_eq!(Theme::of_widget(Some("dark")), Theme::Dark);
        assert_eq!(Theme::of_widget(Some("light")), Theme::Light);
        assert_eq!(Theme::of_widget(None), Theme::Light);
        let auto = Theme::Auto.style();
        assert!(
            auto.contains("@media (prefers-color-scheme: dark)"),
            "{auto}"
        );
    }

    #[test]
    fn names_every_subnet_and_free_block_and_fetches_nothing() {
        let cidr = |s: &str| s.parse::<Ipv4Cidr>().unwrap();
        let snap = Snapshot {
            subnets: vec![SubnetInfo {
                account: "111111111111".into(),
                region: "us-east-1".into(),
                vpc_id: "vpc-1".into(),
                subnet_id: "subnet-a".into(),
                availability_zone_id: "use1-az1".into(),
                cidr: Some(cidr("10.0.0.0/24")),
                available: 10,
                ..SubnetInfo::default()
            }],
            vpcs: vec![VpcInfo {
                account: "111111111111".into(),
                region: "us-east-1".into(),
                vpc_id: "vpc-1".into(),
                cidrs: vec![cidr("10.0.0.0/22")],
                subnets: vec![cidr("10.0.0.0/24"), cidr("10.0.1.0/24")],
            }],
            scanned: 1,
            ..Snapshot::default()
        };
        let page = html(&pool::report_of_copy("p", &snap), "pool p", Theme::Light);
        assert_eq!(page.matches("<svg").count(), 1);
        for want in [
            "10.0.0.0/24",
            "10.0.2.0/23",
            "use1-az1",
            "subnet outside this pool",
        ] {
            assert!(page.contains(want), "{want}");
        }
        for banned in ["<script", "http://", "https://", "url(", "@import"] {
            assert!(!page.contains(banned), "{banned}");
        }
        assert!(page.contains("1 subnet in 1 VPC:"), "one VPC is not VPCs");
        assert!(
            page.contains("<ol class=\"attention\"><li>96.0 % used: subnet-a"),
            "the fullest subnet opens the page"
        );
        assert_eq!(page.matches("class=\"mark\"").count(), 1, "and is marked");

        // Past the fortieth VPC, one table row each.
        let mut many = snap.clone();
        for i in 1..50u32 {
            let vpc_id = format!("vpc-{i}");
            let base = cidr("10.0.0.0/22").base() + (i << 16);
            many.subnets.push(SubnetInfo {
                vpc_id: vpc_id.clone(),
                subnet_id: format!("subnet-{i}"),
                cidr: Some(Ipv4Cidr::new(base, 24).unwrap()),
                available: 100,
                ..snap.subnets[0].clone()
            });
            many.vpcs.push(VpcInfo {
                vpc_id,
                cidrs: vec![Ipv4Cidr::new(base, 22).unwrap()],
                subnets: vec![Ipv4Cidr::new(base, 24).unwrap()],
                ..snap.vpcs[0].clone()
            });
        }
        let page = html(&pool::report_of_copy("p", &many), "pool p", Theme::Light);
        assert_eq!(page.matches("<svg").count(), VPCS_DRAWN);
        assert!(page.contains("10 more VPCs, less full"));
    }
}
