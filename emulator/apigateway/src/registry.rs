//! Open connections, by id: what `@connections` and route responses write to.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::mpsc;

use crate::api_keys::MeteredKey;

/// What the gateway asks a connection's socket task to do.
#[derive(Debug)]
pub enum Outbound {
    Text(String),
    Close { code: u16, reason: &'static str },
}

/// What a handshake established about a new connection.
pub struct ConnectionInfo {
    pub id: String,
    pub source_ip: String,
    pub user_agent: String,
    pub connected_at_ms: u64,
    pub authorizer: Option<Arc<serde_json::Value>>,
    pub api_key: Option<Arc<MeteredKey>>,
}

pub struct Connection {
    pub id: String,
    pub connected_at_ms: u64,
    pub source_ip: String,
    pub user_agent: String,
    pub authorizer: Option<Arc<Value>>,
    pub api_key: Option<Arc<MeteredKey>>,
    pub last_active_ms: AtomicU64,
    sender: mpsc::UnboundedSender<Outbound>,
}

impl Connection {
    pub fn new(info: ConnectionInfo, sender: mpsc::UnboundedSender<Outbound>) -> Connection {
        let ConnectionInfo {
            id,
            source_ip,
            user_agent,
            connected_at_ms,
            authorizer,
            api_key,
        } = info;
        Connection {
            id,
            connected_at_ms,
            source_ip,
            user_agent,
            authorizer,
            api_key,
            last_active_ms: AtomicU64::new(connected_at_ms),
            sender,
        }
    }

    /// Queues a frame; false when the socket task has already ended.
    pub fn send(&self, message: Outbound) -> bool {
        self.sender.send(message).is_ok()
    }

    pub fn touch(&self) {
        self.last_active_ms.store(now_ms(), Ordering::Relaxed);
    }
}

#[derive(Default)]
pub struct Registry {
    connections: Mutex<HashMap<String, Arc<Connection>>>,
}

impl Registry {
    pub fn insert(&self, connection: Arc<Connection>) {
        self.connections
            .lock()
            .unwrap()
            .insert(connection.id.clone(), connection);
    }

    pub fn get(&self, id: &str) -> Option<Arc<Connection>> {
        self.connections.lock().unwrap().get(id).cloned()
    }

    pub fn remove(&self, id: &str) -> Option<Arc<Connection>> {
        self.connections.lock().unwrap().remove(id)
    }

    pub fn len(&self) -> usize {
        self.connections.lock().unwrap().len()
    }
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
