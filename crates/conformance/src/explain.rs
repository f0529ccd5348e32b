//! Why a test fails on this kind of machine whichever build runs it: properties of the machine
//! (a kernel without modules, a lower hard limit, no internet), each recognised by what the test
//! printed, never by its name.

use crate::tap::TestResult;

/// A property of the machine, recognised by what the test printed about the failure.
struct Property {
    /// The test's output contains this.
    shows: &'static str,
    /// Why, as `docs/conformance.md` says it.
    why: &'static str,
}

const PROPERTIES: &[Property] = &[
    Property {
        shows: "ip link add dummy0 type dummy' failed",
        why: "this kernel has no `dummy` network driver (it is built without modules: there is no /lib/modules), so the test cannot make its device",
    },
    Property {
        shows: "prlimit --nofile=1024:65536 -p $$' failed",
        why: "this machine's hard limit on open files is 20000, and even root may not raise it to the 65536 the test sets",
    },
    Property {
        shows: "git clone https://github.com/",
        why: "it clones a repository from GitHub, and this machine has no internet",
    },
    Property {
        // test_host_pidns_kill, test_runc_delete_host_pidns: they wait, with `kill -0`, for the
        // processes of a container in the host's pid namespace to be gone once its init is.
        shows: "_host_pidns",
        why: "this machine's PID 1 does not reap orphans: the container's processes, reparented to it when their init dies, stay zombies that `kill -0` still finds, so the test passes or fails by timing on either build (run again alone, each build failed it in some runs and passed it in others)",
    },
    Property {
        // moby's tests that pull from Docker Hub: the daemon's lookup of its host fails.
        shows: "lookup registry-1.docker.io",
        why: "it pulls from Docker Hub (`registry-1.docker.io`), and this machine has no internet",
    },
    Property {
        // containerd's tests that name an image in the test itself (TestImagePullSomePlatforms,
        // TestImagePullWithDistSourceLabel), which no image list redirects.
        shows: "lookup registry.k8s.io",
        why: "it pulls an image its own code names on `registry.k8s.io` (not one of `integration/images`' references, which the loopback registry serves), and this machine has no internet",
    },
    Property {
        // A Dockerfile of moby's tests that makes a user with busybox's tools.
        shows: "/bin/sh -c addgroup",
        why: "it runs busybox's `addgroup` and `adduser`, which Debian's busybox-static (the busybox image here is made from it) is built without",
    },
    Property {
        shows: "cannot set hugetlb limit",
        why: "this machine mounts no hugetlb cgroup controller (its cgroup v1 hierarchy lacks it) and has no huge pages",
    },
];

/// Why `test` fails here whichever build runs it, when that is known.
pub fn machine_property(test: &TestResult) -> Option<String> {
    PROPERTIES
        .iter()
        .find(|p| test.output.contains(p.shows))
        .map(|p| p.why.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tap::Outcome;

    fn failed(group: &str, name: &str, check: &str) -> TestResult {
        TestResult {
            group: group.into(),
            name: name.into(),
            outcome: Outcome::Failed,
            failed_check: Some(check.into()),
            output: format!("{check}\n"),
        }
    }

    #[test]
    fn a_machine_property_is_recognised_by_what_failed() {
        let dummy = failed(
            "netdev.bats",
            "move network device",
            "`ip link add dummy0 type dummy' failed with status 2",
        );
        assert!(machine_property(&dummy).unwrap().contains("dummy"));
        let other = failed(
            "netdev.bats",
            "move network device",
            "`[ \"$status\" -eq 0 ]' failed",
        );
        let pull = failed(
            "integration/image",
            "TestImagePullNonExisting/asdfasdf",
            "pull_test.go:191: got \"Error response from daemon: Get \\\"https://registry-1.docker.io/v2/\\\": dial tcp: lookup registry-1.docker.io on 10.0.0.53:53: connect: network is unreachable\"",
        );
        assert!(machine_property(&pull).unwrap().contains("no internet"));
        assert_eq!(
            machine_property(&other),
            None,
            "the same test failing otherwise is not explained"
        );
    }
}
