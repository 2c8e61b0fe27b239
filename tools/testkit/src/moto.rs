//! The local mode's moto server, on a free loopback port, with an SDK configuration for it.

use aws_config::SdkConfig;
use wsflow_dev::moto::{venv_python, MotoServer};

/// A moto server (the local AWS backend) on a free loopback port, for one test; killed when
/// dropped.
pub struct Moto {
    server: MotoServer,
}

impl Moto {
    /// Starts moto from the project venv (or `WSFLOW_PYTHON`) on a free port and waits until
    /// it listens; the server is killed when this is dropped.
    pub async fn start() -> anyhow::Result<Moto> {
        let python = venv_python(Some(&crate::repo_root()))?;
        Ok(Moto {
            server: MotoServer::start(&python, 0, None).await?,
        })
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
