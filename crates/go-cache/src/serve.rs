//! Answering the go command: the request loop, the worker threads and the summary.

use std::io::{BufReader, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Mutex, PoisonError};
use std::thread;

use serde::{Deserialize, Serialize};

use crate::local::Imported;
use crate::protocol::{Frame, KNOWN_COMMANDS, Request, Response, rfc3339};
use crate::{ActionId, Entry, Error, LocalCache, RemoteCache, RemoteError};

/// Threads that look outputs up in the remote tier and fetch them. A remote lookup is a
/// round trip (a registry's answers come in milliseconds, Go asks thousands of times, many at
/// once): waiting, not computing, so more threads than cores.
const FETCH_WORKERS: usize = 16;
/// Threads that upload new outputs to the remote tier.
const UPLOAD_WORKERS: usize = 8;

/// What one [`serve`] session did, counted.
///
/// Every `get` is exactly one of a local hit, a remote hit, a miss or an error, so
/// `gets == local_hits + remote_hits + misses + get errors`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Summary {
    /// `get` requests received.
    pub gets: u64,
    /// `get`s answered from the local folder.
    pub local_hits: u64,
    /// `get`s answered from the remote tier (fetched, checked, kept locally).
    pub remote_hits: u64,
    /// `get`s answered with a miss, including those the remote tier failed or lied about.
    pub misses: u64,
    /// `put` requests received.
    pub puts: u64,
    /// Outputs stored in the remote tier.
    pub uploads: u64,
    /// Outputs the remote tier failed to store (never reported to the go command).
    pub upload_failures: u64,
    /// Remote lookups or fetches that failed, each answered with a miss.
    pub remote_errors: u64,
    /// Remote outputs whose size or SHA-256 was not their entry's, each answered with a miss.
    pub remote_rejected: u64,
    /// Requests answered with an error (a bad request, a body that is not its output ID,
    /// a local folder that cannot be written, an unknown command).
    pub errors: u64,
    /// The first error the remote tier reported (lookup, fetch or store), for the operator.
    pub first_remote_error: Option<String>,
}

/// One line for a build's log: `1234 lookups: 1200 found here, 30 from the team, 4 missed (…);
/// 8 stored, 8 uploaded, 0 failed`, and the team tier's first failure if it failed. Not every
/// miss is a compile: Go also asks for entries it only sometimes writes.
impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} lookups: {} found here, {} from the team, {} missed (Go builds what it needs of those); {} stored, {} uploaded, {} failed",
            self.gets,
            self.local_hits,
            self.remote_hits,
            self.misses,
            self.puts,
            self.uploads,
            self.upload_failures
        )?;
        match &self.first_remote_error {
            Some(why) => write!(f, "; the team's cache failed (a miss each time): {why}"),
            None => Ok(()),
        }
    }
}

