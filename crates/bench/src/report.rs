//! The benchmark report written to docs/benchmarks.md.

use crate::runner::BenchError;

/// min, median, max of a few timings.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Spread {
    /// The fastest, in seconds.
    pub min: f64,
    /// The median.
    pub median: f64,
    /// The slowest.
    pub max: f64,
}

/// The spread of `samples` (at least one).
pub fn spread(mut samples: Vec<f64>) -> Spread {
    samples.sort_by(|a, b| a.total_cmp(b));
    Spread {
        min: samples[0],
        median: samples[samples.len() / 2],
        max: samples[samples.len() - 1],
    }
}

/// One bench run's measures, dockyard (`dy_`) against upstream's entry points (`up_`), in
/// seconds, bytes and MiB.
#[non_exhaustive]
pub(crate) struct Report {
    /// The command that measured it, as a person runs it.
    pub(crate) command: String,
    /// The Go release both sides built with.
    pub(crate) go: String,
    /// P1, cold.
    pub(crate) dy_cold: f64,
    /// P1, upstream cold.
    pub(crate) up_cold: f64,
    /// P2, nothing changed.
    pub(crate) dy_noop: Spread,
    /// P2, upstream.
    pub(crate) up_noop: Spread,
    /// P3, one line in runc.
    pub(crate) dy_line: Spread,
    /// P3, upstream.
    pub(crate) up_line: Spread,
    /// P4, the tgz's bytes.
    pub(crate) tgz: u64,
    /// P4, upstream's binaries packed the same way.
    pub(crate) upstream_tgz: u64,
    /// Peak summed RSS, cold, in MiB.
    pub(crate) peak_rss: f64,
    /// The same for upstream.
    pub(crate) up_peak_rss: f64,
    /// Runs of each short measure.
    pub(crate) runs: usize,
    /// The P5 section, as [`p5_section`] wrote it.
    pub(crate) p5: String,
}

/// P5's section of docs/benchmarks.md: dockyard's edit → running engine against moby's own
/// build alone.
pub(crate) fn p5_section(dy: Spread, up: Spread, runs: usize) -> String {
    let ratio = dy.median / up.median;
    let verdict = if ratio <= 0.9 { "met" } else { "not met" };
    format!(
        "## P5: edit → running engine\n\n\
         A `println` added to dockerd's `main` in a moby working tree, {runs} times. dockyard: \
         `up` watching that working tree, from the save until the restarted dockerd answers \
         (debounce, rebuild of dockerd and docker-proxy, publish, restart). Upstream: \
         `hack/make.sh binary` after the same edit, the build alone.\n\n\
         | dockyard edit → dockerd answering | upstream `hack/make.sh binary` | ratio | goal |\n\
         |---|---|---|---|\n\
         | {:.2} s (min {:.2}, max {:.2}) | {:.2} s (min {:.2}, max {:.2}) | {ratio:.2}× | ≤ 0.9×: {verdict} |\n",
        dy.median, dy.min, dy.max, up.median, up.min, up.max
    )
}

