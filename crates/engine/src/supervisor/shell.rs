//! The client a person runs against the development engine: the bundle's own `docker`, with the
//! bundle's own CLI plugins, and the person's own credentials.
//!
//! The engine's `client/` folder is the checks' (`smoke` logs in there, and must never write to
//! anyone's `~/.docker`), so a person's shell gets a folder of its own, `shell/`, used as
//! `DOCKER_CONFIG` with `shell/bin` first on `PATH`:
//! - `bin/docker` links to the engine's `bin/docker`;
//! - `cli-plugins/docker-*` link to the engine's installed plugins (the CLI looks for plugins
//!   in `DOCKER_CONFIG/cli-plugins` before the system's folders);
//! - `config.json` links to the person's own client configuration, so `docker login`
//!   credentials (and credential helpers) stay theirs: the CLI writes through a link.
//!
//! Every link is to a path that a rebuild renames a new file onto, so a plugin rebuilt by
//! `up --watch` is the one the next `docker build` runs, with nothing to restart.

use camino::{Utf8Path, Utf8PathBuf};

use super::{Engine, Layout};
use crate::EngineError;

/// The person's own client configuration, where Docker's CLI keeps it:
/// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json` (what [`super::UpOptions`]'s
/// `client_config` shares). None when neither variable names a folder.
pub fn user_client_config() -> Option<Utf8PathBuf> {
    let folder = match std::env::var("DOCKER_CONFIG") {
        Ok(folder) if !folder.is_empty() => Utf8PathBuf::from(folder),
        _ => Utf8PathBuf::from(std::env::var("HOME").ok()?).join(".docker"),
    };
    Some(folder.join("config.json"))
}

/// What makes a shell's `docker` the engine's client, with the engine's plugins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShellClient {
    /// The folder to use as `DOCKER_CONFIG`.
    pub docker_config: Utf8PathBuf,
    /// The folder to put first on `PATH`: it holds the bundle's `docker`.
    pub bin: Utf8PathBuf,
    /// The person's client configuration that `docker_config` shares, if there is one to
    /// share; without it, logins made in the shell stay in the engine's state folder.
    pub shares: Option<Utf8PathBuf>,
}

impl ShellClient {
    /// What a shell evaluates (`eval "$(cargo xtask up)"`) to run the bundle's `docker`, with
    /// its plugins, against the engine at `socket` (`unix:///…`).
    pub fn exports(&self, socket: &str) -> String {
        let word = build_core::process::shell_word;
        format!(
            "export DOCKER_HOST={}\nexport DOCKER_CONFIG={}\nexport PATH={}:\"$PATH\"\n",
            word(socket),
            word(self.docker_config.as_str()),
            word(self.bin.as_str()),
        )
    }
}

impl Layout {
    pub(crate) fn shell(&self) -> Utf8PathBuf {
        self.root.join("shell")
    }
}

impl Engine {
    /// The shell client's folders (made by [`Engine::up`]).
    pub fn shell_client(&self) -> ShellClient {
        let shell = self.layout.shell();
        let shares = std::fs::read_link(shell.join("config.json"))
            .ok()
            .and_then(|p| Utf8PathBuf::from_path_buf(p).ok());
        ShellClient {
            bin: shell.join("bin"),
            docker_config: shell,
            shares,
        }
    }

    /// Links the shell's `docker` and every installed plugin (see the module's doc); a plugin
    /// no longer installed loses its link.
    pub(crate) fn link_shell_binaries(&self) -> Result<(), EngineError> {
        let shell = self.layout.shell();
        let bin = shell.join("bin");
        let plugins = shell.join("cli-plugins");
        for dir in [&bin, &plugins] {
            std::fs::create_dir_all(dir).map_err(EngineError::io("creating", dir))?;
        }
        relink(&bin.join("docker"), &self.layout.bin().join("docker"))?;
        let installed = self.layout.plugins();
        let names = |dir: &Utf8Path| -> Vec<String> {
            dir.read_dir_utf8()
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .map(|e| e.file_name().to_owned())
                        .filter(|n| n.starts_with("docker-"))
                        .collect()
                })
                .unwrap_or_default()
        };
        for name in names(&plugins) {
            if !installed.join(&name).is_file() {
                let link = plugins.join(&name);
                std::fs::remove_file(&link).map_err(EngineError::io("removing", &link))?;
            }
        }
        for name in names(&installed) {
            relink(&plugins.join(&name), &installed.join(&name))?;
        }
        Ok(())
    }

    /// Points the shell's `config.json` at `user_config`, the person's own client
    /// configuration, when its folder exists (the CLI then writes logins through the link); with
    /// none, or one inside this engine's state folder (a shell that already uses this client),
    /// the link is left as it is.
    pub(crate) fn share_client_config(
        &self,
        user_config: Option<&Utf8Path>,
    ) -> Result<(), EngineError> {
        let Some(user_config) = user_config else {
            return Ok(());
        };
        let folder_exists = user_config.parent().is_some_and(Utf8Path::is_dir);
        let inside_engine = user_config
            .parent()
            .and_then(|p| p.canonicalize_utf8().ok())
            .zip(self.root().canonicalize_utf8().ok())
            .is_some_and(|(folder, root)| folder.starts_with(root));
        if !folder_exists || inside_engine || !user_config.is_absolute() {
            return Ok(());
        }
        relink(&self.layout.shell().join("config.json"), user_config)
    }
}

/// Makes `link` a symbolic link to `target`, replacing what was there in one rename.
fn relink(link: &Utf8Path, target: &Utf8Path) -> Result<(), EngineError> {
    if std::fs::read_link(link).is_ok_and(|current| current == target.as_std_path()) {
        return Ok(());
    }
    let name = link.file_name().unwrap_or("link");
    let staged = link.with_file_name(format!(".{name}.new"));
    let _ = std::fs::remove_file(&staged);
    std::os::unix::fs::symlink(target, &staged).map_err(EngineError::io("linking", &staged))?;
    std::fs::rename(&staged, link).map_err(EngineError::io("linking", link))
}
