//! A private engine's network, against fixture daemons (see `common`) and real parts: the
//! engine's namespace reaches the host's loopback over TCP and UDP through slirp4netns, a port
//! the fixture dockerd publishes (through `dockyard-proxy` and the fixture docker-proxy, as the
//! real dockerd does) answers on the host at exactly the address asked for, a taken host port is
//! refused by name, a real registry (Debian's `docker-registry`) on the host's loopback answers
//! the engine, and the host's firewall and sysctls are the same afterwards. These need root.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::time::Duration;

use build_core::progress::Recorded;
use camino::Utf8Path;
use common::*;
use engine::{Engine, Network, Registry, RegistryAuth, uplink};

fn require_root() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "the private network tests need root (CI runs as root)"
    );
    assert_eq!(options().network, Network::Private);
}

/// `GET path` on dockerd's API socket: the status line's code and the body.
fn dockerd_get(engine: &Engine, path: &str) -> (u16, String) {
    let socket = engine.socket();
    let socket = socket.trim_start_matches("unix://");
    let mut stream = std::os::unix::net::UnixStream::connect(socket).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let code = answer.split(' ').nth(1).unwrap().parse().unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1.to_owned();
    (code, body)
}

/// What a test must find on the host as it was: its firewall (both front ends), forwarding and
/// routes.
fn host_network() -> String {
    let run = |program: &str, args: &[&str]| {
        let out = std::process::Command::new(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program} must be installed (.ci/run does it): {e}"));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // iptables-save prints the time it ran in comments.
    let iptables: String = run("iptables-save", &[])
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect();
    format!(
        "{iptables}\n{}\n{}\n{}",
        run("nft", &["list", "ruleset"]),
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward").unwrap(),
        run("ip", &["route"]),
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A TCP server on the host's 127.0.0.1 answering one fixed page.
fn host_http_server(body: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut request = [0u8; 1024];
            let _ = stream.read(&mut request);
            let _ = write!(
                stream,
                "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

/// Host's GET / on 127.0.0.1:port.
fn host_get(port: u16) -> std::io::Result<String> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(b"GET / HTTP/1.0\r\n\r\n")?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

/// The local addresses listening on TCP `port` on the host (from /proc/net/tcp, in hex).
fn host_listeners(port: u16) -> Vec<String> {
    std::fs::read_to_string("/proc/net/tcp")
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (addr, p) = fields[1].split_once(':')?;
            (fields[3] == "0A" && u16::from_str_radix(p, 16).ok()? == port).then(|| addr.to_owned())
        })
        .collect()
}

fn nothing_left(state: &Utf8Path) {
    let ours: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            (cmdline.contains(state.as_str()) && alive(pid)).then_some(cmdline)
        })
        .collect();
    assert_eq!(
        ours,
        Vec::<String>::new(),
        "no process of the engine survives down"
    );
    assert_eq!(
        mounts_under(state),
        Vec::<String>::new(),
        "no mount survives down"
    );
}

#[test]
fn the_engine_reaches_the_hosts_loopback_and_publishes_ports_on_the_address_asked_for() {
    require_root();
    let before = host_network();
    let (_dir, root) = state();
    let bundle = bundle(&root, "bundle", "1");
    let state = root.join("state");
    let engine = Engine::at(state.clone());
    let progress = Recorded::default();
    let status = engine.up(&bundle, &options(), &progress).unwrap();
    assert!(status.running(), "{status}");
    assert!(
        status.daemon(engine::Daemon::Uplink).unwrap().pid.is_some(),
        "the uplink runs as a daemon of the engine: {status}"
    );

    // Out: TCP and UDP to the host's loopback, from the daemon's network.
    let http = host_http_server("page on the host's loopback");
    let (code, body) = dockerd_get(
        &engine,
        &format!("/fetch?url=http://{}:{http}/", uplink::HOST),
    );
    assert_eq!((code, body.as_str()), (200, "page on the host's loopback"));
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let udp_port = udp.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        while let Ok((n, from)) = udp.recv_from(&mut buf) {
            let mut reply = b"echo:".to_vec();
            reply.extend_from_slice(&buf[..n]);
            let _ = udp.send_to(&reply, from);
        }
    });
    let (code, body) = dockerd_get(&engine, &format!("/udp?addr={}:{udp_port}", uplink::HOST));
    assert_eq!((code, body.as_str()), (200, "echo:ping"));

    // In: a published port answers on the host's 127.0.0.1, and only there.
    let port = free_port();
    let (code, body) = dockerd_get(&engine, &format!("/publish?ip=127.0.0.1&port={port}"));
    assert_eq!((code, body.as_str()), (200, "published"));
    let answer = host_get(port).unwrap();
    assert!(
        answer.ends_with(&format!("fixture docker-proxy for 127.0.0.1:{port}")),
        "{answer}"
    );
    assert_eq!(host_listeners(port), ["0100007F"], "127.0.0.1 only");

    // Unpublished, the host's port is free again (and can be published again).
    dockerd_get(&engine, &format!("/unpublish?port={port}"));
    assert!(
        host_listeners(port).is_empty(),
        "the forward goes with the port"
    );
    let (code, _) = dockerd_get(&engine, &format!("/publish?ip=127.0.0.1&port={port}"));
    assert_eq!(code, 200);
    dockerd_get(&engine, &format!("/unpublish?port={port}"));

    // A port the host already uses is refused, naming it.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let (code, body) = dockerd_get(&engine, &format!("/publish?ip=127.0.0.1&port={taken_port}"));
    assert_eq!(code, 500, "{body}");
    assert!(
        body.contains(&format!("127.0.0.1:{taken_port}/tcp"))
            && body.contains("in use on the host"),
        "{body}"
    );

    // The published port is the uplink's to give back at down, too.
    let (code, _) = dockerd_get(&engine, &format!("/publish?ip=127.0.0.1&port={port}"));
    assert_eq!(code, 200);
    engine.down(false, &progress).unwrap();
    nothing_left(&state);
    assert!(host_listeners(port).is_empty(), "no port survives down");
    assert_eq!(
        host_network(),
        before,
        "the host's firewall, forwarding and routes are as they were"
    );
    engine.down(true, &progress).unwrap();
}

#[test]
fn a_registry_on_the_hosts_loopback_answers_the_engine_anonymously_and_behind_htpasswd() {
    require_root();
    let open = Registry::start(None).expect("Debian's docker-registry (installed by .ci/run)");
    let auth = RegistryAuth {
        user: "dockyard".into(),
        password: "a-password-nobody-prints".into(),
    };
    let guarded = Registry::start(Some(&auth)).unwrap();
    let (_dir, root) = state();
    let bundle = bundle(&root, "bundle", "1");
    let engine = Engine::at(root.join("state"));
    engine
        .up(&bundle, &options(), &Recorded::default())
        .unwrap();

    let v2 = |registry: &Registry| {
        dockerd_get(
            &engine,
            &format!("/fetch?url=http://{}:{}/v2/", uplink::HOST, registry.port()),
        )
    };
    assert_eq!(v2(&open), (200, "{}".to_owned()));
    let (_, refused) = v2(&guarded);
    assert!(refused.contains("UNAUTHORIZED"), "{refused}");

    engine.down(true, &Recorded::default()).unwrap();
    let log = std::fs::read_to_string(guarded.log()).unwrap();
    assert!(
        log.contains("/v2/"),
        "the registry logged the request: {log}"
    );
    assert!(!log.contains(&auth.password), "the password is in no log");
    assert!(
        !format!("{auth:?}").contains(&auth.password),
        "nor in Debug"
    );
}