/// P6 and P7's section of docs/benchmarks.md: builds shared through a registry; `cold` is
/// P1's cold bundle when this run measured it.
pub(crate) fn shared_section(
    t: &crate::shared::SharedTimes,
    cold: Option<f64>,
    runs: usize,
) -> String {
    let cold = cold.unwrap_or(t.team_cold);
    let met = |ok: bool| if ok { "met" } else { "not met" };
    let (v6, v7) = (met(t.fresh.median <= 3.0), met(t.edit_with.0 <= 20.0));
    let p6 = format!(
        "{:.2} s (min {:.2}, max {:.2})",
        t.fresh.median, t.fresh.min, t.fresh.max
    );
    format!(
        "## P6 and P7: builds shared through a registry\n\n\
         Debian's `docker-registry` on the loopback. A team machine builds the bundle cold, pushing \
         its components and Go's build cache to the registry beside the build ({team:.1} s). A fresh machine \
         has an empty dockyard cache and an empty Go cache (the mirrors and Go's toolchain are \
         there). P6 is its whole bundle pulled from the registry ({runs} runs: nothing compiled, the \
         bundle bit-identical to the team's); P7 its bundle after a one-line change in dockerd's \
         `main` (a moby working tree; the other components pulled), once with Go's shared cache \
         and once without (dockerd bit-identical either way). The registry then holds \
         {storage:.0} MiB.\n\n\
         | | fresh machine | against | ratio | goal |\n\
         |---|---|---|---|---|\n\
         | P6 bundle from a warm registry | {p6} | {cold:.1} s cold | {r6:.3}× | ≤ 3 s: {v6} |\n\
         | P7 one line in moby, with Go's shared cache | {with:.1} s | {without:.1} s without it | {r7:.2}× | ≤ 20 s: {v7} |\n\n\
         With Go's shared cache, the Go cache program said for moby's build: {said}.\n",
        team = t.team_cold,
        storage = t.storage as f64 / 1024.0 / 1024.0,
        r6 = t.fresh.median / cold,
        with = t.edit_with.0,
        without = t.edit_without,
        r7 = t.edit_with.0 / t.edit_without,
        said = t.edit_with.1,
    )
}

/// P8's section of docs/benchmarks.md: a team's CI simulated here, against a single machine.
pub(crate) fn scale_out_section(t: &crate::scale_out::ScaleOutTimes) -> String {
    use crate::scale_out::{AT_ONCE, TARGETS};
    let mut rows = String::new();
    for j in &t.jobs {
        rows.push_str(&format!(
            "| {} | {} | {:.1} |\n",
            j.component, j.target, j.seconds
        ));
    }
    let (longest, longest_job) = t.longest().map_or((0.0, String::new()), |j| {
        (j.seconds, format!(" ({} {})", j.component, j.target))
    });
    let critical = t.critical_path();
    format!(
        "## P8: a team's CI, simulated (scale-out)\n\n\
         `plan`, as JSON, for {targets} against a team's cache that holds nothing (a registry \
         repository of its own each run) listed {n} jobs, one per component and target \
         ({plan:.1} s). Each job built its one component for its one target on a fresh \
         machine of its own (an empty dockyard cache and an empty Go cache) and pushed it to \
         the registry (Debian's `docker-registry` on the loopback), sharing Go's build cache \
         through another repository; {AT_ONCE} at a time: this machine has {cores} cores, and a \
         team has a runner per job. Then the assembler, a fresh machine required to build \
         nothing, made both targets' bundles from the registry alone: no `Building` and no \
         `Compiling` line. Against them, a single fresh machine built both targets in one \
         `bundle`.\n\n\
         | job | target | seconds |\n\
         |---|---|---|\n\
         {rows}\n\
         | | seconds |\n\
         |---|---|\n\
         | the jobs one after another (serial sum) | {serial:.1} |\n\
         | the longest job{longest_job} | {longest:.1} |\n\
         | the assembler | {assembler:.1} |\n\
         | critical path: the longest job, then the assembler (what a team with a runner per job waits) | {critical:.1} |\n\
         | the simulated CI here: the jobs {AT_ONCE} at a time ({jobs_wall:.1} s), then the assembler | {ci:.1} |\n\
         | a single machine, both targets in one `bundle` | {single:.1} |\n\
         | critical path / single machine | {ratio:.2}× |\n\n\
         Bundles identical: yes (the assembler's two bundle folders and the single \
         machine's, {compared} files compared byte for byte). Peak memory (sum of RSS of every \
         process): {jobs_peak:.0} MiB with {AT_ONCE} jobs at a time, {single_peak:.0} MiB for \
         the single machine.\n",
        targets = TARGETS.join(" and "),
        n = t.jobs.len(),
        plan = t.plan,
        cores = std::thread::available_parallelism().map_or(0, |n| n.get()),
        serial = t.serial(),
        assembler = t.assembler,
        jobs_wall = t.jobs_wall,
        ci = t.ci_wall(),
        single = t.single,
        ratio = critical / t.single,
        compared = t.compared,
        jobs_peak = t.jobs_peak,
        single_peak = t.single_peak,
    )
}

