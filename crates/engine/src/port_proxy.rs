//! dockerd's userland proxy for an engine in a private network: the bundle's docker-proxy,
//! plus the same address and port published on the host through the uplink.
//!
//! dockerd starts its userland proxy once per published port (`-proto tcp -host-ip 127.0.0.1
//! -host-port 8080 -container-ip … -container-port 80`, a status pipe on fd 3 and, from 28, the
//! listening socket on fd 4) and stops it with SIGINT when the port goes. This program asks the
//! uplink to forward the host's `host-ip:host-port` into the namespace, then runs the bundle's
//! docker-proxy (next to it in the engine's `bin/`) with the same arguments and descriptors, and
//! removes the forward when docker-proxy ends. A host port that cannot be had is reported on
//! the status pipe, so `docker run -p` fails saying which address is taken.
//!
//! It runs as its own program (the `dockyard-proxy` name of a multi-call binary): see
//! [`userland_proxy`].

use std::io::Write as _;
use std::os::fd::FromRawFd as _;

use build_core::process::LoggedCommand;
use camino::Utf8Path;

use crate::uplink::{Protocol, UplinkApi};

/// The environment variable naming the uplink's API socket; set on dockerd, whose children
/// inherit it.
pub(crate) const UPLINK_ENV: &str = "DOCKYARD_UPLINK_API";

/// The name the program runs under in the engine's `bin/`.
pub const PROGRAM: &str = "dockyard-proxy";

/// dockerd's status pipe to its userland proxy.
const STATUS_FD: i32 = 3;

/// What the forward needs of docker-proxy's arguments.
#[derive(Debug, PartialEq, Eq)]
struct Published {
    protocol: Option<Protocol>,
    host_ip: String,
    host_port: u16,
}

/// Runs as dockerd's userland proxy with `args` (the program's own arguments, without its
/// name; `argv0` is how it was started, next to the bundle's docker-proxy). Returns the exit
/// code: docker-proxy's, or 1 when the host's port cannot be had.
pub fn userland_proxy(argv0: &str, args: &[String]) -> i32 {
    let docker_proxy = Utf8Path::new(argv0).with_file_name("docker-proxy");
    let published = parse(args);
    let uplink = std::env::var(UPLINK_ENV).ok().map(UplinkApi::at);
    let forward = match (&uplink, &published) {
        // IPv6 and SCTP stay in the namespace: slirp4netns forwards IPv4 TCP and UDP only.
        (Some(uplink), Some(p)) if p.protocol.is_some() && !p.host_ip.contains(':') => {
            let protocol = p.protocol.unwrap_or(Protocol::Tcp);
            match uplink.forward(protocol, &p.host_ip, p.host_port) {
                Ok(id) => Some(id),
                Err(reason) => {
                    report_failure(&reason);
                    return 1;
                }
            }
        }
        _ => None,
    };
    let code = run_docker_proxy(&docker_proxy, args);
    if let (Some(uplink), Some(id)) = (&uplink, forward) {
        let _ = uplink.remove(id);
    }
    code
}

/// docker-proxy with our arguments and descriptors; SIGINT and SIGTERM sent to us are passed
/// on to it, and its exit code is ours.
fn run_docker_proxy(program: &Utf8Path, args: &[String]) -> i32 {
    // Blocked here (and so in the thread that waits for them); the child starts with an
    // empty mask, as Rust's process spawning resets it.
    // SAFETY: plain sigset manipulation on a local set.
    let signals = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    };
    let child = match LoggedCommand::new(program.as_str())
        .args(args.iter().cloned())
        .spawn_inheriting()
    {
        Ok(child) => child,
        Err(e) => {
            report_failure(&build_core::error::with_causes(&e));
            return 1;
        }
    };
    // dockerd reads the status pipe to its end: only docker-proxy may hold it now. The
    // listening socket follows it on fd 4 only where dockerd says so.
    // SAFETY: closing descriptors dockerd handed us and the child has inherited.
    unsafe {
        libc::close(STATUS_FD);
        if args
            .iter()
            .any(|a| a.trim_start_matches('-') == "use-listen-fd")
        {
            libc::close(STATUS_FD + 1);
        }
    }
    let pid = child.pid() as libc::pid_t;
    std::thread::spawn(move || {
        loop {
            let mut signal = 0;
            // SAFETY: waiting for signals in a set this thread has blocked.
            if unsafe { libc::sigwait(&signals, &mut signal) } == 0 && pid > 0 {
                // SAFETY: passing the signal on to our own child.
                unsafe { libc::kill(pid, signal) };
            }
        }
    });
    match child.wait() {
        Ok(status) => status.code().unwrap_or(1),
        Err(_) => 1,
    }
}

/// Tells dockerd, through its status pipe, that the proxy cannot start, and why.
fn report_failure(reason: &str) {
    // SAFETY: fd 3 is the pipe dockerd opened for this; we own it from here on.
    let mut pipe = unsafe { std::fs::File::from_raw_fd(STATUS_FD) };
    let _ = write!(pipe, "1\n{reason}");
}

/// docker-proxy's flags, as Go's flag package reads them (`-name value`, `-name=value`,
/// `--name`); `None` without a host port.
fn parse(args: &[String]) -> Option<Published> {
    let value = |name: &str| {
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            let bare = arg.trim_start_matches('-');
            if bare == name {
                return iter.next().cloned();
            }
            if let Some(v) = bare.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
                return Some(v.to_owned());
            }
        }
        None
    };
    let protocol = match value("proto").as_deref().unwrap_or("tcp") {
        "tcp" => Some(Protocol::Tcp),
        "udp" => Some(Protocol::Udp),
        _ => None,
    };
    Some(Published {
        protocol,
        host_ip: value("host-ip").unwrap_or_else(|| "0.0.0.0".into()),
        host_port: value("host-port")?.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn reads_the_arguments_dockerd_passes() {
        let line = "-proto tcp -host-ip 127.0.0.1 -host-port 18080 -container-ip 172.17.0.2 \
                    -container-port 80 -use-listen-fd";
        assert_eq!(
            parse(&args(line)),
            Some(Published {
                protocol: Some(Protocol::Tcp),
                host_ip: "127.0.0.1".into(),
                host_port: 18080
            })
        );
        let udp = parse(&args("--proto=udp -host-ip=0.0.0.0 -host-port=53")).unwrap();
        assert_eq!(udp.protocol, Some(Protocol::Udp));
        assert_eq!((udp.host_ip.as_str(), udp.host_port), ("0.0.0.0", 53));
        assert_eq!(
            parse(&args("-proto sctp -host-port 9")).unwrap().protocol,
            None
        );
        assert_eq!(parse(&args("-proto tcp -host-ip 127.0.0.1")), None);
    }
}