/// Serves Go's `GOCACHEPROG` protocol: reads requests from `input` (the go command's
/// stdin to us) and writes responses to `output`, until a `close` request or the end of
/// `input`.
///
/// A `get` is answered from `local`, else from `remote` (the output is fetched into
/// `local` and checked against its output ID first; a failure or a mismatch is a miss). A
/// `put` is checked, written to `local` and answered, then uploaded to `remote` by
/// background threads; `close` waits for those uploads before it is answered. Responses
/// may come out of order and are written whole, one JSON object a line, each flushed.
///
/// Errors are only those that end the session: a request stream that is not the protocol,
/// or a response that cannot be written. Everything else is answered and counted in the
/// returned [`Summary`].
pub fn serve(
    local: &LocalCache,
    remote: Option<&dyn RemoteCache>,
    input: impl Read,
    output: impl Write + Send,
) -> Result<Summary, Error> {
    let server = Server {
        local,
        remote,
        out: Mutex::new(output),
        counters: Counters::default(),
        failure: Mutex::new(None),
    };
    server.respond(&Response {
        known_commands: &KNOWN_COMMANDS,
        ..Response::default()
    })?;
    let (fetch_tx, fetch_rx) = channel::<Fetch>();
    let (upload_tx, upload_rx) = channel::<Upload>();
    let (fetch_rx, upload_rx) = (Mutex::new(fetch_rx), Mutex::new(upload_rx));
    let server = &server;
    thread::scope(|scope| {
        let mut workers = Vec::new();
        if let Some(remote) = remote {
            for _ in 0..FETCH_WORKERS {
                workers.push(scope.spawn(|| server.fetch_worker(remote, &fetch_rx)));
            }
            for _ in 0..UPLOAD_WORKERS {
                workers.push(scope.spawn(|| server.upload_worker(remote, &upload_rx)));
            }
        }
        let queues = Queues {
            fetch: fetch_tx,
            upload: upload_tx,
        };
        let ended = server.read_requests(input, &queues);
        // Closing the queues lets the workers finish what is queued and stop.
        drop(queues);
        for worker in workers {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        let close = ended?;
        if let Some(failure) = lock(&server.failure).take() {
            return Err(failure);
        }
        let summary = server.counters.summary();
        if let Some(id) = close {
            server.respond(&Response {
                id,
                ..Response::default()
            })?;
        }
        Ok(summary)
    })
}

/// A `get` that missed locally, for a fetch worker.
struct Fetch {
    id: i64,
    action: ActionId,
}

/// A `put` to copy to the remote tier, for an upload worker.
struct Upload {
    action: ActionId,
    entry: Entry,
}

/// The way from the request loop to the workers.
struct Queues {
    fetch: Sender<Fetch>,
    upload: Sender<Upload>,
}

/// The counters behind [`Summary`], shared by the threads.
#[derive(Default)]
struct Counters {
    gets: AtomicU64,
    local_hits: AtomicU64,
    remote_hits: AtomicU64,
    misses: AtomicU64,
    puts: AtomicU64,
    uploads: AtomicU64,
    upload_failures: AtomicU64,
    remote_errors: AtomicU64,
    remote_rejected: AtomicU64,
    errors: AtomicU64,
    first_remote_error: Mutex<Option<String>>,
}

impl Counters {
    fn summary(&self) -> Summary {
        let get = |counter: &AtomicU64| counter.load(Ordering::SeqCst);
        Summary {
            gets: get(&self.gets),
            local_hits: get(&self.local_hits),
            remote_hits: get(&self.remote_hits),
            misses: get(&self.misses),
            puts: get(&self.puts),
            uploads: get(&self.uploads),
            upload_failures: get(&self.upload_failures),
            remote_errors: get(&self.remote_errors),
            remote_rejected: get(&self.remote_rejected),
            errors: get(&self.errors),
            first_remote_error: lock(&self.first_remote_error).clone(),
        }
    }

    /// Counts a remote tier's failure in `counter` and keeps the first message.
    fn remote_failed(&self, counter: &AtomicU64, error: &RemoteError) {
        count(counter);
        lock(&self.first_remote_error).get_or_insert_with(|| error.to_string());
    }
}

fn count(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::SeqCst);
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The next job from a queue shared by several workers; `None` once it is closed and empty.
fn next_job<T>(queue: &Mutex<Receiver<T>>) -> Option<T> {
    lock(queue).recv().ok()
}

/// A 32-byte ID from a request field, or why not.
fn id32(field: Option<&[u8]>, name: &str) -> Result<[u8; 32], String> {
    let bytes = field.ok_or_else(|| format!("the request has no {name}"))?;
    bytes
        .try_into()
        .map_err(|_| format!("the {name} is {} bytes long, not 32", bytes.len()))
}

/// One session's state, shared by the request loop and the workers.
struct Server<'a, W> {
    local: &'a LocalCache,
    remote: Option<&'a dyn RemoteCache>,
    out: Mutex<W>,
    counters: Counters,
    /// The first response a worker could not write; it ends the session.
    failure: Mutex<Option<Error>>,
}

