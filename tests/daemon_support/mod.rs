//! Helpers for the daemon tests: a threaded HTTP feed server on 127.0.0.1 (with per-path
//! delays and request counts), a fake systemd notify socket, a raw HTTP GET, and a handle on
//! the real `aiwire` binary that sends it signals. Everything stays on loopback.
#![allow(dead_code)]

#[path = "../common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// One served document.
#[derive(Clone)]
struct Route {
    body: String,
    delay: Duration,
}

/// A tiny HTTP/1.1 server: one thread per connection, `Connection: close`.
pub struct FeedServer {
    pub port: u16,
    routes: Arc<Mutex<HashMap<String, Route>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

impl FeedServer {
    pub fn start() -> FeedServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let routes: Arc<Mutex<HashMap<String, Route>>> = Arc::default();
        let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let (r, h) = (routes.clone(), hits.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (r, h) = (r.clone(), h.clone());
                thread::spawn(move || serve(stream, &r, &h));
            }
        });
        FeedServer { port, routes, hits }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn set(&self, path: &str, body: String) {
        self.set_slow(path, body, Duration::ZERO);
    }

    pub fn set_slow(&self, path: &str, body: String, delay: Duration) {
        self.routes
            .lock()
            .unwrap()
            .insert(path.to_string(), Route { body, delay });
    }

    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

fn serve(
    mut stream: TcpStream,
    routes: &Mutex<HashMap<String, Route>>,
    hits: &Mutex<HashMap<String, usize>>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let route = routes.lock().unwrap().get(&path).cloned();
    let response = match route {
        Some(route) => {
            thread::sleep(route.delay);
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                route.body.len(),
                route.body
            )
        }
        None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into(),
    };
    let _ = stream.write_all(response.as_bytes());
}

/// An RSS 2.0 document whose items are dated now (so digests with a short max_age see them).
pub fn rss(title: &str, items: &[(&str, &str)]) -> String {
    let now = chrono::Utc::now().to_rfc2822();
    let mut s = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{title}</title><link>https://{title}.test/</link><description>d</description>"
    );
    for (guid, item_title) in items {
        s.push_str(&format!(
            "<item><title>{item_title}</title><link>https://{title}.test/{guid}</link><guid isPermaLink=\"false\">{title}-{guid}</guid><pubDate>{now}</pubDate><description>{item_title}, reported.</description></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

#[allow(unused_imports)]
pub use common::free_port;

/// `GET path` on 127.0.0.1:port; returns status and body.
pub fn http_get(port: u16, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

/// A fake `NOTIFY_SOCKET`: a thread collects every datagram the daemon sends (systemd reads
/// promptly too; an unread socket fills after a few datagrams and blocks the sender).
pub struct NotifySocket {
    pub path: PathBuf,
    received: Arc<Mutex<Vec<String>>>,
    seen: usize,
}

impl NotifySocket {
    pub fn bind(dir: &Path) -> NotifySocket {
        let path = dir.join("notify.sock");
        let socket = UnixDatagram::bind(&path).unwrap();
        let received: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = received.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = socket.recv(&mut buf) {
                sink.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
        });
        NotifySocket {
            path,
            received,
            seen: 0,
        }
    }

    /// Waits until a datagram not looked at before has a line equal to `line`.
    pub fn wait_for(&mut self, line: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        loop {
            {
                let received = self.received.lock().unwrap();
                for (i, msg) in received.iter().enumerate().skip(self.seen) {
                    if msg.lines().any(|l| l == line) {
                        self.seen = i + 1;
                        return true;
                    }
                }
            }
            if Instant::now() > deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Skips every datagram received so far.
    pub fn drain(&mut self) {
        self.seen = self.received.lock().unwrap().len();
    }

    pub fn all(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }
}

/// The real `aiwire run` binary under test.
pub struct Daemon {
    pub child: Child,
    pub log: PathBuf,
}

impl Daemon {
    pub fn start(config: &Path, notify: Option<&Path>, log: &Path) -> Daemon {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aiwire"));
        cmd.arg("--config")
            .arg(config)
            .arg("run")
            .env("RUST_LOG", "info")
            .env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC")
            .env_remove("JOURNAL_STREAM")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap());
        if let Some(socket) = notify {
            cmd.env("NOTIFY_SOCKET", socket)
                .env("WATCHDOG_USEC", "2000000");
        }
        Daemon {
            child: cmd.spawn().unwrap(),
            log: log.to_path_buf(),
        }
    }

    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name} failed");
    }

    /// Waits for the process to exit, at most `within`.
    pub fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(50));
        }
        None
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `f` every 100 ms until it is true or `within` passes.
pub fn eventually(within: Duration, f: impl FnMut() -> bool) -> bool {
    common::poll_until(within, Duration::from_millis(100), f)
}
