//! `sim class`: a live predict-then-reveal session. The teacher's laptop
//! serves each scenario's question to the room; students predict from
//! their browsers; the teacher reveals; students then see the simulation,
//! their score and the class's spread, and explore one change at a time.
//! The engine stays synchronous: runs happen off the async threads, one at
//! a time, in the order asked (a fair queue).

mod api;
mod pages;
pub mod store;

use crate::handout::Story;
use crate::program::Program;
use crate::report::Report;
use axum::Router;
use axum::routing::{get, post};
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use store::Store;

/// A scenario of the session, run once when the server starts.
pub struct Scenario {
    pub file: PathBuf,
    /// The run, as `sim FILE --format json` gives it.
    pub report: Report,
    pub program: Program,
    pub stories: Vec<Story>,
}

/// What the session is asked to be.
pub struct Settings {
    pub scenarios: Vec<Scenario>,
    pub bind: IpAddr,
    pub port: u16,
    pub db: PathBuf,
    /// Branches of an explore rerun.
    pub explore_branches: u64,
    /// Explore reruns a client may ask for per minute.
    pub explore_per_minute: usize,
}

/// The running session, shared by every request.
pub struct Class {
    scenarios: Vec<Scenario>,
    store: Mutex<Store>,
    token: String,
    join_code: String,
    explore_branches: u64,
    explore_per_minute: usize,
    /// One rerun at a time, handed out in the order asked.
    queue: tokio::sync::Semaphore,
    recent: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl Class {
    fn scenario(&self, id: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.report.scenario.id == id)
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The address the room reaches this computer at, when listening on every
/// interface: the one the system would send from (a UDP "connect" sends
/// nothing), else a placeholder for the teacher to fill in.
fn room_address() -> String {
    std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("192.0.2.1:9").map(|()| s))
        .and_then(|s| s.local_addr())
        .map(|a| a.ip())
        .ok()
        .filter(|ip| !ip.is_unspecified() && !ip.is_loopback())
        .map_or_else(|| "THIS-COMPUTERS-ADDRESS".to_string(), |ip| ip.to_string())
}

/// Random letters and digits, from the operating system.
fn secret(len: usize, alphabet: &[u8]) -> Result<String, String> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a secret: {e}"))?;
    Ok(bytes
        .iter()
        .map(|b| alphabet[usize::from(*b) % alphabet.len()] as char)
        .collect())
}

/// Opens the database, binds the port, prints the two addresses with
/// `announce`, and serves until the process is stopped.
pub fn serve(settings: Settings, announce: impl FnOnce(&str, &str)) -> Result<(), String> {
    let store = Store::open(&settings.db)?;
    let token = store.meta_or("teacher_token", || {
        secret(32, b"abcdefghijklmnopqrstuvwxyz0123456789").unwrap_or_default()
    })?;
    let join_code = store.meta_or("join_code", || {
        secret(4, b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789").unwrap_or_default()
    })?;
    if token.len() < 32 || join_code.len() < 4 {
        return Err("could not make a teacher token".into());
    }
    let class = Arc::new(Class {
        scenarios: settings.scenarios,
        store: Mutex::new(store),
        token,
        join_code,
        explore_branches: settings.explore_branches,
        explore_per_minute: settings.explore_per_minute,
        queue: tokio::sync::Semaphore::new(1),
        recent: Mutex::new(HashMap::new()),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(settings.bind, settings.port))
            .await
            .map_err(|e| format!("cannot listen on {}:{}: {e}", settings.bind, settings.port))?;
        let at = listener.local_addr().map_err(|e| e.to_string())?;
        let host = if settings.bind.is_unspecified() {
            room_address()
        } else {
            at.ip().to_string()
        };
        let base = format!("http://{host}:{}", at.port());
        announce(
            &format!("{base}/teacher?token={}", class.token),
            &format!("{base}/  (join code {})", class.join_code),
        );
        axum::serve(
            listener,
            router(class).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .map_err(|e| e.to_string())
    })
}

fn router(class: Arc<Class>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/", get(pages::join))
        .route("/s/{scenario}", get(pages::student))
        .route("/teacher", get(pages::teacher))
        .route("/api/join", post(api::join))
        .route("/api/predictions", post(api::predict))
        .route("/api/reveal", post(api::reveal))
        .route("/api/reset", post(api::reset))
        .route("/api/results", get(api::results))
        .route("/api/revealed", get(api::revealed))
        .route("/api/status", get(api::status))
        .route("/api/export.csv", get(api::export))
        .route("/api/explore", post(api::explore))
        .layer(axum::extract::DefaultBodyLimit::max(1 << 20))
        .with_state(class)
}