/// The text `docs/benchmarks.md` gets: `generated` (a whole report, or sections alone) laid
/// over `previous`. A generated section replaces the previous one of its title where it stood,
/// and new ones go last; sections a run does not generate (the hand-measured "where the time
/// goes") are kept; the intro is the generated one, or the previous one when none is.
pub fn merged(generated: &str, previous: &str) -> String {
    let split = |text: &str| -> (String, Vec<(String, String)>) {
        let mut parts = text.split("\n## ");
        let mut intro = parts.next().unwrap_or("").to_owned();
        let mut sections: Vec<(String, String)> = parts
            .map(|s| {
                let title = s.lines().next().unwrap_or("").to_owned();
                (title, format!("## {}\n", s.trim_end()))
            })
            .collect();
        // Text that starts with a section has no intro.
        if let Some(first) = intro.strip_prefix("## ") {
            let title = first.lines().next().unwrap_or("").to_owned();
            sections.insert(0, (title, format!("## {}\n", first.trim_end())));
            intro.clear();
        }
        (intro, sections)
    };
    let (new_intro, new_sections) = split(generated);
    let (old_intro, old_sections) = split(previous);
    let intro = if new_intro.trim().is_empty() {
        old_intro
    } else {
        new_intro
    };
    let mut out = format!("{}\n\n", intro.trim_end());
    for (title, text) in &old_sections {
        let text = new_sections
            .iter()
            .find(|(t, _)| t == title)
            .map_or(text, |(_, t)| t);
        out.push_str(text);
        out.push('\n');
    }
    for (title, text) in &new_sections {
        if !old_sections.iter().any(|(t, _)| t == title) {
            out.push_str(text);
            out.push('\n');
        }
    }
    format!("{}\n", out.trim_end())
}

/// Lays `generated` over the report at `path` (see [`merged`]), creating it when missing.
pub fn write_merged(path: &camino::Utf8Path, generated: &str) -> Result<(), BenchError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| BenchError(format!("cannot create {dir}: {e}")))?;
    }
    let previous = std::fs::read_to_string(path).unwrap_or_else(|_| "# Benchmarks\n".into());
    std::fs::write(path, merged(generated, &previous))
        .map_err(|e| BenchError(format!("cannot write {path}: {e}")))
}

