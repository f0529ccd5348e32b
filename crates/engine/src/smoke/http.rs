//! The HTTP the network checks need, over std's sockets: a GET from the host, and a server on
//! the host's loopback for containers to reach.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::EngineError;

/// GET / on `127.0.0.1:port`, retried until it answers 200 or `timeout` passes.
pub(super) fn get_until(port: u16, timeout: Duration) -> Result<String, EngineError> {
    let mut last = String::new();
    // A port that starts to answer is no event to block on: this polls.
    let answered = build_core::wait::until(timeout, Duration::from_millis(100), || {
        match get(port) {
            Ok(response) if response.starts_with("HTTP/1.") && response.contains(" 200 ") => {
                return Some(response);
            }
            Ok(response) => last = response,
            Err(e) => last = e.to_string(),
        }
        None
    });
    answered.map_err(|_| {
        EngineError::Check(format!(
            "127.0.0.1:{port} did not answer within {}s ({last})",
            timeout.as_secs()
        ))
    })
}

fn get(port: u16) -> std::io::Result<String> {
    let mut stream =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

/// A server on the host's `127.0.0.1` answering every request with `body`, until dropped.
pub(super) struct HostServer {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl HostServer {
    pub(super) fn start(body: &'static str) -> Result<HostServer, EngineError> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(EngineError::io("listening on", "127.0.0.1"))?;
        let port = listener
            .local_addr()
            .map_err(EngineError::io("listening on", "127.0.0.1"))?
            .port();
        listener
            .set_nonblocking(true)
            .map_err(EngineError::io("listening on", "127.0.0.1"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        std::thread::spawn(move || {
            while !stopping.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                        let mut request = [0u8; 1024];
                        let _ = stream.read(&mut request);
                        let _ = write!(
                            stream,
                            "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        );
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Ok(HostServer { port, stop })
    }

    pub(super) fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for HostServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}
