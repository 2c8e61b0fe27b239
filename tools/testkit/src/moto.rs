//! The local mode's moto server, on a free loopback port, with an SDK configuration for it.

use std::net::TcpListener;

use aws_config::SdkConfig;
use wsflow_dev::moto::{venv_python, MotoServer};

/// A moto server (the local AWS backend) on a free loopback port, for one test; killed when
/// dropped.
pub struct Moto {
    server: MotoServer,
}

impl Moto {
    /// Starts moto from the project venv (or `WSFLOW_PYTHON`) and waits until it listens; the
    /// server is killed when this is dropped. A free port can be taken by a parallel test
    /// before moto binds it, so a failed start is retried on another port.
    pub async fn start() -> anyhow::Result<Moto> {
        let python = venv_python(Some(&crate::repo_root()))?;
        let mut attempt = 1;
        loop {
            let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            match MotoServer::start(&python, port, None).await {
                Ok(server) => return Ok(Moto { server }),
                Err(e) if attempt >= 3 => return Err(e),
                Err(_) => attempt += 1,
            }
        }
    }

    /// `http://127.0.0.1:{port}`: the AWS endpoint URL of the server.
    pub fn endpoint(&self) -> &str {
        self.server.endpoint()
    }

    /// SDK configuration pointing every client at this server, with dummy credentials.
    pub async fn sdk_config(&self) -> SdkConfig {
        wsflow_dev::local_sdk_config(self.endpoint(), "us-east-1").await
    }
}
