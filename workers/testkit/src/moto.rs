//! A moto server child process on a free loopback port, killed when dropped.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use tokio::process::{Child, Command};

pub struct Moto {
    endpoint: String,
    _child: Child,
}

impl Moto {
    /// Starts `moto_server` from the project venv (or `WSFLOW_MOTO_SERVER`) and waits until it
    /// answers HTTP.
    pub async fn start() -> anyhow::Result<Moto> {
        let port = free_port()?;
        let binary = moto_binary();
        let child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {} (run `make venv` first)", binary.display()))?;
        let endpoint = format!("http://127.0.0.1:{port}");
        let moto = Moto {
            endpoint,
            _child: child,
        };
        moto.wait_ready().await?;
        Ok(moto)
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// SDK configuration pointing every client at this server, with dummy credentials.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_sqs::config::Credentials::for_tests())
            .load()
            .await
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let address = self.endpoint.trim_start_matches("http://").to_owned();
        crate::eventually(Duration::from_secs(30), "moto server to listen", || {
            let address = address.clone();
            async move { tokio::net::TcpStream::connect(address).await.is_ok() }
        })
        .await
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn moto_binary() -> PathBuf {
    std::env::var_os("WSFLOW_MOTO_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo_root().join(".venv/bin/moto_server"))
}
