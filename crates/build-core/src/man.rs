//! Man pages made from a component's tree, as upstream's `make manpages` makes them: programs
//! of the tree itself (the CLI's `man/generate.go`, go-md2man as the tree vendors it) built
//! by the component's Go for this machine, from vendored modules only, and run on the tree's
//! Markdown. The tree is never written: programs and pages go to the build's work folder, and
//! the pages, once checked against the component's [`ManPages`] pattern, to its output.
//!
//! Reproducible as the binaries are: `-trimpath`, `SOURCE_DATE_EPOCH` (cobra dates its pages
//! from it) and `TZ=UTC` (it formats that date in local time), and a home of its own, so no
//! configuration of the person running the build reaches the pages.

use camino::{Utf8Path, Utf8PathBuf};

use crate::artifact::{MAN_DIR, ShippedFile};
use crate::build::{BuildError, BuildOptions};
use crate::process::LoggedCommand;
use crate::toolchain::{GoToolchain, ModuleFile};
use component_specs::{MAX_MAN_PAGE_BYTES, ManPages, section_of};

/// A Go program of the component's tree a build runs but never ships.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeProgram {
    /// The tree's folder holding its module, where Go runs (`.`; moby's `man`, a module of
    /// its own).
    pub module_dir: &'static str,
    /// Which file declares that module.
    pub module_file: ModuleFile,
    /// What to build, from that folder: a package (`github.com/cpuguy83/go-md2man/v2`, from
    /// `vendor/`) or a file (`./man/generate.go`).
    pub package: &'static str,
    /// Its build tags (`manpages`).
    pub tags: &'static [&'static str],
}

/// How a component's tree makes its man pages (upstream's `make manpages`), as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManPageRecipe {
    /// A program of the tree writing pages of its own first (the CLI's cobra pages), run in
    /// the tree, and the flag that names the folder it writes them to (`target`: it is run
    /// with `--target=FOLDER` alone, its other flags at their defaults).
    pub generator: Option<(TreeProgram, &'static str)>,
    /// go-md2man, as the tree vendors it.
    pub md2man: TreeProgram,
    /// The tree's folder whose `NAME.N.md` pages md2man turns into `NAME.N` (over a page of
    /// the same name the generator wrote, as upstream's script does); other Markdown there
    /// (a README) is no page.
    pub markdown_dir: &'static str,
}

/// Makes `component`'s man pages by `recipe` into the output's [`MAN_DIR`], checked against
/// the pattern its spec `declared`, sorted by name.
pub(crate) fn generate(
    opts: &BuildOptions,
    go: &GoToolchain,
    component: &str,
    (recipe, declared): (&ManPageRecipe, ManPages),
    log: &Utf8Path,
) -> Result<Vec<ShippedFile>, BuildError> {
    let io = |action, path: &Utf8Path| BuildError::io(component, action, path.to_owned());
    let scratch = opts.work_dir.join("man");
    crate::fs::remove_dir_all_if_exists(&scratch).map_err(io("clearing", &scratch))?;
    let written = scratch.join("pages");
    let home = scratch.join("home");
    for dir in [&written, &home] {
        std::fs::create_dir_all(dir).map_err(io("creating", dir))?;
    }
    let run = |cmd: LoggedCommand| {
        cmd.env("SOURCE_DATE_EPOCH", opts.source_date_epoch.to_string())
            .env("TZ", "UTC")
            .env("HOME", home.as_str())
            .env("DOCKER_CONFIG", home.join(".docker").as_str())
            .run_logged(log)
            .map_err(|source| BuildError::Command {
                component: component.to_owned(),
                source: Box::new(source),
            })
    };
    if let Some((generator, output_flag)) = &recipe.generator {
        let program = build_program(opts, go, component, generator, &scratch, "generator", log)?;
        run(LoggedCommand::new(program.as_str())
            .arg(format!("--{output_flag}={written}"))
            .cwd(&opts.source.dir))?;
    }
    let md2man = build_program(
        opts,
        go,
        component,
        &recipe.md2man,
        &scratch,
        "go-md2man",
        log,
    )?;
    let markdown = opts.source.dir.join(recipe.markdown_dir);
    let sources = sorted_entries(&markdown).map_err(io("reading", &markdown))?;
    for (name, path) in sources
        .into_iter()
        .filter(|(_, _, file)| *file)
        .map(|(n, p, _)| (n, p))
    {
        let Some(page) = name.strip_suffix(".md").filter(|p| section_of(p).is_some()) else {
            continue;
        };
        run(LoggedCommand::new(md2man.as_str()).args([
            "-in",
            path.as_str(),
            "-out",
            written.join(page).as_str(),
        ]))?;
    }
    collect(opts, component, declared, &written)
}

