//! Java `String` regex methods (`replaceAll`, `replaceFirst`, `split`,
//! `matches`) on top of the `regex` crate. The syntax shared by Java and the
//! crate (classes, quantifiers, groups, anchors, `\d\s\w`) behaves the same;
//! look-around and back-references are rejected with an error.

use std::collections::hash_map::{Entry, HashMap};

use regex::{Captures, Regex, RegexBuilder};

use crate::limits::MAX_NESTING;
use crate::ops::check_text_len;

/// Compiled size cap, so a pattern taken from a client body stays cheap.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Templates use a handful of patterns; the cache is simply emptied when full.
const CACHE_CAPACITY: usize = 64;

#[derive(Default)]
pub(crate) struct RegexCache {
    compiled: HashMap<String, Regex>,
}

impl RegexCache {
    fn get(&mut self, pattern: &str) -> Result<&Regex, String> {
        if self.compiled.len() >= CACHE_CAPACITY && !self.compiled.contains_key(pattern) {
            self.compiled.clear();
        }
        match self.compiled.entry(pattern.to_string()) {
            Entry::Occupied(slot) => Ok(slot.into_mut()),
            Entry::Vacant(slot) => Ok(slot.insert(compile(pattern)?)),
        }
    }

    /// Java `String.replaceAll`/`replaceFirst`.
    pub(crate) fn replace(
        &mut self,
        text: &str,
        pattern: &str,
        replacement: &str,
        all: bool,
    ) -> Result<String, String> {
        let re = self.get(pattern)?;
        let parts = parse_replacement(replacement, re)?;
        let mut out = String::new();
        let mut last = 0;
        for caps in re.captures_iter(text) {
            let Some(whole) = caps.get(0) else { continue };
            out.push_str(&text[last..whole.start()]);
            expand(&parts, &caps, &mut out);
            check_text_len(out.len())?;
            last = whole.end();
            if !all {
                break;
            }
        }
        out.push_str(&text[last..]);
        check_text_len(out.len())?;
        Ok(out)
    }

    /// Java `String.split(regex)`: no leading empty piece for a zero-width
    /// match at the start, trailing empty pieces removed.
    pub(crate) fn split(&mut self, text: &str, pattern: &str) -> Result<Vec<String>, String> {
        let re = self.get(pattern)?;
        let mut pieces = Vec::new();
        let mut last = 0;
        let mut matched = false;
        for m in re.find_iter(text) {
            if m.end() == 0 {
                continue;
            }
            matched = true;
            pieces.push(text[last..m.start()].to_string());
            last = m.end();
        }
        if !matched {
            return Ok(vec![text.to_string()]);
        }
        pieces.push(text[last..].to_string());
        while pieces.last().is_some_and(String::is_empty) {
            pieces.pop();
        }
        Ok(pieces)
    }

    /// Java `String.matches`: the whole text must match.
    pub(crate) fn matches(&mut self, text: &str, pattern: &str) -> Result<bool, String> {
        Ok(self.get(&format!(r"\A(?:{pattern})\z"))?.is_match(text))
    }
}

fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .nest_limit(MAX_NESTING as u32)
        .build()
        .map_err(|e| format!("invalid or unsupported regular expression: {e}"))
}

/// A piece of a Java replacement string.
enum Part {
    Literal(String),
    Group(usize),
    Named(String),
}

/// Java replacement syntax: `$n` and `${name}` insert groups, `\x` is a
/// literal `x`. Errors mirror the exceptions Java throws.
fn parse_replacement(replacement: &str, re: &Regex) -> Result<Vec<Part>, String> {
    let group_count = re.captures_len();
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => literal.push(
                chars
                    .next()
                    .ok_or("character to be escaped is missing in the replacement")?,
            ),
            '$' => {
                let part = if chars.next_if_eq(&'{').is_some() {
                    let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    if !re.capture_names().any(|n| n == Some(name.as_str())) {
                        return Err(format!("no group with name {{{name}}}"));
                    }
                    Part::Named(name)
                } else {
                    let first = chars
                        .next()
                        .and_then(|c| c.to_digit(10))
                        .ok_or("illegal group reference in the replacement")?;
                    let mut group = first as usize;
                    // Further digits join while they still name an existing group.
                    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                        let longer = group * 10 + d as usize;
                        if longer >= group_count {
                            break;
                        }
                        group = longer;
                        chars.next();
                    }
                    if group >= group_count {
                        return Err(format!("no group {group}"));
                    }
                    Part::Group(group)
                };
                parts.push(Part::Literal(std::mem::take(&mut literal)));
                parts.push(part);
            }
            c => literal.push(c),
        }
    }
    parts.push(Part::Literal(literal));
    Ok(parts)
}

fn expand(parts: &[Part], caps: &Captures<'_>, out: &mut String) {
    for part in parts {
        let text = match part {
            Part::Literal(text) => Some(text.as_str()),
            Part::Group(i) => caps.get(*i).map(|m| m.as_str()),
            Part::Named(name) => caps.name(name).map(|m| m.as_str()),
        };
        out.push_str(text.unwrap_or_default());
    }
}