impl Report {
    /// The whole report.
    pub(crate) fn markdown(&self) -> String {
        let go = &self.go;
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let mem = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                m.lines()
                    .next()
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|k| k.parse::<f64>().ok())
            })
            .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let date = build_core::build::rfc3339(now)[..10].to_owned();
        let s = |x: Spread| format!("{:.2} s (min {:.2}, max {:.2})", x.median, x.min, x.max);
        let mib = |b: u64| b as f64 / 1024.0 / 1024.0;
        let verdict = |ok: bool| if ok { "met" } else { "not met" };
        format!(
            "# Benchmarks\n\n\
             `{command}`, {date}: {cores} cores, {mem:.1} GiB memory, {go}. Medians of {runs} runs \
             where runs are short; cold runs once each, dockyard first.\n\n\
             | | dockyard | upstream entry points | ratio | goal |\n\
             |---|---|---|---|---|\n\
             | P1 cold static bundle | {dc:.1} s | {uc:.1} s | {r1:.2}× | ≤ 0.9×: {v1} |\n\
             | P2 no-op | {dn} | {un} | | dockyard ≤ 1 s: {v2} |\n\
             | P3 one line in runc | {dl} | {ul} (runc `make static`) | {r3:.2}× | ≤ 1.1×: {v3} |\n\
             | P4 tgz size | {t:.1} MiB | {ut:.1} MiB (upstream's default flags, packed the same way) | {r4:.2}× | |\n\
             | peak memory, cold (sum of RSS of every process) | {rss:.0} MiB | {up_rss:.0} MiB | {r5:.2}× | |\n\n\
             Upstream entry points, one after another with one shared Go cache, in scratch copies of the \
             pinned trees: runc `make static`; containerd `make STATIC=1 bin/containerd bin/ctr \
             bin/containerd-shim-runc-v2`; moby `hack/make.sh binary`; cli `scripts/with-go-mod.sh \
             scripts/build/binary`; tini `cmake` + `make tini-static`; buildx docker-ce-packaging's `go build \
             ./cmd/buildx`; compose `make build`; rootlesskit `make bin/rootlesskit`. P4 compares the static tgz's eight binaries. Logs: the \
             bench folder's `logs/`.\n\n{p5}",
            command = self.command,
            p5 = self.p5,
            runs = self.runs,
            dc = self.dy_cold,
            uc = self.up_cold,
            r1 = self.dy_cold / self.up_cold,
            v1 = verdict(self.dy_cold <= 0.9 * self.up_cold),
            dn = s(self.dy_noop),
            un = s(self.up_noop),
            v2 = verdict(self.dy_noop.median <= 1.0),
            dl = s(self.dy_line),
            ul = s(self.up_line),
            r3 = self.dy_line.median / self.up_line.median,
            v3 = verdict(self.dy_line.median <= 1.1 * self.up_line.median),
            t = mib(self.tgz),
            ut = mib(self.upstream_tgz),
            r4 = self.tgz as f64 / self.upstream_tgz as f64,
            rss = self.peak_rss,
            up_rss = self.up_peak_rss,
            r5 = self.peak_rss / self.up_peak_rss.max(1.0),
        )
    }
}

/// P1 measured alone (`bench --only p1`): seconds and peak memory (MiB) of each side.
#[derive(Debug, Clone, Copy)]
pub struct Cold {
    /// dockyard's cold static bundle.
    pub dockyard: f64,
    /// Upstream's entry points, cold, one after another.
    pub upstream: f64,
    /// dockyard's peak summed RSS.
    pub dockyard_rss: f64,
    /// Upstream's peak summed RSS.
    pub upstream_rss: f64,
}

/// P1's own section, for a run of it alone (the full bench puts P1 in the summary table).
pub fn cold_section(cold: &Cold) -> String {
    let ratio = cold.dockyard / cold.upstream;
    let verdict = if ratio <= 0.8 { "met" } else { "not met" };
    format!(
        "## P1 alone: cold builds\n\n\
         P1 measured alone: dockyard's cold static bundle (empty dockyard cache, empty Go cache; \
         one component at a time, the default on two cores) against upstream's entry points cold, one \
         after another in scratch copies of the same trees.\n\n\
         | | dockyard | upstream | ratio | goal |\n|---|---|---|---|---|\n\
         | P1 cold static bundle | {:.1} s | {:.1} s | {ratio:.2}× | ≤ 0.8×: {verdict} |\n\
         | peak memory (summed RSS) | {:.0} MiB | {:.0} MiB | | |\n",
        cold.dockyard, cold.upstream, cold.dockyard_rss, cold.upstream_rss
    )
}

#[cfg(test)]
mod tests {
    use super::{merged, scale_out_section};
    use crate::scale_out::{JobTime, ScaleOutTimes};

    const PREVIOUS: &str = "# Benchmarks\n\nold table\n\n\
        ## Where P3's time goes\n\nmeasured by hand\n\n\
        ## P5: edit → running engine\n\nold P5\n\n\
        ## Where P5's time goes\n\nalso by hand\n";

