//! Packs: the entries a build used and their outputs in one stream, so another machine gets
//! in one request what Go would otherwise ask the team for one action at a time.
//!
//! ```text
//! dockyard-go-pack v1\n                                  the magic line
//! a <action hex> <output hex> <size> <unix nanos>\n      an entry (any number, any order)
//! o <output hex> <size>\n<size bytes>                    an output's bytes, each output once
//! end\n                                                  the end: a cut stream is no pack
//! ```
//!
//! Unpacking trusts nothing it reads: a header line is at most [`MAX_LINE`] bytes, names are
//! 64 lowercase hex digits, the stream and the number of records are bounded by
//! [`PackLimits`] as bytes arrive (a declared size is compared with what is left, never
//! allocated), and an output is kept only once its SHA-256 is its output ID, through the local
//! tier's atomic writes. A bad entry or output is skipped (a miss later); a stream that breaks
//! the format is refused where it breaks. Entries are written last, by
//! [`Unpacker::finish`], and only those whose output is in place.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Read, Write};

use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::layout::parse_hex;
use crate::{ActionId, Entry, Error, LocalCache, OutputId, hex};

/// The first line of every pack.
const MAGIC: &[u8] = b"dockyard-go-pack v1\n";
/// The longest header line accepted (an entry's is at most 174 bytes).
pub const MAX_LINE: usize = 256;

/// How much one pack may hold, checked while it streams in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackLimits {
    /// Bytes in the whole stream.
    pub max_bytes: u64,
    /// Entries, and separately outputs.
    pub max_entries: u64,
}

/// What packing or unpacking did, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PackCount {
    /// Entries packed; or, unpacking, entries now in the local tier from the pack.
    pub entries: u64,
    /// Distinct outputs packed; or outputs in place after unpacking (new or already there).
    pub outputs: u64,
    /// Bytes of the pack stream.
    pub bytes: u64,
    /// Packing: actions with no entry here. Unpacking: entries and outputs refused (a name
    /// that is not one, bytes that are not their output ID, an entry whose output is not
    /// there), each a miss later.
    pub skipped: u64,
}

/// Writes a pack of `actions`' entries in `local` and their outputs to `out`; an action
/// with no entry here is skipped (counted). Outputs are streamed from their files.
pub fn pack(
    local: &LocalCache,
    actions: impl IntoIterator<Item = ActionId>,
    out: impl Write,
) -> Result<PackCount, Error> {
    let mut out = Counted {
        inner: BufWriter::with_capacity(1 << 20, out),
        bytes: 0,
    };
    let mut count = PackCount::default();
    out.write_all(MAGIC).map_err(Error::PackStream)?;
    let mut outputs = BTreeMap::new();
    for action in actions {
        let Some(entry) = local.get(&action)? else {
            count.skipped += 1;
            continue;
        };
        let line = format!(
            "a {} {} {} {}\n",
            hex(&action),
            hex(&entry.output_id),
            entry.size,
            entry.time_unix_nanos
        );
        out.write_all(line.as_bytes()).map_err(Error::PackStream)?;
        outputs.insert(entry.output_id, entry.size);
        count.entries += 1;
    }
    for (output, size) in outputs {
        let path = local.output_path(&output);
        let file = std::fs::File::open(&path).map_err(|e| Error::io("open", &path, e))?;
        out.write_all(format!("o {} {size}\n", hex(&output)).as_bytes())
            .map_err(Error::PackStream)?;
        let copied = io::copy(&mut file.take(size), &mut out).map_err(Error::PackStream)?;
        if copied != size {
            let short = io::Error::new(io::ErrorKind::UnexpectedEof, "shorter than its entry");
            return Err(Error::io("read", path, short));
        }
        count.outputs += 1;
    }
    out.write_all(b"end\n").map_err(Error::PackStream)?;
    out.flush().map_err(Error::PackStream)?;
    count.bytes = out.bytes;
    Ok(count)
}

/// Unpacks the pack `input` into `local` (see [`Unpacker`]).
pub fn unpack(
    local: &LocalCache,
    mut input: impl Read,
    limits: PackLimits,
) -> Result<PackCount, Error> {
    let mut unpacker = Unpacker::new(local, limits);
    let copied = io::copy(&mut input, &mut unpacker);
    match (copied, unpacker.broken()) {
        (_, true) | (Ok(_), false) => unpacker.finish(),
        (Err(e), false) => Err(Error::PackStream(e)),
    }
}

