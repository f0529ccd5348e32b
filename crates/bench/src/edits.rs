//! The edits the bench makes to a scratch tree, written as editors write them.

use std::io::{self, Write};

use camino::{Utf8Path, Utf8PathBuf};

/// Appends a comment line to `file` (P3's "one line in runc"), numbered by `i`.
pub(crate) fn append_line(file: &Utf8Path, i: usize) -> io::Result<()> {
    let mut f = std::fs::OpenOptions::new().append(true).open(file)?;
    writeln!(f, "// dockyard bench: a harmless line ({i})")
}

/// A line dockerd prints first thing (P5's edit), in whichever file of `cmd/dockerd` holds
/// `main` (`main.go` from 29, `docker.go` before): a new file renamed over the old, as editors
/// save.
pub(crate) fn add_to_dockerd_main(tree: &Utf8Path, marker: &str) -> io::Result<()> {
    let dir = tree.join("cmd/dockerd");
    let main = "\nfunc main() {\n";
    let (file, text) = std::fs::read_dir(&dir)?
        .flatten()
        .filter_map(|e| Utf8PathBuf::from_path_buf(e.path()).ok())
        .filter(|p| p.extension() == Some("go"))
        .find_map(|p| {
            std::fs::read_to_string(&p)
                .ok()
                .filter(|t| t.contains(main))
                .map(|t| (p, t))
        })
        .ok_or_else(|| io::Error::other(format!("no func main in {dir}")))?;
    let edited = text.replacen(main, &format!("{main}\tprintln(\"{marker}\")\n"), 1);
    build_core::fs::write_atomic(&file, edited.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dockerd_edit_prints_the_marker_first_thing_in_main() {
        let dir = tempfile::tempdir().unwrap();
        let tree = Utf8Path::from_path(dir.path()).unwrap();
        std::fs::create_dir_all(tree.join("cmd/dockerd")).unwrap();
        std::fs::write(tree.join("cmd/dockerd/flags.go"), "package main\n").unwrap();
        std::fs::write(
            tree.join("cmd/dockerd/main.go"),
            "package main\n\nfunc main() {\n\trun()\n}\n",
        )
        .unwrap();
        add_to_dockerd_main(tree, "edit 0").unwrap();
        let text = std::fs::read_to_string(tree.join("cmd/dockerd/main.go")).unwrap();
        assert_eq!(
            text,
            "package main\n\nfunc main() {\n\tprintln(\"edit 0\")\n\trun()\n}\n"
        );
        assert!(add_to_dockerd_main(&tree.join("cmd"), "x").is_err());
    }
}
