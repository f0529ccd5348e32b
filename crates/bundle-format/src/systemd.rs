//! systemd units for a bundle: dockyard's own text, pointing at where `install` puts binaries.

use camino::Utf8Path;

/// `(file name, contents)` of each unit, for binaries installed in `bin`.
pub fn units(bin: &Utf8Path) -> Vec<(&'static str, String)> {
    vec![
        (
            "containerd.service",
            format!(
                "[Unit]
Description=containerd container runtime (built by dockyard)
After=network.target local-fs.target

[Service]
ExecStartPre=-/sbin/modprobe overlay
ExecStart={bin}/containerd
Type=notify
Delegate=yes
KillMode=process
Restart=always
RestartSec=5
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
OOMScoreAdjust=-999

[Install]
WantedBy=multi-user.target
"
            ),
        ),
        (
            "docker.service",
            format!(
                "[Unit]
Description=Docker Engine (built by dockyard)
After=network-online.target containerd.service
Wants=network-online.target containerd.service
Requires=docker.socket

[Service]
Type=notify
Environment=PATH={bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ExecStart={bin}/dockerd -H fd:// --containerd=/run/containerd/containerd.sock
ExecReload=/bin/kill -s HUP $MAINPID
TimeoutStartSec=0
RestartSec=2
Restart=always
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
Delegate=yes
KillMode=process
OOMScoreAdjust=-500

[Install]
WantedBy=multi-user.target
"
            ),
        ),
        (
            "docker.socket",
            "[Unit]
Description=Docker API socket (built by dockyard)

[Socket]
ListenStream=/run/docker.sock
SocketMode=0660
SocketUser=root
SocketGroup=docker

[Install]
WantedBy=sockets.target
"
            .to_owned(),
        ),
    ]
}