impl<W: Write> Server<'_, W> {
    /// Reads and answers requests; returns the ID of the `close` request, or `None` at the
    /// end of the input.
    fn read_requests(&self, input: impl Read, queues: &Queues) -> Result<Option<i64>, Error> {
        let mut frames =
            serde_json::Deserializer::from_reader(BufReader::new(input)).into_iter::<Frame>();
        let mut last_id = 0;
        while let Some(frame) = frames.next() {
            let request = match frame.map_err(Error::ReadRequest)? {
                Frame::Request(request) => request,
                Frame::Body(_) => return Err(Error::UnexpectedBody { after: last_id }),
            };
            last_id = request.id;
            match request.command.as_str() {
                "get" => self.get(&request, queues)?,
                "put" => {
                    let body = if request.body_size > 0 {
                        match frames.next() {
                            Some(Ok(Frame::Body(body))) => body.map_err(|e| e.to_string()),
                            Some(Err(e)) => return Err(Error::ReadRequest(e)),
                            Some(Ok(Frame::Request(_))) | None => {
                                return Err(Error::MissingBody {
                                    id: request.id,
                                    size: request.body_size,
                                });
                            }
                        }
                    } else {
                        Ok(Vec::new())
                    };
                    self.put(&request, body, queues)?;
                }
                "close" => return Ok(Some(request.id)),
                other => {
                    count(&self.counters.errors);
                    self.respond(&Response::error(
                        request.id,
                        format!("unknown command {other:?}"),
                    ))?;
                }
            }
        }
        Ok(None)
    }

    fn get(&self, request: &Request, queues: &Queues) -> Result<(), Error> {
        count(&self.counters.gets);
        let action = match id32(request.action_id.as_deref(), "ActionID") {
            Ok(action) => action,
            Err(why) => {
                count(&self.counters.errors);
                return self.respond(&Response::error(request.id, why));
            }
        };
        let response = match self.local.get(&action) {
            Ok(Some(entry)) => {
                count(&self.counters.local_hits);
                self.local.note(&action);
                self.hit(request.id, &entry)
            }
            Ok(None) if self.remote.is_some() => {
                let fetch = Fetch {
                    id: request.id,
                    action,
                };
                // The fetch workers live until the queue is dropped, after this loop.
                if queues.fetch.send(fetch).is_ok() {
                    return Ok(());
                }
                count(&self.counters.misses);
                Response::miss(request.id)
            }
            Ok(None) => {
                count(&self.counters.misses);
                Response::miss(request.id)
            }
            Err(e) => {
                count(&self.counters.errors);
                Response::error(request.id, e.with_cause())
            }
        };
        self.respond(&response)
    }

    fn put(
        &self,
        request: &Request,
        body: Result<Vec<u8>, String>,
        queues: &Queues,
    ) -> Result<(), Error> {
        count(&self.counters.puts);
        let stored = self.store(request, body);
        let (action, entry) = match stored {
            Ok(stored) => stored,
            Err(why) => {
                count(&self.counters.errors);
                return self.respond(&Response::error(request.id, why));
            }
        };
        self.respond(&Response {
            id: request.id,
            disk_path: self.local.output_path(&entry.output_id).into_string(),
            ..Response::default()
        })?;
        if self.remote.is_some() {
            // Only fails if the upload workers are gone, which they are not before the end.
            let _ = queues.upload.send(Upload { action, entry });
        }
        Ok(())
    }

    /// Checks a `put` and writes it to the local folder, or says why not.
    fn store(
        &self,
        request: &Request,
        body: Result<Vec<u8>, String>,
    ) -> Result<(ActionId, Entry), String> {
        let action = id32(request.action_id.as_deref(), "ActionID")?;
        let output = id32(request.output_id.as_deref(), "OutputID")?;
        let body = body.map_err(|e| format!("the body is not base64: {e}"))?;
        if i64::try_from(body.len()).ok() != Some(request.body_size) {
            return Err(format!(
                "the body is {} bytes long, not the announced {}",
                body.len(),
                request.body_size
            ));
        }
        let entry = self
            .local
            .put(&action, &output, &body)
            .map_err(|e| e.with_cause())?;
        self.local.note(&action);
        Ok((action, entry))
    }

    fn fetch_worker(&self, remote: &dyn RemoteCache, queue: &Mutex<Receiver<Fetch>>) {
        while let Some(fetch) = next_job(queue) {
            let response = self.fetch(remote, &fetch);
            if let Err(e) = self.respond(&response) {
                lock(&self.failure).get_or_insert(e);
            }
        }
    }

    /// Answers a `get` that missed locally from the remote tier.
    fn fetch(&self, remote: &dyn RemoteCache, fetch: &Fetch) -> Response {
        let miss = |counter: &AtomicU64, error: &RemoteError| {
            self.counters.remote_failed(counter, error);
            count(&self.counters.misses);
            Response::miss(fetch.id)
        };
        let entry = match remote.lookup(&fetch.action) {
            Ok(Some(entry)) => entry,
            Ok(None) => {
                count(&self.counters.misses);
                return Response::miss(fetch.id);
            }
            Err(e) => return miss(&self.counters.remote_errors, &e),
        };
        match self.local.import(&fetch.action, &entry, remote) {
            Ok(Imported::Hit(entry)) => {
                count(&self.counters.remote_hits);
                self.local.note(&fetch.action);
                self.hit(fetch.id, &entry)
            }
            Ok(Imported::Remote(e)) => miss(&self.counters.remote_errors, &e),
            Ok(Imported::Rejected(e)) => miss(&self.counters.remote_rejected, &e),
            Err(e) => {
                count(&self.counters.errors);
                Response::error(fetch.id, e.with_cause())
            }
        }
    }

    fn upload_worker(&self, remote: &dyn RemoteCache, queue: &Mutex<Receiver<Upload>>) {
        while let Some(upload) = next_job(queue) {
            let body = self.local.output_path(&upload.entry.output_id);
            match remote.store(&upload.action, &upload.entry, &body) {
                Ok(()) => count(&self.counters.uploads),
                Err(e) => self
                    .counters
                    .remote_failed(&self.counters.upload_failures, &e),
            }
        }
    }

    /// The response to a `get` of request `id` that found `entry` locally.
    fn hit(&self, id: i64, entry: &Entry) -> Response {
        Response {
            id,
            output_id: Some(entry.output_id),
            size: entry.size,
            time: Some(rfc3339(entry.time_unix_nanos)),
            disk_path: self.local.output_path(&entry.output_id).into_string(),
            ..Response::default()
        }
    }

    /// Writes `response` as one line and flushes it, whole, whichever thread calls.
    fn respond(&self, response: &Response) -> Result<(), Error> {
        let failed = |source| Error::WriteResponse {
            id: response.id,
            source,
        };
        let mut line = serde_json::to_vec(response).map_err(|e| failed(e.into()))?;
        line.push(b'\n');
        let mut out = lock(&self.out);
        out.write_all(&line).map_err(failed)?;
        out.flush().map_err(failed)
    }
}
