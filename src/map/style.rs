//! The map's colours: the utilization bands and their legend, the light and dark themes as
//! CSS variables, and the ink of a label on a coloured shape.

/// Fill for a utilization: green under 60 %, amber to 85 %, red above — and the label says
/// the number, so the colour is never the only sign.
pub fn fill(utilization: f64) -> &'static str {
    match utilization {
        u if u >= 95.0 => "#b71c1c",
        u if u >= 85.0 => "#e53935",
        u if u >= 70.0 => "#fb8c00",
        u if u >= 60.0 => "#fdd835",
        u if u >= 30.0 => "#9ccc65",
        _ => "#43a047",
    }
}

/// The legend's bands: each floor and its label, in the order the legend shows them.
pub const LEGEND: [(f64, &str); 6] = [
    (0.0, "under 30 %"),
    (30.0, "30–60 %"),
    (60.0, "60–70 %"),
    (70.0, "70–85 %"),
    (85.0, "85–95 %"),
    (95.0, "95 % and more"),
];

/// Which colours the page is drawn in: the map page follows the reader's system
/// (`prefers-color-scheme`); the dashboard widget follows the console's theme
/// (`widgetContext.theme`), since a white page in a dark dashboard glares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Auto,
    Light,
    Dark,
}

impl Theme {
    /// The console's `widgetContext.theme`: `dark`, or anything else for light.
    pub fn of_widget(theme: Option<&str>) -> Theme {
        match theme {
            Some(t) if t.eq_ignore_ascii_case("dark") => Theme::Dark,
            _ => Theme::Light,
        }
    }

    pub(super) fn style(self) -> String {
        match self {
            Theme::Light => format!(":root{{{LIGHT}}}{STYLE}"),
            Theme::Dark => format!(":root{{{DARK}}}{STYLE}"),
            Theme::Auto => format!(
                ":root{{{LIGHT}}}@media (prefers-color-scheme: dark){{:root{{{DARK}}}}}{STYLE}"
            ),
        }
    }
}

/// The theme's colours. Text is at least 4.5:1 against every background it sits on.
const LIGHT: &str = "color-scheme:light;--bg:#fff;--fg:#222;--line:#ddd;--bar:#e0e0e0;--vpc:#fafafa;\
--edge:#424242;--free:#fff;--free-edge:#616161;--other:#bdbdbd;--other-edge:#757575";
const DARK: &str = "color-scheme:dark;--bg:#121212;--fg:#e8e8e8;--line:#3a3a3a;--bar:#333;--vpc:#1e1e1e;\
--edge:#bdbdbd;--free:#121212;--free-edge:#9e9e9e;--other:#616161;--other-edge:#9e9e9e";

/// Tables scroll within their own box, never the page: a widget may be 320 pixels wide.
const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:16px;color:var(--fg);\
background:var(--bg);overflow-wrap:anywhere}\
h1{font-size:20px}h2{font-size:16px;margin:24px 0 4px}\
.totals,.legend{margin:8px 0}.legend span{display:inline-block;margin-right:12px}\
.sw{display:inline-block;width:14px;height:14px;vertical-align:middle;margin-right:4px;border:1px solid var(--edge)}\
.az{display:flex;flex-wrap:wrap;align-items:center;margin:2px 0}.az .id{width:90px}\
.bar{width:min(320px,40vw);height:14px;background:var(--bar);margin:0 8px;position:relative}\
.bar div{height:14px}\
svg{display:block;margin:6px 0;max-width:100%;height:auto}\
svg text{font:11px system-ui,sans-serif;pointer-events:none}\
.wide{overflow-x:auto;max-width:100%}\
table{border-collapse:collapse;margin:6px 0;overflow-wrap:normal}\
td,th{padding:2px 8px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}\
td.n{text-align:right}details{margin:8px 0}ol.attention{margin:4px 0 12px}";

/// The text colour for a label on `fill`: black or white, whichever contrasts more; on a
/// theme's colour (a `var(…)`), the theme's text colour.
pub(super) fn ink(fill: &str) -> &'static str {
    let Some(hex) = fill.strip_prefix('#').filter(|h| h.len() == 6) else {
        return "var(--fg)";
    };
    let channel = |i: usize| {
        let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0)) / 255.0;
        if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let lum = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
    // Against black: (lum + 0.05) / 0.05; against white: 1.05 / (lum + 0.05).
    if (lum + 0.05) * (lum + 0.05) >= 0.05 * 1.05 {
        "#000"
    } else {
        "#fff"
    }
}
