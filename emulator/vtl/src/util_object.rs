//! The `$util` object.

use crate::ops::check_text_len;
use crate::value::Value;

pub(crate) fn call(name: &str, args: &[Value]) -> Result<Value, String> {
    let value = match (name, args) {
        // Like the Java helpers, a null argument gives a null result.
        (_, [Value::Null]) => Value::Null,
        ("escapeJavaScript", [s]) => Value::Str(escape_javascript(&s.to_text())),
        ("urlEncode", [s]) => Value::Str(url_encode(&s.to_text())),
        ("urlDecode", [s]) => Value::Str(url_decode(&s.to_text())?),
        ("base64Encode", [s]) => Value::Str(base64_encode(s.to_text().as_bytes())),
        ("base64Decode", [s]) => {
            Value::Str(String::from_utf8_lossy(&base64_decode(&s.to_text())?).into_owned())
        }
        ("parseJson", [s]) => {
            serde_json::from_str(&s.to_text()).map_err(|e| format!("$util.parseJson: invalid JSON: {e}"))?
        }
        _ => Value::Null,
    };
    if let Value::Str(s) = &value {
        check_text_len(s.len())?;
    }
    Ok(value)
}

/// Apache Commons Lang 2 `escapeJavaScript`, which API Gateway uses: quotes,
/// backslash and `/` get a backslash, control characters their short or
/// `\uXXXX` form, non-ASCII a `\uXXXX` escape per UTF-16 unit. The single
/// quote becomes `\'`, which is not valid JSON — an API Gateway quirk kept
/// on purpose.
pub(crate) fn escape_javascript(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for unit in s.encode_utf16() {
        let short = match unit {
            0x08 => Some("\\b"),
            0x09 => Some("\\t"),
            0x0A => Some("\\n"),
            0x0C => Some("\\f"),
            0x0D => Some("\\r"),
            0x22 => Some("\\\""),
            0x27 => Some("\\'"),
            0x2F => Some("\\/"),
            0x5C => Some("\\\\"),
            _ => None,
        };
        match (short, char::from_u32(u32::from(unit))) {
            (Some(escape), _) => out.push_str(escape),
            (None, Some(c)) if (0x20..0x7F).contains(&unit) => out.push(c),
            _ => out.push_str(&format!("\\u{unit:04X}")),
        }
    }
    out
}

/// Java `URLEncoder.encode(s, "UTF-8")`: form encoding, space as `+`.
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &byte in s.as_bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => out.push(char::from(byte)),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Java `URLDecoder.decode(s, "UTF-8")`: `+` is a space, `%XX` a byte; a
/// malformed escape is an error, as Java throws.
fn url_decode(s: &str) -> Result<String, String> {
    let mut bytes = Vec::with_capacity(s.len());
    let mut rest = s.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        match byte {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = rest
                    .get(..2)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or("$util.urlDecode: incomplete or illegal '%' escape")?;
                bytes.push(hex);
                rest = &rest[2..];
            }
            _ => bytes.push(byte),
        }
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

const BASE64_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard alphabet, padded.
fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(BASE64_ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Accepts the standard and URL-safe alphabets, with or without padding,
/// ignoring whitespace; anything else is an error.
fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s
        .trim_end_matches(|c: char| c == '=' || c.is_whitespace())
        .chars()
    {
        let sextet = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' | '-' => 62,
            '/' | '_' => 63,
            c if c.is_whitespace() => continue,
            c => return Err(format!("$util.base64Decode: illegal character '{c}'")),
        };
        acc = (acc << 6) | sextet;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_every_length() {
        let data = "any carnal pleasure. ünïcödé";
        for end in 0..data.len() {
            let bytes = &data.as_bytes()[..end];
            assert_eq!(base64_decode(&base64_encode(bytes)).unwrap(), bytes);
        }
        assert_eq!(base64_encode(b"Man"), "TWFu");
        assert_eq!(base64_encode(b"Ma"), "TWE=");
        assert_eq!(base64_encode(b"M"), "TQ==");
        assert!(base64_decode("a$b").is_err());
    }

    #[test]
    fn url_decode_rejects_bad_escapes() {
        assert_eq!(url_decode("a+b%20c%C3%A9").unwrap(), "a b cé");
        assert!(url_decode("%G1").is_err());
        assert!(url_decode("abc%2").is_err());
    }

    #[test]
    fn escape_javascript_matches_commons_lang() {
        assert_eq!(
            escape_javascript("He said \"it's\"\n\t/\\ é\u{1}"),
            "He said \\\"it\\'s\\\"\\n\\t\\/\\\\ \\u00E9\\u0001"
        );
    }
}
