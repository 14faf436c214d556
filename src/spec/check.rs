//! Collecting every input error at once, each with its path, the value it got, and the
//! nearest known key for a misspelt one.

use serde_json::{Map, Value};

use super::SpecError;
use super::fields::{Bounds, Text, Whole};

/// Collects errors while reading; each reader returns `None` when its value is unusable.
#[derive(Default)]
pub(super) struct Check {
    pub(super) errors: Vec<SpecError>,
}

impl Check {
    pub(super) fn report(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(SpecError {
            path: path.to_string(),
            message: message.into(),
        });
    }

    pub(super) fn fail<T>(&mut self, path: &str, message: impl Into<String>) -> Option<T> {
        self.report(path, message);
        None
    }

    pub(super) fn fail_got<T>(&mut self, path: &str, expected: &str, got: &Value) -> Option<T> {
        self.fail(path, format!("{expected}, got {}", render(got)))
    }

    /// An object whose keys are all in `known` (any keys when `known` is empty).
    pub(super) fn object<'v>(
        &mut self,
        path: &str,
        v: &'v Value,
        known: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Some(m) = v.as_object() else {
            return self.fail_got(path, "expected an object", v);
        };
        if !known.is_empty() {
            for key in m.keys().filter(|k| !known.contains(&k.as_str())) {
                let key_path = if path == "Properties" {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                let hint = match nearest(key, known) {
                    Some(n) => format!("unknown property; did you mean {n}?"),
                    None => format!("unknown property; known here: {}", known.join(", ")),
                };
                self.report(&key_path, hint);
            }
        }
        Some(m)
    }

    pub(super) fn list<'v>(&mut self, path: &str, v: &'v Value) -> Option<&'v Vec<Value>> {
        match v.as_array() {
            Some(items) => Some(items),
            None => self.fail_got(path, "expected a list", v),
        }
    }

    /// A list of strings, each passing `ok`; duplicates dropped, order kept.
    pub(super) fn strings(
        &mut self,
        path: &str,
        v: &Value,
        what: &str,
        ok: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (i, item) in self.list(path, v).into_iter().flatten().enumerate() {
            if let Some(s) = self.string(&format!("{path}[{i}]"), item, what, &ok)
                && !out.contains(&s)
            {
                out.push(s);
            }
        }
        out
    }

    /// A string passing `ok`. Numbers are taken as their decimal text (an account id
    /// written unquoted in YAML arrives as a number).
    pub(super) fn string(
        &mut self,
        path: &str,
        v: &Value,
        what: &str,
        ok: impl Fn(&str) -> bool,
    ) -> Option<String> {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) if n.is_u64() => n.to_string(),
            _ => return self.fail_got(path, &format!("expected {what}"), v),
        };
        if ok(&text) {
            Some(text)
        } else {
            self.fail_got(path, &format!("expected {what}"), v)
        }
    }

    /// A field defined in [`super::fields`].
    pub(super) fn text(&mut self, path: &str, v: &Value, field: &Text) -> Option<String> {
        self.string(path, v, field.expect, field.check)
    }

    /// A list of such fields.
    pub(super) fn texts(&mut self, path: &str, v: &Value, field: &Text) -> Vec<String> {
        self.strings(path, v, field.expect, field.check)
    }

    pub(super) fn number(&mut self, path: &str, v: &Value, bounds: Bounds) -> Option<f64> {
        let (lo, hi) = (bounds.min, bounds.max);
        let n = match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if n.is_finite() && (lo..=hi).contains(&n) => Some(n),
            _ => self.fail_got(path, &format!("expected a number from {lo} to {hi}"), v),
        }
    }

    pub(super) fn integer(&mut self, path: &str, v: &Value, bounds: Whole) -> Option<u64> {
        let (lo, hi) = (bounds.min, bounds.max);
        let n = match v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if (lo..=hi).contains(&n) => Some(n),
            _ => self.fail_got(
                path,
                &format!("expected a whole number from {lo} to {hi}"),
                v,
            ),
        }
    }

    pub(super) fn boolean(&mut self, path: &str, v: &Value) -> Option<bool> {
        match v {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => self.fail_got(path, "expected true or false", v),
        }
    }
}

/// The value as the user wrote it, cut short: strings quoted, anything else as JSON.
pub(super) fn render(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(80).collect::<String>())
    } else {
        text
    }
}

/// The known key closest to `key`, when it is close enough to be a likely typo.
fn nearest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    let key = key.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (edit_distance(&key, &k.to_ascii_lowercase()), *k))
        .min()
        .filter(|(d, k)| *d <= (k.len() / 3).max(2))
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(diag + usize::from(ca != *cb));
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}