    #[test]
    fn a_run_replaces_what_it_measures_and_keeps_the_sections_written_by_hand() {
        let run = "# Benchmarks\n\nnew table\n\n## P5: edit → running engine\n\nnew P5\n";
        assert_eq!(
            merged(run, PREVIOUS),
            "# Benchmarks\n\nnew table\n\n\
             ## Where P3's time goes\n\nmeasured by hand\n\n\
             ## P5: edit → running engine\n\nnew P5\n\n\
             ## Where P5's time goes\n\nalso by hand\n"
        );
    }

    #[test]
    fn a_section_alone_keeps_the_intro_and_a_new_section_goes_last() {
        let p5 = merged("## P5: edit → running engine\n\nnew P5\n", PREVIOUS);
        assert!(
            p5.starts_with("# Benchmarks\n\nold table\n\n## Where P3's"),
            "{p5}"
        );
        assert!(p5.contains("new P5") && !p5.contains("old P5"), "{p5}");
        let first = merged("# Benchmarks\n\nt\n\n## P6\n\nx\n", "");
        assert_eq!(first, "# Benchmarks\n\nt\n\n## P6\n\nx\n");
    }

    #[test]
    fn p8_tabulates_each_job_and_the_critical_path_against_a_single_machine() {
        let job = |component: &str, target: &str, seconds| JobTime {
            component: component.into(),
            target: target.into(),
            seconds,
        };
        let times = ScaleOutTimes {
            plan: 4.0,
            jobs: vec![
                job("runc", "linux/amd64", 20.0),
                job("moby", "linux/arm64", 100.0),
                job("tini", "linux/arm64", 2.5),
            ],
            jobs_wall: 105.0,
            jobs_peak: 2048.0,
            assembler: 10.0,
            single: 220.0,
            single_peak: 1500.0,
            compared: 40,
        };
        let text = scale_out_section(&times);
        assert!(
            text.starts_with("## P8: a team's CI, simulated (scale-out)\n"),
            "{text}"
        );
        for row in [
            "| runc | linux/amd64 | 20.0 |\n",
            "| moby | linux/arm64 | 100.0 |\n",
            "| tini | linux/arm64 | 2.5 |\n",
            "| the jobs one after another (serial sum) | 122.5 |\n",
            "| the longest job (moby linux/arm64) | 100.0 |\n",
            "| the assembler | 10.0 |\n",
            "(what a team with a runner per job waits) | 110.0 |\n",
            "the jobs 2 at a time (105.0 s), then the assembler | 115.0 |\n",
            "| a single machine, both targets in one `bundle` | 220.0 |\n",
            "| critical path / single machine | 0.50× |\n",
            "listed 3 jobs",
            "Bundles identical: yes",
            "40 files compared",
        ] {
            assert!(text.contains(row), "no {row:?} in:\n{text}");
        }
        // The section replaces its previous run in place.
        let previous = "# Benchmarks\n\nt\n\n## P8: a team's CI, simulated (scale-out)\n\nold P8\n\n## After\n\nkept\n";
        let merged = merged(&text, previous);
        assert!(merged.contains("| tini | linux/arm64 | 2.5 |") && !merged.contains("old P8"));
        assert!(merged.ends_with("## After\n\nkept\n"), "{merged}");
    }

    #[test]
    fn p1_alone_is_judged_against_its_goal() {
        use super::{Cold, cold_section};
        let cold = |dockyard| Cold {
            dockyard,
            upstream: 500.0,
            dockyard_rss: 3000.0,
            upstream_rss: 2000.0,
        };
        let met = cold_section(&cold(390.0));
        assert!(
            met.contains("| 390.0 s | 500.0 s | 0.78× | ≤ 0.8×: met |"),
            "{met}"
        );
        let missed = cold_section(&cold(450.0));
        assert!(missed.contains("0.90× | ≤ 0.8×: not met"), "{missed}");
        assert!(missed.contains("| 3000 MiB | 2000 MiB |"), "{missed}");
    }
}