/// Moves the pages written into `written` to the output, each checked: a page name of a
/// declared section, a plain file, at most [`MAX_MAN_PAGE_BYTES`], at most `max_pages` of them.
fn collect(
    opts: &BuildOptions,
    component: &str,
    declared: ManPages,
    written: &Utf8Path,
) -> Result<Vec<ShippedFile>, BuildError> {
    let io = |action, path: &Utf8Path| BuildError::io(component, action, path.to_owned());
    let refused = |page: &str, problem: String| BuildError::ManPage {
        component: component.to_owned(),
        page: page.to_owned(),
        problem,
    };
    let out = opts.out_dir.join(MAN_DIR);
    crate::fs::remove_dir_all_if_exists(&out).map_err(io("clearing", &out))?;
    std::fs::create_dir_all(&out).map_err(io("creating", &out))?;
    let pages = sorted_entries(written).map_err(io("reading", written))?;
    if pages.len() > declared.max_pages {
        return Err(refused(
            &pages[declared.max_pages].0,
            format!(
                "is one of {} pages, over the {} declared",
                pages.len(),
                declared.max_pages
            ),
        ));
    }
    let mut shipped = Vec::with_capacity(pages.len());
    for (name, path, _) in pages {
        if !declared.accepts(&name) {
            let sections: Vec<String> = declared.sections.iter().map(u8::to_string).collect();
            return Err(refused(
                &name,
                format!("is not a page of section {}", sections.join(" or ")),
            ));
        }
        let meta = std::fs::symlink_metadata(&path).map_err(io("reading", &path))?;
        if !meta.is_file() || meta.len() > MAX_MAN_PAGE_BYTES {
            return Err(refused(
                &name,
                format!("is not a file of at most {MAX_MAN_PAGE_BYTES} bytes"),
            ));
        }
        let to = out.join(&name);
        std::fs::rename(&path, &to).map_err(io("moving a man page to", &to))?;
        let sha256 = crate::digest::sha256_file(&to).map_err(io("hashing", &to))?;
        shipped.push(ShippedFile {
            name,
            path: to,
            sha256,
            size: meta.len(),
        });
    }
    Ok(shipped)
}

/// `go build` of a program of the tree, for this machine, into `scratch/name`.
fn build_program(
    opts: &BuildOptions,
    go: &GoToolchain,
    component: &str,
    program: &TreeProgram,
    scratch: &Utf8Path,
    name: &str,
    log: &Utf8Path,
) -> Result<Utf8PathBuf, BuildError> {
    let dir = match program.module_dir {
        "." => opts.source.dir.clone(),
        folder => opts.source.dir.join(folder),
    };
    go.check_module(&dir, program.module_file)
        .map_err(|source| BuildError::Toolchain {
            component: component.to_owned(),
            source,
        })?;
    let out = scratch.join(name);
    let mut cmd = LoggedCommand::new(go.go.as_str()).arg("build").args([
        "-trimpath",
        "-buildvcs=false",
        "-mod=vendor",
    ]);
    if program.module_file == ModuleFile::VendorMod {
        let overlay = crate::go::write_vendor_mod_overlay(opts, name, &dir)?;
        cmd = cmd.arg(format!("-overlay={overlay}"));
    }
    if !program.tags.is_empty() {
        cmd = cmd.arg(format!("-tags={}", program.tags.join(",")));
    }
    let mut cmd = crate::go::go_env(cmd, opts, go)
        .args(["-o", out.as_str(), program.package])
        .cwd(&dir)
        .env("GOFLAGS", "-mod=vendor")
        .env("GOPROXY", "off")
        .env("CGO_ENABLED", "0");
    // This machine's programs, whatever the target.
    for key in ["GOOS", "GOARCH", "GOARM"] {
        cmd = cmd.env(key, "");
    }
    cmd.run_logged(log).map_err(|source| BuildError::Command {
        component: component.to_owned(),
        source: Box::new(source),
    })?;
    Ok(out)
}

/// What `dir` holds, by name: each entry's name, path, and whether it is a plain file (not
/// a link, nor a folder).
fn sorted_entries(dir: &Utf8Path) -> std::io::Result<Vec<(String, Utf8PathBuf, bool)>> {
    let mut entries = Vec::new();
    for entry in dir.read_dir_utf8()? {
        let entry = entry?;
        let file = entry.file_type()?.is_file();
        entries.push((entry.file_name().to_owned(), entry.path().to_owned(), file));
    }
    entries.sort();
    Ok(entries)
}
