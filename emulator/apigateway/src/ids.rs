//! Identifiers shaped like API Gateway's: 16-character base64 tokens (`L0SM9cOFvHcCIhw=`).

use base64::Engine;
use rand::RngCore;

fn token() -> String {
    let mut bytes = [0u8; 11];
    rand::rng().fill_bytes(&mut bytes);
    let mut id = base64::engine::general_purpose::STANDARD.encode(bytes);
    // 11 bytes encode to 15 characters and one `=`; API Gateway's ids never contain `/`.
    id = id.replace('/', "_");
    id
}

pub fn connection_id() -> String {
    token()
}

pub fn request_id() -> String {
    token()
}

/// An X-Ray trace header as API Gateway adds it: `Root=1-{epoch seconds, 8 hex}-{96 random
/// bits, 24 hex}` (X-Ray's trace id format).
pub fn trace_id() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut random = [0u8; 12];
    rand::rng().fill_bytes(&mut random);
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("Root=1-{seconds:08x}-{hex}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_look_like_api_gateway_ids() {
        for _ in 0..100 {
            let id = super::connection_id();
            assert_eq!(id.len(), 16, "{id}");
            assert!(id.ends_with('='));
            assert!(id[..15]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '_'));
        }
    }
}
