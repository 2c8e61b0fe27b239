//! A TLS handshake on the gateway's plain-HTTP port: almost always a function that built an
//! `https://{domainName}/{stage}` URL from its event, as functions written for AWS do. Local
//! mode serves `http://` only, so that call cannot succeed; this names the function that made
//! it (the process owning the client socket, whose environment has `AWS_LAMBDA_FUNCTION_NAME`)
//! and says what to do instead.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Mutex;

/// The first byte of a TLS record carrying a handshake (a ClientHello).
const TLS_HANDSHAKE: u8 = 0x16;

/// Whether `head` starts like a TLS ClientHello.
pub fn is_tls(head: &[u8]) -> bool {
    head.first() == Some(&TLS_HANDSHAKE)
}

/// Logs one line naming the function (when it is one) and the URL it tried, once per
/// function (SDKs retry), then closes the connection.
pub fn report(peer: SocketAddr, gateway_port: u16, connection: tokio::net::TcpStream) {
    static REPORTED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let url = format!("https://127.0.0.1:{gateway_port}");
    let who = client_function(peer.port()).map_or_else(
        || format!("a client on port {}", peer.port()),
        |name| format!("function {name}"),
    );
    drop(connection);
    if !REPORTED.lock().expect("reported lock").insert(who.clone()) {
        return;
    }
    tracing::warn!(
        "{who} tried {url} (TLS): local mode serves http:// only; build the @connections URL from a \
         template variable such as `https://${{Api}}.execute-api.${{AWS::Region}}.amazonaws.com/${{Stage}}`, \
         which local mode points at the gateway, rather than from the event's domainName"
    );
}

/// `AWS_LAMBDA_FUNCTION_NAME` of the local process whose TCP socket has local port `port`.
fn client_function(port: u16) -> Option<String> {
    let inode = socket_inode(port)?;
    let needle = format!("socket:[{inode}]");
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let fds = entry.path().join("fd");
        let Ok(links) = std::fs::read_dir(&fds) else {
            continue;
        };
        let owns = links
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target.to_string_lossy() == needle));
        if owns {
            let environ = std::fs::read(entry.path().join("environ")).ok()?;
            return environ
                .split(|b| *b == 0)
                .find_map(|var| var.strip_prefix(b"AWS_LAMBDA_FUNCTION_NAME="))
                .map(|name| String::from_utf8_lossy(name).into_owned());
        }
    }
    None
}

/// The inode of the IPv4 or IPv6 TCP socket bound to local port `port` (`/proc/net/tcp*`).
fn socket_inode(port: u16) -> Option<String> {
    let local = format!(":{port:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().find_map(|table| {
        let text = std::fs::read_to_string(table).ok()?;
        text.lines().skip(1).find_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields.get(1)?.ends_with(&local)).then(|| fields.get(9).map(|s| (*s).to_owned()))?
        })
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_client_hello_is_told_from_an_http_request() {
        assert!(super::is_tls(&[0x16, 0x03, 0x01]));
        assert!(!super::is_tls(b"GET / HTTP/1.1\r\n"));
        assert!(!super::is_tls(b""));
    }

    #[test]
    fn the_process_owning_a_socket_is_found_by_its_port() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let port = client.local_addr().unwrap().port();
        assert!(super::socket_inode(port).is_some());
    }
}
