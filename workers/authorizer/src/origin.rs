//! The origin check: proof that a handshake came through the stack's CloudFront distribution.
//!
//! CloudFront adds the origin secret (a Secrets Manager secret the stack generates) to every
//! request it sends to the API, as the origin custom header [`ORIGIN_HEADER`], and overwrites a
//! header of that name that the viewer sent ("Add custom headers to origin requests", CloudFront
//! developer guide). A handshake without the right value reached the API's execute-api endpoint
//! directly: past the WAF web ACL, its IP lists and rate rule, and with a `ws-uri` header of the
//! client's own choosing.

/// The origin custom header CloudFront adds (`route.request.header.X-Origin-Verify` is also an
/// identity source of the authorizer, so API Gateway refuses a handshake without it itself).
pub const ORIGIN_HEADER: &str = "X-Origin-Verify";

/// Checks the presented header value against the origin secret; the error is the reason, for
/// the log. The comparison takes the same time wherever the values differ, so response times
/// do not reveal how much of a guess was right (the length is no secret: the stack generates
/// 64 characters).
pub fn check(secret: &str, presented: Option<&str>) -> Result<(), &'static str> {
    match presented {
        None => Err("no origin header"),
        Some(value) if constant_time_eq(secret.as_bytes(), value.as_bytes()) => Ok(()),
        Some(_) => Err("wrong origin header"),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // Every byte is looked at; black_box keeps the optimizer from turning the fold into an
    // early exit.
    let difference = a
        .iter()
        .zip(b)
        .fold(0u8, |acc, (x, y)| acc | std::hint::black_box(x ^ y));
    difference == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "Jk3vQ9xT2mLw8ZrB5nHc7YfD1sGp4uEa";

    #[test]
    fn the_right_value_passes() {
        assert_eq!(check(SECRET, Some(SECRET)), Ok(()));
    }

    #[test]
    fn a_missing_header_is_refused() {
        assert_eq!(check(SECRET, None), Err("no origin header"));
    }

    #[test]
    fn a_wrong_value_is_refused_whatever_its_length_or_case() {
        let one_off = format!("{}b", &SECRET[..SECRET.len() - 1]);
        for wrong in [
            "",
            "x",
            &SECRET[1..],
            &format!("{SECRET}x"),
            &SECRET.to_lowercase(),
            &one_off,
        ] {
            assert_eq!(check(SECRET, Some(wrong)), Err("wrong origin header"), "{wrong}");
        }
    }
}
