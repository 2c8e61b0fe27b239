//! ARNs and ids the cloud would assign, built deterministically so that every run (and every
//! value embedding them) agrees.

use crate::model::LocalEnv;

pub(crate) fn table_arn(env: &LocalEnv, name: &str) -> String {
    format!("arn:aws:dynamodb:{}:{}:table/{name}", env.region, env.account)
}

pub(crate) fn state_machine_arn(env: &LocalEnv, name: &str) -> String {
    format!(
        "arn:aws:states:{}:{}:stateMachine:{name}",
        env.region, env.account
    )
}

pub(crate) fn function_arn(env: &LocalEnv, name: &str) -> String {
    format!("arn:aws:lambda:{}:{}:function:{name}", env.region, env.account)
}

/// The `DomainName` of a CloudFront distribution: `d{hash}.cloudfront.net`, deterministic.
pub(super) fn distribution_domain(id: &str) -> String {
    format!("d{}.cloudfront.net", hash_id(id, 13))
}

/// FNV-1a of `text`, as `len` lowercase base-36 characters.
pub(super) fn hash_id(text: &str, len: usize) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = String::with_capacity(len);
    let mut round = 0u8;
    while out.len() < len {
        for byte in text.bytes().chain([round]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        let mut h = hash;
        while h > 0 && out.len() < len {
            out.push(char::from_digit((h % 36) as u32, 36).expect("digit"));
            h /= 36;
        }
        round = round.wrapping_add(1);
    }
    out
}

/// A UUID-shaped id derived from `id`, for types whose cloud ids are UUIDs.
pub(super) fn uuid_like(id: &str) -> String {
    let hex: String = hash_id(id, 40)
        .bytes()
        .map(|b| char::from_digit(u32::from(b) % 16, 16).expect("digit"))
        .take(32)
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}
