//! What moby's tree declares about its release set: `ARG NAME=VALUE` defaults in its
//! `Dockerfile` and, in older lines, `: "${NAME:=VALUE}"` defaults in
//! `hack/dockerfile/install/*.installer`. Both are read; they must agree.

/// The first default `ARG name=value` in a Dockerfile (later `ARG name` lines only re-declare).
pub(crate) fn dockerfile_arg(dockerfile: &str, name: &str) -> Option<String> {
    dockerfile.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("ARG ")?.trim();
        let (key, value) = rest.split_once('=')?;
        (key.trim() == name)
            .then(|| unquote(value.trim()).to_owned())
            .filter(|v| !v.is_empty())
    })
}

/// The default a shell installer script gives `name`: `: "${NAME:=VALUE}"`.
pub(crate) fn installer_default(script: &str, name: &str) -> Option<String> {
    let needle = format!("${{{name}:=");
    script.lines().find_map(|line| {
        let line = line.trim();
        if !line.starts_with(':') {
            return None;
        }
        let start = line.find(&needle)? + needle.len();
        let end = line[start..].find('}')? + start;
        Some(unquote(line[start..end].trim()).to_owned()).filter(|v| !v.is_empty())
    })
}

/// The default a Makefile gives `name`: `NAME ?= VALUE` (or `:=`, `=`), the first such line.
pub(crate) fn make_default(makefile: &str, name: &str) -> Option<String> {
    makefile.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix(name)?;
        let value = ["?=", ":=", "="]
            .iter()
            .find_map(|op| rest.trim_start().strip_prefix(op))?;
        Some(unquote(value.trim()).to_owned()).filter(|v| !v.is_empty())
    })
}

fn unquote(s: &str) -> &str {
    s.trim_matches(|c| c == '"' || c == '\'')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_default_of_an_arg_wins() {
        let dockerfile = "ARG GO_VERSION=1.26.5\nARG DOCKERCLI_VERSION=v29.7.1\nFROM x\nARG DOCKERCLI_VERSION\nARG RUNC_VERSION=\"v1.4.3\"\n";
        assert_eq!(
            dockerfile_arg(dockerfile, "GO_VERSION").as_deref(),
            Some("1.26.5")
        );
        assert_eq!(
            dockerfile_arg(dockerfile, "RUNC_VERSION").as_deref(),
            Some("v1.4.3")
        );
        assert_eq!(dockerfile_arg(dockerfile, "GO").as_deref(), None);
        assert_eq!(dockerfile_arg(dockerfile, "TINI_VERSION"), None);
    }

    #[test]
    fn makefile_defaults_are_read_whatever_the_assignment() {
        let common = "# DOCKER_COMPOSE_REF is the version of compose to package.\nDOCKER_COMPOSE_REF ?= v5.4.0\nDOCKER_BUILDX_REF  ?= v0.34.1\nGO_VERSION:=1.26.5\nDOCKER_BUILDX_REF_X = no\n";
        assert_eq!(
            make_default(common, "DOCKER_BUILDX_REF").as_deref(),
            Some("v0.34.1")
        );
        assert_eq!(
            make_default(common, "DOCKER_COMPOSE_REF").as_deref(),
            Some("v5.4.0")
        );
        assert_eq!(
            make_default(common, "GO_VERSION").as_deref(),
            Some("1.26.5")
        );
        assert_eq!(make_default(common, "DOCKER_MODEL_REF"), None);
    }

    #[test]
    fn installer_defaults_are_read_from_the_colon_line() {
        let script = "#!/bin/sh\n# CONTAINERD_VERSION is documented here\n: \"${CONTAINERD_VERSION:=v1.7.28}\"\ninstall() { echo ${CONTAINERD_VERSION}; }\n";
        assert_eq!(
            installer_default(script, "CONTAINERD_VERSION").as_deref(),
            Some("v1.7.28")
        );
        assert_eq!(installer_default(script, "RUNC_VERSION"), None);
    }
}