/// A pack being unpacked into a local tier as its bytes are written to it, so it can be fed
/// straight from a download. Each output is written to a temporary file as it arrives and
/// renamed into place once its SHA-256 is its name; [`Unpacker::finish`] then writes the
/// entries. A write fails once the stream breaks the format or [`PackLimits`], and a local
/// folder that cannot be written also stops it: [`Unpacker::finish`] says which.
pub struct Unpacker<'a> {
    local: &'a LocalCache,
    limits: PackLimits,
    state: State,
    line: Vec<u8>,
    /// Bytes consumed so far.
    position: u64,
    entries: Vec<(ActionId, Entry)>,
    outputs_seen: u64,
    count: PackCount,
    /// Why the stream was refused, or the local folder's failure.
    broken: Option<Error>,
}

enum State {
    Magic,
    Line,
    Body(Box<Body>),
    Ended,
}

struct Body {
    output: Option<OutputId>,
    remaining: u64,
    /// The temporary file the bytes go to; `None` when they are only read past (a bad name,
    /// or an output already in place).
    temp: Option<BufWriter<NamedTempFile>>,
    hasher: Sha256,
}

impl<'a> Unpacker<'a> {
    /// Unpacks into `local`, within `limits`.
    pub fn new(local: &'a LocalCache, limits: PackLimits) -> Unpacker<'a> {
        Unpacker {
            local,
            limits,
            state: State::Magic,
            line: Vec::with_capacity(MAX_LINE),
            position: 0,
            entries: Vec::new(),
            outputs_seen: 0,
            count: PackCount::default(),
            broken: None,
        }
    }

    /// Whether the stream was refused or the local folder failed: the rest is not read.
    pub fn broken(&self) -> bool {
        self.broken.is_some()
    }

    /// Ends a stream that arrived whole: writes each entry whose output is in place (an entry
    /// already here is kept) and counts what the pack brought. Call it only once the stream
    /// is known to be the one published (its digest checked): the entries are the one thing
    /// in a pack its outputs' hashes do not vouch for.
    pub fn finish(self) -> Result<PackCount, Error> {
        if let Some(error) = self.broken {
            return Err(error);
        }
        if !matches!(self.state, State::Ended) {
            return Err(Error::Pack {
                why: "it ends before its end record".into(),
            });
        }
        let mut count = self.count;
        let layout = self.local.layout();
        for (action, entry) in &self.entries {
            if !layout.has_output(entry) {
                count.skipped += 1;
                continue;
            }
            if self.local.get(action)?.is_none() {
                layout.write_action(action, entry)?;
            }
            count.entries += 1;
        }
        count.bytes = self.position;
        Ok(count)
    }

    /// Refuses the stream: the write fails, and so will [`Unpacker::finish`].
    fn refuse(&mut self, why: String) -> io::Error {
        let error = io::Error::new(io::ErrorKind::InvalidData, why.clone());
        self.broken = Some(Error::Pack { why });
        error
    }

    /// Stops on the local folder's failure.
    fn failed(&mut self, error: Error) -> io::Error {
        let io = io::Error::other(error.with_cause());
        self.broken = Some(error);
        io
    }

    /// Acts on one header line (without its newline).
    fn record(&mut self) -> Result<(), io::Error> {
        let line = std::mem::take(&mut self.line);
        let text = String::from_utf8_lossy(&line);
        let fields: Vec<&str> = text.split(' ').collect();
        let result = match fields.as_slice() {
            ["a", action, output, size, time] => self.entry(action, output, size, time),
            ["o", output, size] => self.output(output, size),
            ["end"] => {
                self.state = State::Ended;
                Ok(())
            }
            _ => Err(self.refuse(format!(
                "a header line that is not an entry, an output or the end at byte {}",
                self.position
            ))),
        };
        self.line = line;
        self.line.clear();
        result
    }

    fn entry(&mut self, action: &str, output: &str, size: &str, time: &str) -> io::Result<()> {
        if self.entries.len() as u64 >= self.limits.max_entries {
            let max = self.limits.max_entries;
            return Err(self.refuse(format!("more than {max} entries")));
        }
        let parsed = (
            parse_hex(action),
            parse_hex(output),
            number(size),
            number(time),
        );
        match parsed {
            (Some(action), Some(output_id), Some(size), Some(time_unix_nanos)) => {
                self.entries.push((
                    action,
                    Entry {
                        output_id,
                        size,
                        time_unix_nanos,
                    },
                ));
            }
            _ => self.count.skipped += 1,
        }
        Ok(())
    }

    fn output(&mut self, output: &str, size: &str) -> io::Result<()> {
        let Some(size) = number(size) else {
            return Err(self.refuse(format!(
                "an output without a size at byte {}",
                self.position
            )));
        };
        let left = self.limits.max_bytes.saturating_sub(self.position);
        if size > left {
            return Err(self.refuse(format!(
                "an output of {size} bytes at byte {}, past the {} a pack may hold",
                self.position, self.limits.max_bytes
            )));
        }
        self.outputs_seen += 1;
        if self.outputs_seen > self.limits.max_entries {
            let max = self.limits.max_entries;
            return Err(self.refuse(format!("more than {max} outputs")));
        }
        let output = parse_hex(output);
        let wanted = output.filter(|id| {
            !self.local.layout().has_output(&Entry {
                output_id: *id,
                size,
                time_unix_nanos: 0,
            })
        });
        let temp = match wanted {
            Some(_) => match self.local.layout().temp_output() {
                Ok(file) => Some(BufWriter::with_capacity(256 << 10, file)),
                Err(e) => return Err(self.failed(e)),
            },
            None => None,
        };
        if output.is_none() {
            self.count.skipped += 1;
        }
        self.state = State::Body(Box::new(Body {
            output,
            remaining: size,
            temp,
            hasher: Sha256::new(),
        }));
        if size == 0 {
            self.end_body()?;
        }
        Ok(())
    }

    /// An output's last byte arrived: keep it if it is what its name says.
    fn end_body(&mut self) -> io::Result<()> {
        let State::Body(body) = std::mem::replace(&mut self.state, State::Line) else {
            return Ok(());
        };
        let Some(output) = body.output else {
            return Ok(());
        };
        let Some(temp) = body.temp else {
            // Already in place here.
            self.count.outputs += 1;
            return Ok(());
        };
        if <[u8; 32]>::from(body.hasher.finalize()) != output {
            // Dropped, so deleted: a miss later.
            self.count.skipped += 1;
            return Ok(());
        }
        let layout = self.local.layout();
        let kept = temp
            .into_inner()
            .map_err(|e| e.into_error())
            .map_err(|e| Error::io("write", self.local.dir(), e))
            .and_then(|file| layout.persist(file, &layout.output_path(&output)));
        match kept {
            Ok(()) => {
                self.count.outputs += 1;
                Ok(())
            }
            Err(e) => Err(self.failed(e)),
        }
    }
}

impl Write for Unpacker<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(error) = &self.broken {
            return Err(io::Error::other(error.with_cause()));
        }
        let mut rest = buf;
        while !rest.is_empty() {
            let (taken, then) = match &mut self.state {
                State::Magic => {
                    let n = rest.len().min(MAGIC.len() - self.line.len());
                    self.line.extend_from_slice(&rest[..n]);
                    if !MAGIC.starts_with(&self.line) {
                        return Err(self.refuse("it does not start as a pack".into()));
                    }
                    if self.line.len() == MAGIC.len() {
                        self.line.clear();
                        self.state = State::Line;
                    }
                    (n, Then::Go)
                }
                State::Line => {
                    let end = rest.iter().position(|b| *b == b'\n');
                    let n = end.unwrap_or(rest.len());
                    if self.line.len() + n > MAX_LINE {
                        let at = self.position;
                        return Err(self.refuse(format!(
                            "a header line longer than {MAX_LINE} bytes at byte {at}"
                        )));
                    }
                    self.line.extend_from_slice(&rest[..n]);
                    match end {
                        Some(_) => (n + 1, Then::Record),
                        None => (n, Then::Go),
                    }
                }
                State::Body(body) => {
                    let n = rest
                        .len()
                        .min(usize::try_from(body.remaining).unwrap_or(usize::MAX));
                    let chunk = &rest[..n];
                    if let Some(temp) = &mut body.temp {
                        body.hasher.update(chunk);
                        if let Err(e) = temp.write_all(chunk) {
                            let error = Error::io("write", self.local.dir(), e);
                            return Err(self.failed(error));
                        }
                    }
                    body.remaining -= n as u64;
                    match body.remaining {
                        0 => (n, Then::EndBody),
                        _ => (n, Then::Go),
                    }
                }
                State::Ended => return Err(self.refuse("bytes after its end record".into())),
            };
            self.position += taken as u64;
            rest = &rest[taken..];
            if self.position > self.limits.max_bytes {
                let max = self.limits.max_bytes;
                return Err(self.refuse(format!("more than the {max} bytes a pack may hold")));
            }
            match then {
                Then::Go => {}
                Then::Record => self.record()?,
                Then::EndBody => self.end_body()?,
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What a step of [`Unpacker::write`] leads to.
enum Then {
    Go,
    Record,
    EndBody,
}

/// A decimal number of at most 20 digits, nothing else (no sign, no spaces).
fn number(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A writer that counts what passes through it.
struct Counted<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
