//! The gateway's listener. Each accepted connection's request head is peeked at (read without
//! consuming it) before hyper parses the request, so that the handshake's header names are known
//! as the client wrote them: hyper, like the `http` crate, keeps only lower-case names, while
//! API Gateway hands them to `$connect` as sent (`Sec-WebSocket-Key`, `Host`, …).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::misdirected;

/// How long a client may take to send its request head before its names are given up on (the
/// request itself still proceeds; its names are then the lower-case ones).
const HEAD_WAIT: Duration = Duration::from_secs(5);
/// Request heads beyond this are not examined (API Gateway's own header limits are far lower).
const HEAD_LIMIT: usize = 16 * 1024;

/// Who connected, and the header names of the connection's first request as sent.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The client's address.
    pub addr: SocketAddr,
    /// Header names in the order and case the client sent them.
    pub header_names: Arc<Vec<String>>,
}

impl Peer {
    /// The name as the client wrote it, for a lower-case `name`.
    pub fn original_name<'a>(&'a self, name: &'a str) -> &'a str {
        self.header_names
            .iter()
            .find(|sent| sent.eq_ignore_ascii_case(name))
            .map_or(name, String::as_str)
    }
}

/// Accepts connections on its own task, each one handed on once its head was peeked at, so a
/// slow client delays only itself.
pub struct PeekingListener {
    accepted: mpsc::Receiver<(TcpStream, Peer)>,
    local: SocketAddr,
    acceptor: JoinHandle<()>,
}

impl PeekingListener {
    /// Starts accepting on `listener`.
    pub fn new(listener: TcpListener) -> std::io::Result<PeekingListener> {
        let local = listener.local_addr()?;
        let (ready, accepted) = mpsc::channel(256);
        let acceptor = tokio::spawn(accept_loop(listener, local.port(), ready));
        Ok(PeekingListener {
            accepted,
            local,
            acceptor,
        })
    }
}

impl Drop for PeekingListener {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

async fn accept_loop(listener: TcpListener, port: u16, ready: mpsc::Sender<(TcpStream, Peer)>) {
    loop {
        let (stream, addr) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::debug!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let ready = ready.clone();
        tokio::spawn(async move {
            let Some(names) = head_names(&stream).await else {
                // A TLS client: nothing here can answer it. The socket stays open until its
                // owner is found.
                tokio::task::spawn_blocking(move || misdirected::report(addr, port, stream));
                return;
            };
            let header_names = Arc::new(names);
            let _ = ready.send((stream, Peer { addr, header_names })).await;
        });
    }
}

/// The header names of the request head waiting on `stream` (empty if it is not a complete
/// HTTP/1 request head within [`HEAD_WAIT`]), or `None` for a TLS handshake.
async fn head_names(stream: &TcpStream) -> Option<Vec<String>> {
    let deadline = Instant::now() + HEAD_WAIT;
    let mut buffer = vec![0u8; HEAD_LIMIT];
    loop {
        let peeked = tokio::time::timeout_at(deadline, stream.peek(&mut buffer)).await;
        let Ok(Ok(length)) = peeked else {
            return Some(Vec::new());
        };
        if misdirected::is_tls(&buffer[..length]) {
            return None;
        }
        let mut headers = [httparse::EMPTY_HEADER; 128];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&buffer[..length]) {
            Ok(httparse::Status::Complete(_)) => {
                return Some(request.headers.iter().map(|h| h.name.to_owned()).collect());
            }
            // More of the head is on its way; peek returns at once while data is waiting.
            Ok(httparse::Status::Partial)
                if length > 0 && length < HEAD_LIMIT && Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            _ => return Some(Vec::new()),
        }
    }
}

impl Listener for PeekingListener {
    type Io = TcpStream;
    type Addr = Peer;

    async fn accept(&mut self) -> (TcpStream, Peer) {
        match self.accepted.recv().await {
            Some(accepted) => accepted,
            // The acceptor never ends while this listener lives.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Peer> {
        Ok(Peer {
            addr: self.local,
            header_names: Arc::default(),
        })
    }
}

impl Connected<IncomingStream<'_, PeekingListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, PeekingListener>) -> Self {
        stream.remote_addr().clone()
    }
}
